package cmd

import "github.com/spf13/cobra"

// newLoginCmd is a placeholder until the login command lands.
func newLoginCmd(f *Factory) *cobra.Command {
	return &cobra.Command{Use: "login", Hidden: true, RunE: func(*cobra.Command, []string) error {
		return usageErrorf("login is not implemented yet")
	}}
}
