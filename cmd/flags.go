package cmd

import (
	"context"
	"fmt"
	"net/http"
	"os"
	"slices"
	"strconv"
	"strings"
	"time"

	"net/url"

	"github.com/spf13/cobra"

	"github.com/baverify/baverify/internal/httpclient"
	"github.com/baverify/baverify/internal/iostreams"
	"github.com/baverify/baverify/internal/jwks"
	"github.com/baverify/baverify/internal/keysource"
	"github.com/baverify/baverify/internal/progress"
	"github.com/baverify/baverify/internal/render"
	"github.com/baverify/baverify/internal/verify"
)

// outputFlags are --output and --color, on every command.
type outputFlags struct {
	format string
	color  string
	// formats are the --output values the command takes.
	formats []string
}

// register adds --output (text, json and the command's extra formats) and
// --color.
func (o *outputFlags) register(c *cobra.Command, extra ...string) {
	o.formats = append([]string{"text", "json"}, extra...)
	c.Flags().StringVarP(&o.format, "output", "o", "text", "output format: "+orList(o.formats))
	c.Flags().StringVar(&o.color, "color", "auto", "colour text output: auto, always or never (NO_COLOR is honoured)")
	_ = c.RegisterFlagCompletionFunc("output", cobra.FixedCompletions(o.formats, cobra.ShellCompDirectiveNoFileComp))
	_ = c.RegisterFlagCompletionFunc("color", cobra.FixedCompletions([]string{"auto", "always", "never"}, cobra.ShellCompDirectiveNoFileComp))
}

func (o *outputFlags) validate() error {
	if !slices.Contains(o.formats, o.format) {
		return usageErrorf("--output must be %s, not %q", orList(o.formats), o.format)
	}
	switch iostreams.ColorMode(o.color) {
	case iostreams.ColorAuto, iostreams.ColorAlways, iostreams.ColorNever:
		return nil
	}
	return usageErrorf("--color must be auto, always or never, not %q", o.color)
}

func (o *outputFlags) json() bool { return o.format == "json" }

// orList is "a or b", "a, b or c".
func orList(items []string) string {
	if len(items) < 2 {
		return strings.Join(items, "")
	}
	return strings.Join(items[:len(items)-1], ", ") + " or " + items[len(items)-1]
}

// styles decides colour once, for stdout.
func (o *outputFlags) styles(f *Factory) render.Styles {
	return render.NewStyles(f.IO.Out, iostreams.UseColor(iostreams.ColorMode(o.color), f.IO.OutIsTTY, f.Getenv))
}

// errStyles decides colour once, for stderr.
func (o *outputFlags) errStyles(f *Factory) render.Styles {
	return render.NewStyles(f.IO.ErrOut, iostreams.UseColor(iostreams.ColorMode(o.color), f.IO.ErrIsTTY, f.Getenv))
}

// networkFlags are shared by every command that talks HTTP.
type networkFlags struct {
	timeout  time.Duration
	cacert   string
	insecure bool
	noCache  bool
	cacheTTL time.Duration
	// waits announces the run's long network waits (one per run, made by
	// the first client).
	waits *progress.Waits
}

// register adds the network flags and --no-cache, for the commands that
// read a JWKS.
func (n *networkFlags) register(c *cobra.Command) {
	n.registerTransport(c)
	c.Flags().BoolVar(&n.noCache, "no-cache", false, "neither read nor write the JWKS cache (BAVERIFY_CACHE_DIR says where it is)")
}

// registerTransport adds the network flags without --no-cache, for the
// commands that never read a JWKS (login): a command lists only the flags
// it uses.
func (n *networkFlags) registerTransport(c *cobra.Command) {
	c.Flags().DurationVar(&n.timeout, "timeout", httpclient.DefaultTimeout, "bound on each network request, redirects and body included")
	c.Flags().StringVar(&n.cacert, "cacert", "", "PEM `file` of extra CA certificates to trust")
	c.Flags().BoolVar(&n.insecure, "insecure", false, "do NOT verify TLS certificates (dangerous; for local debugging only; the JWKS cache is then not used)")
	_ = c.MarkFlagFilename("cacert", "pem", "crt")
}

// registerCacheTTL adds --cache-ttl, for the commands that read a JWKS.
func (n *networkFlags) registerCacheTTL(c *cobra.Command) {
	c.Flags().DurationVar(&n.cacheTTL, "cache-ttl", 0, "use a cached JWKS without asking the server for up to `DURATION` (default 0: only while the server's own max-age or Expires says it is fresh)")
}

