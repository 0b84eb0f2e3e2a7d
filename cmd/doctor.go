package cmd

import (
	"net/http"
	"net/url"
	"strings"

	"github.com/spf13/cobra"

	"github.com/baverify/baverify/internal/betterauth"
	"github.com/baverify/baverify/internal/call"
	"github.com/baverify/baverify/internal/doctor"
	"github.com/baverify/baverify/internal/keysource"
	"github.com/baverify/baverify/internal/probe"
	"github.com/baverify/baverify/internal/render"
)

type doctorOptions struct {
	out      outputFlags
	net      networkFlags
	login    loginFlags
	policy   policyFlags
	baseURL  string
	jwksPath string
	backends []string
	libs     []string
	origin   string
	probe    bool
	strict   bool
	listen   string
	attacker string
}

func newDoctorCmd(f *Factory) *cobra.Command { return newDoctorCmdWith(f, nil) }

func newDoctorCmdWith(f *Factory, runF func(*cobra.Command, *doctorOptions) error) *cobra.Command {
	opts := &doctorOptions{}
	c := &cobra.Command{
		Use:   "doctor --base-url URL [--backend URL]... [--email EMAIL --password-stdin] [--probe]",
		Short: "Check a whole Better Auth deployment and its backends in one run, for CI",
		Long: `Check a Better Auth deployment and the backends that accept its JWTs, in one
run and one report, in this order:

  jwks        the JWKS where --base-url serves it, linted as jwks --strict
  sign_in     sign in (login's flags), a JWT from GET /api/auth/token and
              from the set-auth-jwt header of GET /api/auth/get-session
  verify      each token verified against the JWKS, as token does
  deployment  key churn (a second sign-in, the JWKS fetched again), the
              token's kid still published, the server's Date against this
              machine's clock and against iat, CORS: get-session's
              Access-Control-Expose-Headers for --origin includes
              set-auth-jwt, the token lifetime against its key's life
  backend     per --backend URL (a protected route): no token must get 401
              or 403, the token a 2xx (call's diagnosis says why not), the
              algorithm against --backend-library's measured rows, and
              with --probe a full probe

A check that cannot run says why and what it needs; the checks that
depend on it are "not run", never passed. docs/doctor.md lists every check.

--backend-library pairs with --backend in order: give it once for every
backend, or once per backend ("-" for a backend whose library is not
known).

Without --email (or BAVERIFY_EMAIL) nothing that needs a token runs, and
the verdict is at best "could not check". The password comes from
--password-stdin or BAVERIFY_PASSWORD (a prompt on a terminal), never a
flag. Use a dedicated test account: doctor signs in twice.

-o json writes one object (steps, findings, verdict); -o junit a test case
per check. On a terminal a progress line per step goes to stderr.

Exit codes: 0 every check passed (warnings allowed unless --strict), 1 a
check failed (or warned, with --strict), 2 usage error, 3 nothing failed
but some check could not be checked or was not run.`,
		Example: `  BAVERIFY_PASSWORD=... baverify doctor --base-url https://app.example.com --email ci@example.com --backend https://api.example.com/api/me
  baverify doctor --base-url https://app.example.com --email ci@example.com --password-stdin < pw.txt \
    --backend https://api.example.com/api/me --backend-library PyJWT --origin https://web.example.com
  baverify doctor -o junit --strict --base-url https://app.example.com --email ci@example.com --backend https://api.example.com/api/me > doctor.xml`,
		Args: noArgsNotShown,
		RunE: func(c *cobra.Command, _ []string) error {
			if runF != nil {
				return runF(c, opts)
			}
			return runDoctor(c, f, opts)
		},
	}
	opts.out.register(c, "junit")
	opts.net.registerTransport(c)
	opts.login.register(c)
	fl := c.Flags()
	fl.StringVar(&opts.baseURL, "base-url", "", "the Better Auth baseURL (env BAVERIFY_BASE_URL)")
	fl.StringVar(&opts.jwksPath, "jwks-path", "", "Better Auth's jwks.jwksPath, relative to the auth routes (default /jwks)")
	fl.StringArrayVar(&opts.backends, "backend", nil, "`URL` of a protected backend route to check, repeatable")
	fl.StringArrayVar(&opts.libs, "backend-library", nil, "`LIB` the backends verify with: once for all, or once per --backend in order (- for not known)")
	fl.StringVar(&opts.origin, "origin", "", "`ORIGIN` of the browser app, sent to get-session for the CORS check (default: the --base-url origin)")
	fl.BoolVar(&opts.probe, "probe", false, "probe each backend with forged tokens too (as baverify probe)")
	fl.StringVar(&opts.listen, "attacker-listen", probe.DefaultListen, "with --probe: `HOST:PORT` the attacker listener binds (port 0: a free one)")
	fl.StringVar(&opts.attacker, "attacker-url", "", "with --probe: `URL` the backends reach the attacker listener at (a tunnel, say)")
	fl.BoolVar(&opts.strict, "strict", false, "fail (exit 1) on warnings too")
	fl.StringVar(&opts.policy.issuer, "issuer", "", "expected iss, when jwt.issuer is set (default: the --base-url origin)")
	fl.StringArrayVar(&opts.policy.audiences, "audience", nil, "accepted aud value, when jwt.audience is set, repeatable (default: the --base-url origin)")
	fl.DurationVar(&opts.policy.leeway, "leeway", 0, "clock skew tolerated for exp, nbf and iat")
	completeLibraries(c, "backend-library")
	return c
}

