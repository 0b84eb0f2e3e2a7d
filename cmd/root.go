// Package cmd holds baverify's cobra commands. Commands are thin: they turn
// flags into options, call internal packages, and hand results to the
// renderers. The command tree is built fresh for every run.
package cmd

import (
	"context"
	"errors"
	"fmt"

	"github.com/spf13/cobra"

	"github.com/baverify/baverify/internal/httpclient"
	"github.com/baverify/baverify/internal/render"
)

// subcommands are baverify's commands, in help order.
func subcommands() []struct {
	name  string
	build func(*Factory) *cobra.Command
} {
	return []struct {
		name  string
		build func(*Factory) *cobra.Command
	}{
		{"token", func(f *Factory) *cobra.Command { return newTokenCmd(f, nil) }},
		{"jwks", newJWKSCmd},
		{"login", newLoginCmd},
		{"call", newCallCmd},
		{"probe", newProbeCmd},
		{"doctor", newDoctorCmd},
		{"compat", newCompatCmd},
		{"issuer", newIssuerCmd},
		{"version", newVersionCmd},
	}
}

// NewRootCmd builds the whole command tree (help, completions, docs).
func NewRootCmd(f *Factory) *cobra.Command {
	return newRootCmd(f, "")
}

// newRootCmd builds the tree for one run. When only is the name of a
// subcommand, only that one is built: a run is mostly process start-up,
// and building five commands nobody asked for (with their flags, and
// cobra's completion command) is a measurable part of it. Anything else
// (help, completion, an unknown name, a root flag) gets the whole tree.
func newRootCmd(f *Factory, only string) *cobra.Command {
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
	}
	root.SetIn(f.IO.In)
	root.SetOut(f.IO.Out)
	root.SetErr(f.IO.ErrOut)
	root.SetFlagErrorFunc(commandFlagError)
	root.DisableSuggestions = true // Execute suggests, on one line
	root.SuggestionsMinimumDistance = 2
	for _, sub := range subcommands() {
		if sub.name == only {
			root.AddCommand(sub.build(f))
			root.CompletionOptions.DisableDefaultCmd = true
			return root
		}
	}
	for _, sub := range subcommands() {
		root.AddCommand(sub.build(f))
	}
	root.Version = buildInfo(f).String()      // the whole line: see the version template
	root.SetVersionTemplate("{{.Version}}\n") // --version prints what `baverify version` does
	return root
}

// Execute runs baverify with args and returns the exit code.
func Execute(ctx context.Context, f *Factory, args []string) int {
	var first string
	if len(args) > 0 {
		first = args[0]
	}
	root := newRootCmd(f, first)
	root.SetArgs(args)
	c, err := root.ExecuteContextC(ctx)
	code := exitCode(ctx, err)
	if err != nil && !reported(err) {
		msg := err.Error()
		if code == ExitInterrupted {
			msg = "interrupted"
		}
		// Errors carry text from outside: a certificate's names in a TLS
		// error, a file name, a flag the user mistyped. The terminal filter
		// makes sure none of it acts on the terminal.
		unknown := false
		if m, ok := unknownCommand(root, err); ok {
			msg, unknown = m, true
		}
		// One line: error texts carry text from outside (a server's body),
		// and a line break there could print a line that looks like
		// baverify's own ("Verdict: VALID").
		fmt.Fprintln(f.IO.ErrOut, "baverify:", render.SafeLine(httpclient.RedactURLPasswords(msg)))
		var usage *usageError
		if code == ExitUsage && (errors.As(err, &usage) || unknown) {
			if c == nil {
				c = root
			}
			fmt.Fprint(f.IO.ErrOut, usageFooter(c, usage != nil && usage.showUsage))
		}
	}
	return code
}