func (n *networkFlags) validate() error {
	if n.timeout <= 0 {
		return usageErrorf("--timeout must be positive")
	}
	if n.cacheTTL < 0 {
		return usageErrorf("--cache-ttl must not be negative")
	}
	return nil
}

// client builds the HTTP client and warns loudly about --insecure.
func (n *networkFlags) client(f *Factory, st render.Styles, onRedirect func(from, to string, dropped bool)) (*jwks.Fetcher, error) {
	var notify func(from, to *url.URL, dropped []string)
	if onRedirect != nil {
		notify = func(from, to *url.URL, dropped []string) { onRedirect(from.String(), to.String(), len(dropped) > 0) }
	}
	hc, err := n.httpClient(f, notify)
	if err != nil {
		return nil, err
	}
	if n.insecure {
		warnf(f, st, "--insecure: TLS certificates are NOT verified; anyone on the path can serve you keys")
	}
	return &jwks.Fetcher{Client: hc, Now: f.Now, UserAgent: userAgent(f)}, nil
}

// httpClient is a client with the network flags' timeout and TLS settings;
// onRedirect hears of every redirect it follows. call and probe make one
// per request, so that each request's redirects are its own.
func (n *networkFlags) httpClient(f *Factory, onRedirect func(from, to *url.URL, dropped []string)) (*http.Client, error) {
	hc, err := f.HTTPClient(httpclient.Options{Timeout: n.timeout, CACert: n.cacert, Insecure: n.insecure, OnRedirect: onRedirect})
	if err != nil {
		return nil, &usageError{err: err}
	}
	if w := n.announcer(f); w != nil {
		hc.Transport = w.Transport(hc.Transport)
	}
	return hc, nil
}

// announcer says on stderr, when it is a terminal, what a request that
// has not answered after a second waits for and which bound applies; nil
// when stderr is not a terminal (nothing is said there).
func (n *networkFlags) announcer(f *Factory) *progress.Waits {
	if !f.IO.ErrIsTTY || f.After == nil {
		return nil
	}
	if n.waits == nil {
		n.waits = &progress.Waits{After: f.After, Timeout: n.timeout, Flag: "--timeout",
			Say: func(line string) { fmt.Fprintln(f.IO.ErrOut, render.SafeLine(line)) }}
	}
	return n.waits
}

// cache returns the JWKS cache, or nil with --no-cache, and with
// --insecure: keys fetched without TLS checks must not be trusted by later
// runs. With --cacert, SSL_CERT_FILE or SSL_CERT_DIR the entries are keyed
// by the certificates, so that no run without the same trust uses them. A cache directory that cannot
// be found is a warning, never fatal: the run goes on uncached.
func (n *networkFlags) cache(f *Factory, st render.Styles) *jwks.Cache {
	if n.noCache || n.insecure || f.CacheDir == nil {
		return nil
	}
	var caPEM []byte
	if n.cacert != "" {
		pem, err := os.ReadFile(n.cacert)
		if err != nil {
			return nil // the HTTP client reports it
		}
		caPEM = pem
	}
	trust := jwks.TrustKey(caPEM, httpclient.EnvTrust(f.Getenv))
	dir, err := f.CacheDir()
	if err != nil {
		warnf(f, st, "no JWKS cache directory (%v); set BAVERIFY_CACHE_DIR, or pass --no-cache", err)
		return nil
	}
	if dir == "" {
		return nil
	}
	return &jwks.Cache{Dir: dir, Trust: trust}
}

// cached adds the JWKS cache, --cache-ttl and the cache's warnings (to
// stderr) to key-source options; every command that resolves a key source
// goes through it.
func (n *networkFlags) cached(f *Factory, st render.Styles, opts keysource.Options) keysource.Options {
	opts.Cache = n.cache(f, st)
	opts.CacheTTL = n.cacheTTL
	opts.Warn = func(msg string) { warnf(f, st, "%s", render.SafeLine(msg)) }
	return opts
}

// keySourceFlags are --base-url, --jwks, --jwks-path and --no-discover.
type keySourceFlags struct {
	baseURL    string
	jwks       string
	jwksPath   string
	noDiscover bool
	// envBaseURL is BAVERIFY_BASE_URL, kept for signing in (--login) when
	// a key-source flag made it no key source.
	envBaseURL string
}

