// Package cmd holds baverify's cobra commands. Commands are thin: they turn
// flags into options, call internal packages, and hand results to the
// renderers. The command tree is built fresh for every run.
package cmd

import (
	"context"
	"errors"
	"fmt"

	"github.com/spf13/cobra"
)

// NewRootCmd builds the command tree.
func NewRootCmd(f *Factory) *cobra.Command {
	root := &cobra.Command{
		Use:   "baverify",
		Short: "Debug and verify the JWTs that Better Auth issues",
		Long: `baverify checks the JWTs issued by Better Auth's jwt plugin, the JWKS that
publishes their keys, and the backends that accept them.

It verifies signatures against the JWKS without trusting the token's header,
checks iss, aud, exp, nbf and iat, and explains every failure in Better Auth's
terms (baseURL, jwksPath, expirationTime, key rotation).`,
		Example: `  baverify token --base-url https://app.example.com "$JWT"
  baverify jwks --strict https://app.example.com
  baverify call https://api.example.com/api/me --base-url https://app.example.com --token "$JWT"`,
		SilenceUsage:  true,
		SilenceErrors: true,
		Version:       buildInfo(f).String(), // the whole line: see the version template below
	}
	root.SetVersionTemplate("{{.Version}}\n") // --version prints what `baverify version` does
	root.SetIn(f.IO.In)
	root.SetOut(f.IO.Out)
	root.SetErr(f.IO.ErrOut)
	root.SetFlagErrorFunc(func(_ *cobra.Command, err error) error { return &usageError{err: err} })
	root.CompletionOptions.HiddenDefaultCmd = true
	root.AddCommand(
		newTokenCmd(f, nil),
		newJWKSCmd(f),
		newLoginCmd(f),
		newCallCmd(f),
		newProbeCmd(f),
		newVersionCmd(f),
	)
	return root
}

// Execute runs baverify with args and returns the exit code.
func Execute(ctx context.Context, f *Factory, args []string) int {
	root := NewRootCmd(f)
	root.SetArgs(args)
	err := root.ExecuteContext(ctx)
	code := exitCode(ctx, err)
	if err != nil && !reported(err) {
		msg := err.Error()
		if code == ExitInterrupted {
			msg = "interrupted"
		}
		fmt.Fprintln(f.IO.ErrOut, "baverify:", msg)
		var usage *usageError
		if errors.As(err, &usage) && code == ExitUsage {
			fmt.Fprintln(f.IO.ErrOut, "Run 'baverify --help' for usage.")
		}
	}
	return code
}
