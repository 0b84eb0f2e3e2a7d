package cmd

import (
	"context"
	"fmt"
	"io"
	"strings"

	"github.com/spf13/cobra"

	"github.com/baverify/baverify/internal/betterauth"
	"github.com/baverify/baverify/internal/jwks"
	"github.com/baverify/baverify/internal/keysource"
	"github.com/baverify/baverify/internal/render"
)

type jwksOptions struct {
	out        outputFlags
	net        networkFlags
	baseURL    string
	jwksPath   string
	strict     bool
	expectAlgs []string
	expectKids []string
	expectLibs []string
	minKeys    int
	maxKeys    int
	maxKeysSet bool
	clearCache bool
	quiet      bool
	arg        string
	argGiven   bool
}

func newJWKSCmd(f *Factory) *cobra.Command { return jwksCmd(f, nil) }

// jwksCmd builds the command; runF, when set, receives the options instead
// of running them (flag-parsing tests).
func jwksCmd(f *Factory, runF func(*jwksOptions) error) *cobra.Command {
	opts := &jwksOptions{}
	c := &cobra.Command{
		Use:   "jwks [URL | FILE | -]",
		Short: "Fetch, show and lint a Better Auth JWKS; a CI gate for deployments",
		Long: `Fetch a JWKS, show its keys (kid, type, alg, use, RFC 7638 thumbprint) and
the HTTP facts of the answer (status, content type, cache headers, size,
latency, cache use), and lint it: published private keys, symmetric keys,
duplicate or missing kids, keys without alg (PyJWT and jwx skip them), weak
RSA keys, alg/key mismatches, keys not meant for signatures, a non-200
answer, a non-JSON content type, plain http, no cache headers.

The JWKS comes from the argument or --base-url (env BAVERIFY_JWKS, then
BAVERIFY_BASE_URL):
  a URL with no path (or "/")   a Better Auth baseURL: /api/auth/jwks is
                                appended (--jwks-path replaces /jwks)
  any other URL                 fetched as it is
  a file, or - for stdin        read as it is (no HTTP facts)

CI assertions turn into error findings when unmet: --expect-alg (some usable
key has it), --expect-kid, --min-keys, --max-keys, --expect-library (every
signing key is verified by that backend library, as measured; see
baverify compat).

Remote JWKS are cached (one file per URL in the user cache directory, or
BAVERIFY_CACHE_DIR). The server decides freshness: a cached copy is used
without a request only while its Cache-Control max-age or Expires says so
(at most 24 hours), or within --cache-ttl; otherwise baverify asks again,
with If-None-Match / If-Modified-Since when it can. jwks never reports on a
stale copy. --no-cache bypasses the cache; --clear-cache empties it.

Exit codes: 0 no error finding (with --strict: no warning either), 1 an
error finding (with --strict: or a warning), 2 usage error, 3 the JWKS could
not be read at all (unreachable, timeout, TLS, missing file).`,
		Example: `  # a Better Auth baseURL: fetches https://app.example.com/api/auth/jwks
  baverify jwks https://app.example.com

  # an explicit JWKS URL, a file, or stdin
  baverify jwks https://app.example.com/api/auth/jwks
  baverify jwks ./jwks.json
  curl -s https://app.example.com/api/auth/jwks | baverify jwks -

  # Better Auth mounted under a custom path with jwks.jwksPath set
  baverify jwks --base-url https://example.com/custom/auth --jwks-path /.well-known/jwks.json

  # the kids, for scripts
  baverify jwks --base-url https://app.example.com --output json | jq -r '.keys[].kid'

  # a CI gate: warnings fail too, the deployment signs with EdDSA, 1 to 3 keys
  baverify jwks --strict --expect-alg EdDSA --min-keys 1 --max-keys 3 https://staging.example.com

  # a CI gate: the backends verify with python-jose and jsonwebtoken
  baverify jwks --expect-library python-jose --expect-library jsonwebtoken https://app.example.com

  # empty the JWKS cache
  baverify jwks --clear-cache`,
		Args: oneJWKS,
		RunE: func(c *cobra.Command, args []string) error {
			if len(args) == 1 {
				opts.arg, opts.argGiven = args[0], true
			}
			opts.maxKeysSet = c.Flags().Changed("max-keys")
			if runF != nil {
				return runF(opts)
			}
			return runJWKS(c.Context(), f, opts)
		},
	}
	opts.out.register(c)
	opts.net.register(c)
	opts.net.registerCacheTTL(c)
	fl := c.Flags()
	fl.StringVar(&opts.baseURL, "base-url", "", "the Better Auth baseURL, instead of the argument (env BAVERIFY_BASE_URL)")
	fl.StringVar(&opts.jwksPath, "jwks-path", "", "Better Auth's jwks.jwksPath, relative to the auth routes (default /jwks); for a base URL only")
	fl.BoolVar(&opts.strict, "strict", false, "fail (exit 1) on warnings too")
	fl.StringArrayVar(&opts.expectAlgs, "expect-alg", nil, "`ALG` that some usable key must have, repeatable (e.g. EdDSA)")
	fl.StringArrayVar(&opts.expectKids, "expect-kid", nil, "`KID` that must be published, repeatable")
	fl.StringArrayVar(&opts.expectLibs, "expect-library", nil, "`LIB` (a backend JWT library, or a setup id) that must verify every signing key, as measured; repeatable")
	fl.IntVar(&opts.minKeys, "min-keys", 0, "fewest keys the JWKS may hold (0: no bound)")
	fl.IntVar(&opts.maxKeys, "max-keys", 0, "most keys the JWKS may hold; a growing JWKS is how key churn shows (default: no bound)")
	quietFlag(c, &opts.quiet)
	fl.BoolVar(&opts.clearCache, "clear-cache", false, "empty the JWKS cache first; with no JWKS given, only that")
	_ = c.RegisterFlagCompletionFunc("expect-alg", cobra.FixedCompletions(jwks.SignatureAlgorithms(), cobra.ShellCompDirectiveNoFileComp))
	completeLibraries(c, "expect-library")
	return c
}