func (k *keySourceFlags) register(c *cobra.Command) {
	c.Flags().StringVar(&k.baseURL, "base-url", "", "the Better Auth baseURL; pins iss and aud to its origin and finds the JWKS (env BAVERIFY_BASE_URL)")
	c.Flags().StringVar(&k.jwks, "jwks", "", "JWKS `URL|FILE|-` to verify with (env BAVERIFY_JWKS)")
	c.Flags().StringVar(&k.jwksPath, "jwks-path", "", "Better Auth's jwks.jwksPath, relative to the auth routes (default /jwks)")
	c.Flags().BoolVar(&k.noDiscover, "no-discover", false, "never derive the JWKS URL from the token's own iss")
	_ = c.MarkFlagFilename("jwks", "json")
}

// fromEnv takes the key source from the environment (BAVERIFY_BASE_URL,
// BAVERIFY_JWKS) only when no key-source flag is given: flags always beat
// the environment, so "BAVERIFY_JWKS=... --base-url X" verifies against X,
// and "BAVERIFY_BASE_URL=... --jwks F" neither pins iss nor aud to the
// environment's deployment.
func (k *keySourceFlags) fromEnv(getenv func(string) string) {
	k.envBaseURL = getenv("BAVERIFY_BASE_URL")
	if k.baseURL != "" || k.jwks != "" {
		return
	}
	k.baseURL, k.jwks = k.envBaseURL, getenv("BAVERIFY_JWKS")
}

// signInBaseURL is where --login signs in: --base-url, else
// BAVERIFY_BASE_URL even when --jwks is the key source.
func (k *keySourceFlags) signInBaseURL() string {
	if k.baseURL != "" {
		return k.baseURL
	}
	return k.envBaseURL
}

func (k *keySourceFlags) options(f *Factory, fetcher *jwks.Fetcher) keysource.Options {
	return keysource.Options{BaseURL: k.baseURL, JWKSPath: k.jwksPath, JWKS: k.jwks,
		NoDiscover: k.noDiscover, Stdin: f.IO.In, Fetcher: fetcher}
}

// policyFlags are the verification policy.
type policyFlags struct {
	issuer    string
	audiences []string
	algs      []string
	leeway    time.Duration
	now       string
	require   []string
}

func (p *policyFlags) register(c *cobra.Command) {
	c.Flags().StringVar(&p.issuer, "issuer", "", "expected iss, compared byte for byte (default: the --base-url origin)")
	c.Flags().StringArrayVar(&p.audiences, "audience", nil, "accepted aud value, repeatable (default: the --base-url origin)")
	c.Flags().StringArrayVar(&p.algs, "alg", nil, "allowed algorithm, repeatable (default: "+strings.Join(verify.DefaultAlgorithms(), ", ")+")")
	c.Flags().DurationVar(&p.leeway, "leeway", 0, "clock skew tolerated for exp, nbf and iat")
	c.Flags().StringVar(&p.now, "now", "", "evaluate times at `TIME` (RFC 3339 or Unix seconds) instead of the clock")
	c.Flags().StringArrayVar(&p.require, "require", nil, "claim that must be present, repeatable (exp always is)")
	_ = c.RegisterFlagCompletionFunc("alg", cobra.FixedCompletions(verify.KnownAlgorithms(), cobra.ShellCompDirectiveNoFileComp))
}

// policy builds the verify.Policy; the deployment sets defaults.
func (p *policyFlags) policy(res *keysource.Resolved, baseURL string) (verify.Policy, error) {
	pol := verify.Policy{Issuer: p.issuer, Audiences: p.audiences, Leeway: p.leeway,
		Require: p.require, BaseURL: baseURL, Discovered: res != nil && res.Discovered}
	if res != nil {
		pol.NotDiscovered = res.NotDiscovered
	}
	if p.leeway < 0 {
		return pol, usageErrorf("--leeway must not be negative")
	}
	for _, a := range p.algs {
		for _, one := range strings.Split(a, ",") {
			alg, err := verify.ParseAlgorithm(strings.TrimSpace(one))
			if err != nil {
				return pol, &usageError{err: err}
			}
			pol.Algorithms = append(pol.Algorithms, alg)
		}
	}
	if res != nil && res.Deployment != nil {
		if pol.Issuer == "" {
			pol.Issuer = res.Deployment.Origin()
		}
		if len(pol.Audiences) == 0 {
			pol.Audiences = []string{res.Deployment.Origin()}
		}
	}
	return pol, nil
}

