package cmd

import (
	"slices"
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
	language  string
}

func newCompatCmd(f *Factory) *cobra.Command {
	opts := &compatOptions{}
	c := &cobra.Command{
		Use:   "compat",
		Short: "Show which backend JWT libraries verify Better Auth's tokens, as measured",
		Long: `Show the measured compatibility table: for each backend setup (a JWT
library called directly, or a framework or plugin behind a real HTTP route:
Express, Passport, Koa, NestJS, Fastify, Hono, Django REST framework,
go-oidc, go-jwt-middleware, Fiber, ...), what it does with a real Better
Auth token of each algorithm Better Auth signs with (EdDSA, ES256, ES512,
RS256, PS256):

  ok         verifies it
  rejected   refuses it with the library's documented error (a framework
             row says the status it answers, 401)
  crash      another error escapes (a framework row says the status it
             answers, 500)

with the error each failing setup raises, the exact version measured, and
the fix that was itself measured to work: another setup, a setting, a key
conversion, or a jwks.keyPairConfig.alg that setup verifies. The table is
data measured by baverify's conformance suite with the real packages;
token, jwks, call and probe read the same.

--library takes a package, framework or setup name as you would type it
(express, express-jwt, nestjs, @nestjs/jwt, fastify, django, drf,
simplejwt, go-oidc, coreos/go-oidc, hono, ...); --language narrows a name
several languages share (jsonwebtoken: Node or Rust). A name the table has
not measured is said to be not measured, on stderr, with the closest
measured setups shown instead; that is an answer, not an error (exit 0).

Use it to choose a library or an algorithm before deploying.`,
		Example: `  baverify compat
  baverify compat --alg EdDSA                 # who verifies Better Auth's default algorithm?
  baverify compat --library express           # express-jwt behind Express
  baverify compat --library jsonwebtoken --language rust
  baverify compat -o json | jq '.setups[] | select(.results.EdDSA.outcome == "ok") | .id'`,
		Args: cobra.NoArgs,
		RunE: func(c *cobra.Command, _ []string) error {
			return runCompat(f, opts)
		},
	}
	opts.out.register(c)
	c.Flags().StringArrayVar(&opts.algs, "alg", nil, "only this `ALG` (EdDSA, ES256, ES512, RS256 or PS256), repeatable")
	c.Flags().StringArrayVar(&opts.libraries, "library", nil, "only this `LIB`: a library, package or framework name, or a setup id, repeatable")
	c.Flags().StringVar(&opts.language, "language", "", "the `LANG` of --library when several languages share the name (node, python, go, ruby, rust)")
	_ = c.RegisterFlagCompletionFunc("alg", cobra.FixedCompletions(compat.Algorithms(), cobra.ShellCompDirectiveNoFileComp))
	completeLibraries(c, "library")
	_ = c.RegisterFlagCompletionFunc("language", cobra.FixedCompletions([]string{"node", "python", "go", "ruby", "rust"}, cobra.ShellCompDirectiveNoFileComp))
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
	var setups []compat.Setup
	var unmeasured []compatUnmeasured
	for _, name := range opts.libraries {
		l := m.Find(name, opts.language)
		if l.Measured() {
			setups = append(setups, l.Setups...)
			continue
		}
		// Not measured: say so, and show the closest measured setups
		// rather than an empty table that would read as "nothing fails".
		warnf(f, opts.out.errStyles(f), "%s", l.Statement())
		u := compatUnmeasured{Name: l.Name, Statement: l.Statement(), Closest: []string{}}
		for _, s := range l.Closest {
			u.Closest = append(u.Closest, s.ID)
			if !slices.ContainsFunc(setups, func(o compat.Setup) bool { return o.ID == s.ID }) {
				setups = append(setups, s)
			}
		}
		unmeasured = append(unmeasured, u)
	}
	if opts.libraries != nil && setups == nil {
		setups = []compat.Setup{}
	}
	view := m.Narrow(algs, setups)
	if opts.out.json() {
		if unmeasured != nil {
			return render.JSON(f.IO.Out, compatJSON{Matrix: view, Unmeasured: unmeasured})
		}
		return render.JSON(f.IO.Out, view)
	}
	return render.CompatText(f.IO.Out, view, opts.out.styles(f))
}

// compatUnmeasured is a --library name the table has not measured.
type compatUnmeasured struct {
	Name      string   `json:"name"`
	Statement string   `json:"statement"`
	Closest   []string `json:"closest"`
}

// compatJSON is `compat -o json` when a --library name is not measured:
// the table of the closest setups, and what was not measured.
type compatJSON struct {
	*compat.Matrix
	Unmeasured []compatUnmeasured `json:"unmeasured"`
}

// completeLibraries completes a flag with the names the table resolves;
// the table is read only when a shell asks.
func completeLibraries(c *cobra.Command, flag string) {
	_ = c.RegisterFlagCompletionFunc(flag, func(*cobra.Command, []string, string) ([]string, cobra.ShellCompDirective) {
		return compat.Default().Keys(), cobra.ShellCompDirectiveNoFileComp
	})
}

// backendLibraryFlag adds --backend-library to call and probe.
func backendLibraryFlag(c *cobra.Command, lib *string) {
	c.Flags().StringVar(lib, "backend-library", "", "`LIB`, the JWT library or framework the backend verifies with (python-jose, express, nestjs, fastify, drf, go-oidc, ..., or a setup id): the diagnosis becomes specific to it; a name not measured is said so in the diagnosis")
	completeLibraries(c, "backend-library")
}

// validateBackendLibrary accepts every name: one the table has not
// measured is no usage error, the diagnosis says it is not measured.
func validateBackendLibrary(string) error { return nil }

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
	// CompatibilityCoverage says how many setups were measured and that
	// any other stack is unknown; null when Compatibility is.
	CompatibilityCoverage *compat.Coverage `json:"compatibilityCoverage"`
}

// selectSetups resolves the names of jwks --expect-library (nil when none
// is given); a name the table has not measured is a usage error there,
// naming the closest measured setups: a CI assertion about a library
// baverify cannot check would never pass.
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