// validate checks the flags that need no I/O and canonicalises --expect-alg.
func (o *jwksOptions) validate() error {
	if err := validateQuiet(o.quiet, &o.out); err != nil {
		return err
	}
	if err := o.out.validate(); err != nil {
		return err
	}
	if err := o.net.validate(); err != nil {
		return err
	}
	if o.argGiven && o.baseURL != "" {
		return usageErrorf("give the JWKS as an argument or with --base-url, not both")
	}
	if o.minKeys < 0 {
		return usageErrorf("--min-keys must not be negative")
	}
	if o.maxKeysSet && o.maxKeys < 1 {
		return usageErrorf("--max-keys must be at least 1")
	}
	if o.maxKeys > 0 && o.minKeys > o.maxKeys {
		return usageErrorf("--min-keys %d is more than --max-keys %d", o.minKeys, o.maxKeys)
	}
	var algs []string
	for _, a := range o.expectAlgs {
		for _, one := range strings.Split(a, ",") {
			alg, ok := jwks.ParseSignatureAlgorithm(strings.TrimSpace(one))
			if !ok {
				return usageErrorf("--expect-alg %q is not a JWS signature algorithm (one of %s)", one, strings.Join(jwks.SignatureAlgorithms(), ", "))
			}
			algs = append(algs, alg)
		}
	}
	o.expectAlgs = algs
	for _, kid := range o.expectKids {
		if kid == "" {
			return usageErrorf("--expect-kid must not be empty")
		}
	}
	if _, err := selectSetups("--expect-library", o.expectLibs); err != nil {
		return err
	}
	return nil
}

// keySource turns the argument, --base-url and the environment into
// key-source options. A URL whose path is empty or "/" is a base URL.
func (o *jwksOptions) keySource(f *Factory) (keysource.Options, bool, error) {
	ko := keysource.Options{JWKSPath: o.jwksPath, NoDiscover: true, Stdin: f.IO.In}
	arg, baseURL := o.arg, o.baseURL
	if !o.argGiven && baseURL == "" {
		if arg = f.Getenv("BAVERIFY_JWKS"); arg == "" {
			baseURL = f.Getenv("BAVERIFY_BASE_URL")
		}
	}
	switch {
	case baseURL != "":
		ko.BaseURL = baseURL
	case arg == "":
		return ko, false, nil
	case jwks.IsURL(arg) && betterauth.IsBaseURL(arg):
		ko.BaseURL = arg
	case o.jwksPath != "":
		return ko, false, usageErrorf("--jwks-path applies to a base URL (a URL with no path, or --base-url), not to %s", arg)
	default:
		ko.JWKS = arg
	}
	return ko, true, nil
}

