package cmd

import (
	"strings"

	"github.com/spf13/cobra"

	"github.com/baverify/baverify/internal/compat"
	"github.com/baverify/baverify/internal/render"
	"github.com/baverify/baverify/internal/verify"
)

type compatOptions struct {
	out       outputFlags
	algs      []string
	libraries []string
}

func newCompatCmd(f *Factory) *cobra.Command {
	opts := &compatOptions{}
	c := &cobra.Command{
		Use:   "compat",
		Short: "Show which backend JWT libraries verify Better Auth's tokens, as measured",
		Long: `Show the measured compatibility table: for each backend JWT library setup
(python-jose, PyJWT, Authlib, jwcrypto, jose, jsonwebtoken, fast-jwt,
ruby-jwt, golang-jwt, go-jose, jwx), what it does with a real Better Auth
token of each algorithm Better Auth signs with (EdDSA, ES256, ES512, RS256,
PS256):

  ok         verifies it
  rejected   refuses it with the library's documented error (a backend
             answers 401)
  crash      another error escapes (FastAPI, Express and Rails answer 500)

with the error each failing setup raises, the exact version measured, and
the fix: another setup, another library, or a jwks.keyPairConfig.alg the
library verifies. The table is data measured by baverify's conformance
suite with the real packages; token, jwks, call and probe read the same.

Use it to choose a library or an algorithm before deploying.`,
		Example: `  baverify compat
  baverify compat --alg EdDSA                 # who verifies Better Auth's default algorithm?
  baverify compat --library jsonwebtoken
  baverify compat -o json | jq '.setups[] | select(.results.EdDSA.outcome == "ok") | .id'`,
		Args: cobra.NoArgs,
		RunE: func(c *cobra.Command, _ []string) error {
			return runCompat(f, opts)
		},
	}
	opts.out.register(c)
	c.Flags().StringArrayVar(&opts.algs, "alg", nil, "only this `ALG` (EdDSA, ES256, ES512, RS256 or PS256), repeatable")
	c.Flags().StringArrayVar(&opts.libraries, "library", nil, "only this `LIB`: a library name or a setup id, repeatable")
	_ = c.RegisterFlagCompletionFunc("alg", cobra.FixedCompletions(compat.Algorithms(), cobra.ShellCompDirectiveNoFileComp))
	completeLibraries(c, "library")
	return c
}

func runCompat(f *Factory, opts *compatOptions) error {
	if err := opts.out.validate(); err != nil {
		return err
	}
	m := compat.Default()
	var algs []string
	for _, a := range opts.algs {
		alg, ok := compat.CanonicalAlgorithm(a)
		if !ok {
			return usageErrorf("--alg %q is not measured: one of %s", a, strings.Join(compat.Algorithms(), ", "))
		}
		algs = append(algs, alg)
	}
	setups, err := selectSetups("--library", opts.libraries)
	if err != nil {
		return err
	}
	for _, lib := range opts.libraries {
		// A known library the table has no row of yet: say so, rather
		// than let an empty table read as "nothing fails".
		if s, _ := m.Select(lib); len(s) == 0 {
			warnf(f, opts.out.errStyles(f), "%s is not in the measured table yet: baverify cannot tell what it verifies", lib)
		}
	}
	view := m.Narrow(algs, setups)
	if opts.out.json() {
		return render.JSON(f.IO.Out, view)
	}
	return render.CompatText(f.IO.Out, view, opts.out.styles(f))
}

// selectSetups resolves library names or setup ids (nil when none is
// given); an unknown name is a usage error that lists the valid ones.
func selectSetups(flag string, names []string) ([]compat.Setup, error) {
	if len(names) == 0 {
		return nil, nil
	}
	out := []compat.Setup{}
	for _, n := range names {
		s, err := compat.Default().Select(n)
		if err != nil {
			return nil, usageErrorf("%s: %v", flag, err)
		}
		out = append(out, s...)
	}
	return out, nil
}

// completeLibraries completes a flag with the library names and setup ids;
// the table is read only when a shell asks.
func completeLibraries(c *cobra.Command, flag string) {
	_ = c.RegisterFlagCompletionFunc(flag, func(*cobra.Command, []string, string) ([]string, cobra.ShellCompDirective) {
		return append(compat.Libraries(), compat.Default().IDs()...), cobra.ShellCompDirectiveNoFileComp
	})
}

// backendLibraryFlag adds --backend-library to call and probe.
func backendLibraryFlag(c *cobra.Command, lib *string) {
	c.Flags().StringVar(lib, "backend-library", "", "`LIB`, the JWT library the backend verifies with (a name such as python-jose, or a setup id): the diagnosis becomes specific to it")
	completeLibraries(c, "backend-library")
}

// validateBackendLibrary checks --backend-library against the table.
func validateBackendLibrary(lib string) error {
	if lib == "" {
		return nil
	}
	_, err := selectSetups("--backend-library", []string{lib})
	return err
}

// tokenCompat is what the table says about a checked token; nil when it
// does not apply: the token did not decode, or its algorithm is not
// allowed (the table is about tokens a backend is meant to verify).
func tokenCompat(r *verify.Result) *compat.TokenReport {
	alg := r.HeaderString("alg")
	if r.Token == nil || alg == "" || r.HasError(verify.CodeMalformed) || r.HasError(verify.CodeAlgNotAllowed) {
		return nil
	}
	var kty, crv string
	if r.Key != nil {
		kty, crv = r.Key.Kty, r.Key.Crv
	}
	rep := compat.Default().ForToken(alg, kty, crv)
	return &rep
}

// tokenJSON is `token --output json`: the result and its compatibility.
type tokenJSON struct {
	*verify.Result
	// Compatibility is null when the table does not apply (see
	// tokenCompat), and [] when the algorithm or key is not measured.
	Compatibility []compat.Entry `json:"compatibility"`
}
