package cmd

import "github.com/spf13/cobra"

// newJWKSCmd is a placeholder until the jwks command lands.
func newJWKSCmd(f *Factory) *cobra.Command {
	return &cobra.Command{Use: "jwks", Hidden: true, RunE: func(*cobra.Command, []string) error {
		return usageErrorf("jwks is not implemented yet")
	}}
}