// pairLibraries pairs --backend-library with --backend: none, one for all,
// or one per backend in order ("-" for not known).
func (o *doctorOptions) pairLibraries() ([]doctor.Backend, error) {
	if len(o.libs) > 0 && len(o.backends) == 0 {
		return nil, usageErrorf("--backend-library goes with --backend")
	}
	if len(o.libs) > 1 && len(o.libs) != len(o.backends) {
		return nil, usageErrorf("--backend-library: give it once for every backend, or once per --backend in order (%d backends, %d libraries; - for a library not known)", len(o.backends), len(o.libs))
	}
	out := make([]doctor.Backend, len(o.backends))
	for i, u := range o.backends {
		p, err := url.Parse(u)
		if err != nil || (p.Scheme != "http" && p.Scheme != "https") || p.Host == "" {
			return nil, usageErrorf("--backend %q: want an http(s) URL of a protected route", u)
		}
		out[i].URL = u
		lib := ""
		switch len(o.libs) {
		case 1:
			lib = o.libs[0]
		case len(o.backends):
			lib = o.libs[i]
		}
		if lib == "-" {
			lib = ""
		}
		if err := validateBackendLibrary(lib); err != nil {
			return nil, err
		}
		out[i].Library = lib
	}
	return out, nil
}

func runDoctor(c *cobra.Command, f *Factory, opts *doctorOptions) error {
	ctx, stop, err := startNetworkRun(c, f, &opts.out, &opts.net)
	if err != nil {
		return err
	}
	defer stop()
	if opts.baseURL == "" {
		opts.baseURL = f.Getenv("BAVERIFY_BASE_URL")
	}
	if opts.baseURL == "" {
		return usageErrorf("doctor needs the Better Auth base URL: give --base-url or BAVERIFY_BASE_URL")
	}
	d, err := betterauth.ParseBaseURL(opts.baseURL, opts.jwksPath)
	if err != nil {
		return &usageError{err: err}
	}
	if !opts.probe && (c.Flags().Changed("attacker-listen") || opts.attacker != "") {
		return usageErrorf("--attacker-listen and --attacker-url go with --probe")
	}
	backends, err := opts.pairLibraries()
	if err != nil {
		return err
	}
	if opts.origin != "" {
		u, err := url.Parse(opts.origin)
		if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" || (u.Path != "" && u.Path != "/") || u.RawQuery != "" {
			return usageErrorf("--origin %q: want an origin, scheme://host[:port]", opts.origin)
		}
		opts.origin = betterauth.Origin(u)
	}
	errSt := opts.out.errStyles(f)
	in := doctor.Options{Deployment: d, Origin: opts.origin, Backends: backends, Probe: opts.probe,
		Strict: opts.strict, Leeway: opts.policy.leeway, Now: f.Now, UserAgent: userAgent(f),
		Listener: probe.ListenerSetup{Listen: opts.listen, URL: opts.attacker}}
	if strings.TrimSpace(opts.login.email) == "" && strings.TrimSpace(f.Getenv("BAVERIFY_EMAIL")) == "" {
		if c.Flags().Changed("password") {
			return usageErrorf("never put a password in a flag; use --password-stdin or BAVERIFY_PASSWORD")
		}
		in.NoCredentials = "needs the test user's --email (or BAVERIFY_EMAIL) and password (--password-stdin or BAVERIFY_PASSWORD)"
	} else {
		email, password, err := opts.login.loginCredentials(ctx, c, f, d)
		if err != nil {
			return err
		}
		in.Credentials = &doctor.Credentials{Email: email, Password: password}
		warnPlainHTTP(f, errSt, d.Origin(), "the password", "read it")
	}
	for _, b := range backends {
		warnPlainHTTP(f, errSt, b.URL, "the token", "read and replay it")
	}
	fetcher, err := opts.net.client(f, errSt, warnJWKSCrossOrigin(f, errSt))
	if err != nil {
		return err
	}
	in.Fetcher, in.Client = fetcher, fetcher.Client
	in.NewClient = func(log *call.RedirectLog) (*http.Client, error) { return opts.net.httpClient(f, log.Record) }
	// The key source token uses, without the cache: doctor reports on
	// what the deployment serves now.
	in.KeySource = keysource.Options{BaseURL: opts.baseURL, JWKSPath: opts.jwksPath, Fetcher: fetcher, Revalidate: true}
	resolved, err := keysource.Resolve(in.KeySource, "")
	if err != nil {
		return &usageError{err: err}
	}
	if in.Policy, err = opts.policy.policy(resolved, opts.baseURL); err != nil {
		return err
	}
	if f.IO.ErrIsTTY {
		in.Progress = func(s doctor.Step) { _ = render.DoctorProgress(f.IO.ErrOut, s, opts.strict, errSt) }
	}
	rep := doctor.Run(ctx, in)
	if ctx.Err() != nil {
		return ctx.Err()
	}
	switch opts.out.format {
	case "json":
		err = render.JSON(f.IO.Out, rep)
	case "junit":
		err = render.DoctorJUnit(f.IO.Out, rep)
	default:
		err = render.DoctorText(f.IO.Out, rep, opts.out.styles(f))
	}
	if err != nil {
		return err
	}
	switch {
	case rep.Failed():
		return errNegative
	case rep.Unavailable():
		return errUnavailable
	}
	return nil
}
