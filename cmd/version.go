package cmd

import "github.com/spf13/cobra"

// newVersionCmd is a placeholder until the version command lands.
func newVersionCmd(f *Factory) *cobra.Command {
	return &cobra.Command{Use: "version", Hidden: true, RunE: func(*cobra.Command, []string) error {
		return usageErrorf("version is not implemented yet")
	}}
}