func runJWKS(ctx context.Context, f *Factory, opts *jwksOptions) error {
	if err := opts.validate(); err != nil {
		return err
	}
	errSt := opts.out.errStyles(f)
	ko, haveSource, err := opts.keySource(f)
	if err != nil {
		return err
	}
	if opts.clearCache {
		if err := clearCache(f); err != nil {
			return err
		}
		if !haveSource {
			return nil
		}
	}
	if !haveSource {
		return usageErrorf("no JWKS: give a URL, a base URL, a file or - (or --base-url, BAVERIFY_JWKS, BAVERIFY_BASE_URL)")
	}
	ko.Fetcher, err = opts.net.client(f, errSt, func(from, to string, _ bool) {
		warnf(f, errSt, "the JWKS request was redirected: %s -> %s", render.SafeLine(from), render.SafeLine(to))
	})
	if err != nil {
		return err
	}
	res, err := keysource.Resolve(opts.net.cached(f, errSt, ko), "")
	if err != nil {
		return &usageError{err: err}
	}
	src, ok := res.Keys.(keysource.DocumentSource)
	if !ok {
		return usageErrorf("no JWKS source for %s", res.Location)
	}
	remote, isRemote := res.Keys.(*keysource.Remote)
	if isRemote {
		var stop context.CancelFunc
		ctx, stop = f.interruptible(ctx)
		defer stop()
	}
	doc, err := src.Document(ctx)
	if ctx.Err() != nil {
		return ctx.Err()
	}
	if err != nil {
		// CI keeps the JSON report whatever the outcome (... -o json >
		// report.json || true): one that says why there is no JWKS. The
		// error still goes to stderr and sets the exit code (3).
		if opts.out.json() {
			if werr := render.JSON(f.IO.Out, jwks.Unreadable(res.Location, f.Now(), err)); werr != nil {
				return werr
			}
		}
		return err
	}
	report := jwks.Lint(doc, jwks.LintOptions{
		ExpectAlgs: opts.expectAlgs, ExpectKids: opts.expectKids, ExpectLibraries: opts.expectLibs,
		MinKeys: opts.minKeys, MaxKeys: opts.maxKeys, Strict: opts.strict, Now: f.Now(),
	})
	if isRemote {
		report.Cache = remote.CacheFacts()
		suggestOn404(ctx, report, remote, ko.JWKS+ko.BaseURL)
	}
	if opts.out.json() {
		err = render.JSON(f.IO.Out, report)
	} else {
		if opts.quiet {
			_, err = io.WriteString(f.IO.Out, render.JWKSVerdict(report, opts.out.styles(f))+"\n")
		} else {
			err = render.JWKSText(f.IO.Out, report, opts.out.styles(f))
		}
	}
	if err != nil {
		return err
	}
	if report.Failed() {
		return errNegative
	}
	return nil
}

// suggestOn404 replaces the hint of a 404 with the place that serves a
// JWKS, when one of those the user most likely meant does.
func suggestOn404(ctx context.Context, report *jwks.Report, remote *keysource.Remote, given string) {
	if report.HTTP == nil || report.HTTP.Status != 404 || given == "" {
		return
	}
	alt := keysource.FindAlternative(ctx, remote.Fetcher, remote.URL, given)
	if alt == nil {
		return
	}
	for i, f := range report.Findings {
		if f.Code == jwks.CodeHTTPStatus {
			report.Findings[i].Hint = alt.Hint(true)
		}
	}
}

// clearCache empties the JWKS cache and says so on stderr.
func clearCache(f *Factory) error {
	if f.CacheDir == nil {
		return nil
	}
	dir, err := f.CacheDir()
	if err != nil {
		fmt.Fprintf(f.IO.ErrOut, "no JWKS cache directory (%s): nothing to clear\n", render.SafeLine(err.Error()))
		return nil
	}
	if dir == "" {
		return nil
	}
	n, err := (&jwks.Cache{Dir: dir}).Clear()
	if err != nil {
		// Not a usage error: the cache is there and could not be emptied.
		fmt.Fprintf(f.IO.ErrOut, "baverify: --clear-cache: %v\n", render.SafeLine(err.Error()))
		return errNegative
	}
	entries := "entries"
	if n == 1 {
		entries = "entry"
	}
	fmt.Fprintf(f.IO.ErrOut, "cleared the JWKS cache: %d %s removed from %s\n", n, entries, render.SafeLine(dir))
	return nil
}
