package cmd

import "github.com/spf13/cobra"

// newCallCmd is a placeholder until the call command lands.
func newCallCmd(f *Factory) *cobra.Command {
	return &cobra.Command{Use: "call", Hidden: true, RunE: func(*cobra.Command, []string) error {
		return usageErrorf("call is not implemented yet")
	}}
}