// clock returns the clock for --now.
func (p *policyFlags) clock(f *Factory) (func() time.Time, error) {
	if p.now == "" {
		return f.Now, nil
	}
	t, err := parseTime(p.now)
	if err != nil {
		return nil, usageErrorf("--now %q: %v", p.now, err)
	}
	return func() time.Time { return t }, nil
}

// parseTime reads RFC 3339 or Unix seconds: digits, and optionally a
// fraction of 1 to 9 digits. Nothing else: no sign, no exponent.
func parseTime(s string) (time.Time, error) {
	if t, err := time.Parse(time.RFC3339Nano, s); err == nil {
		return t, nil
	}
	bad := fmt.Errorf("want RFC 3339 (2026-11-26T15:00:00Z) or Unix seconds (1795707986)")
	sec, frac, hasFrac := strings.Cut(s, ".")
	if !allDigits(sec) || len(sec) > 12 || hasFrac && (!allDigits(frac) || len(frac) > 9) {
		return time.Time{}, bad
	}
	whole, err := strconv.ParseInt(sec, 10, 64)
	if err != nil {
		return time.Time{}, bad
	}
	nanos := int64(0)
	if hasFrac {
		nanos, _ = strconv.ParseInt(frac+strings.Repeat("0", 9-len(frac)), 10, 64)
	}
	return time.Unix(whole, nanos).UTC(), nil
}

// allDigits: s is one or more ASCII digits.
func allDigits(s string) bool {
	if s == "" {
		return false
	}
	for i := 0; i < len(s); i++ {
		if s[i] < '0' || s[i] > '9' {
			return false
		}
	}
	return true
}

// warnJWKSCrossOrigin warns when a JWKS request is redirected to another
// origin: the keys' real source is there, not at the URL given.
func warnJWKSCrossOrigin(f *Factory, st render.Styles) func(from, to string, dropped bool) {
	return func(from, to string, _ bool) {
		a, errA := url.Parse(from)
		b, errB := url.Parse(to)
		if errA != nil || errB != nil || httpclient.SameOrigin(a, b) {
			return
		}
		warnf(f, st, "the JWKS request was redirected to another origin: %s -> %s; the keys come from %s",
			from, to, b.Scheme+"://"+b.Host)
	}
}

// warnf writes a warning to stderr, through the terminal filter: warnings
// quote URLs, hosts and errors that come from outside.
func warnf(f *Factory, st render.Styles, format string, args ...any) {
	msg := render.Safe(httpclient.RedactURLPasswords(fmt.Sprintf(format, args...)))
	w := "warning:"
	if st.Warn != nil {
		w = st.Warn(w)
	}
	fmt.Fprintln(f.IO.ErrOut, w, msg)
}

// startNetworkRun begins a command whose every run waits on the network
// (login, call, probe): Ctrl-C cancels the context it returns, which is
// also the command's, and the output and network flags are checked.
func startNetworkRun(c *cobra.Command, f *Factory, out *outputFlags, net *networkFlags) (context.Context, context.CancelFunc, error) {
	ctx, stop := f.interruptible(c.Context())
	c.SetContext(ctx)
	if err := out.validate(); err != nil {
		stop()
		return nil, nil, err
	}
	if err := net.validate(); err != nil {
		stop()
		return nil, nil, err
	}
	return ctx, stop, nil
}

// quietFlag adds -q/--quiet: only the verdict line, the report's first.
func quietFlag(c *cobra.Command, quiet *bool) {
	c.Flags().BoolVarP(quiet, "quiet", "q", false, "print only the verdict line (the exit code says the same)")
}

// validateQuiet refuses -q with --output json: the line is text.
func validateQuiet(quiet bool, out *outputFlags) error {
	if quiet && out.json() {
		return usageErrorf("--quiet prints the text verdict line; with --output json, read the verdict from the JSON")
	}
	return nil
}

// completeMethods completes -X with the usual HTTP methods.
func completeMethods(c *cobra.Command) {
	_ = c.RegisterFlagCompletionFunc("method", cobra.FixedCompletions(
		[]string{"GET", "POST", "PUT", "PATCH", "DELETE", "HEAD", "OPTIONS"}, cobra.ShellCompDirectiveNoFileComp))
}

// warnPlainHTTP warns on stderr before a secret goes over plain http to a
// host that is not loopback.
func warnPlainHTTP(f *Factory, st render.Styles, rawURL, secret, risk string) {
	if u, err := url.Parse(rawURL); err == nil && httpclient.PlainHTTP(u) {
		warnf(f, st, "sending %s over plain http to %s: anyone on the path can %s", secret, render.SafeLine(u.Host), risk)
	}
}
