package cmd

import (
	"crypto"
	"net/http"

	"github.com/spf13/cobra"

	"github.com/baverify/baverify/internal/call"
	"github.com/baverify/baverify/internal/probe"
	"github.com/baverify/baverify/internal/render"
	"github.com/baverify/baverify/internal/verify"
)

type probeOptions struct {
	out    outputFlags
	net    networkFlags
	keys   keySourceFlags
	policy policyFlags
	tokenToSend

	url     string
	method  string
	headers []string
	expect  string
	strict  bool
	backend string
}

func newProbeCmd(f *Factory) *cobra.Command {
	opts := &probeOptions{}
	c := &cobra.Command{
		Use:   "probe URL",
		Short: "Attack a protected API with forged tokens: it must refuse every one",
		Long: `Send a protected route the genuine token, then tokens forged from it, one
request after the other, and check that the backend accepts the first and
refuses (401 or 403) all the others:

  genuine             the token as issued: must be accepted (--expect-status)
  no_token            no Authorization header
  malformed           "Bearer not-a-jwt"
  signature_tampered  one bit of the signature flipped
  payload_tampered    sub changed, original signature kept
  alg_none            alg "none", no signature (RFC 8725 2.1)
  hmac_public_key     HS256 keyed with the JWKS public key (algorithm confusion)
  embedded_jwk        signed by a fresh key carried in the header's "jwk"
                      (CVE-2018-0114)

A forged token that gets a 2xx is a security failure: anyone can call the
route as anyone. A refusal by a 5xx, another 4xx or a redirect is a warning
(fatal with --strict). The token is verified locally first (--base-url,
--jwks, or its iss): a probe needs a valid token, because refusing a
forgery of an expired token proves nothing. hmac_public_key needs the JWKS
key, so it is skipped without a key source.

Forged tokens go only to URL; a redirect to another origin drops
Authorization, as in call. Run it against your own services only.

Exit codes: 0 the genuine token accepted and every forgery refused, 1 a
forgery accepted, the genuine token refused, a warning with --strict, or an
invalid token, 2 usage error, 3 no answer.`,
		Example: `  baverify probe https://api.example.com/api/me --base-url https://app.example.com --token "$TOKEN"
  baverify probe https://api.example.com/api/me --login --base-url https://app.example.com --email ci@example.com --password-stdin < pw.txt
  baverify probe -o json --strict https://api.example.com/api/me --base-url https://app.example.com --token-file token.jwt | jq '.probes[] | select(.outcome != "pass")'`,
		Args: oneURL,
		RunE: func(c *cobra.Command, args []string) error {
			opts.url = args[0]
			opts.parsed(c)
			return runProbe(c, f, opts)
		},
	}
	opts.out.register(c)
	opts.net.register(c)
	opts.keys.register(c)
	opts.policy.register(c)
	opts.tokenToSend.register(c, "the genuine JWT")
	fl := c.Flags()
	fl.StringVarP(&opts.method, "method", "X", "GET", "HTTP method of every probe")
	fl.StringArrayVarP(&opts.headers, "header", "H", nil, `extra request header "Name: value", repeatable (not Authorization)`)
	fl.StringVar(&opts.expect, "expect-status", "", "status the genuine token must get: a code, a class (2xx) or a list; default any 2xx")
	fl.BoolVar(&opts.strict, "strict", false, "fail on warnings too (a forgery refused by a 5xx, another 4xx or a redirect)")
	backendLibraryFlag(c, &opts.backend)
	completeMethods(c)
	return c
}

func runProbe(c *cobra.Command, f *Factory, opts *probeOptions) error {
	ctx, stop, err := startNetworkRun(c, f, &opts.out, &opts.net)
	if err != nil {
		return err
	}
	defer stop()
	opts.keys.fromEnv(f.Getenv)
	if err := opts.validate(c); err != nil {
		return err
	}
	expect, err := call.ParseExpectation(opts.expect)
	if err != nil {
		return &usageError{err: err}
	}
	req, err := call.Build(call.Spec{URL: opts.url, Method: opts.method, Headers: opts.headers}, f.IO.In)
	if err != nil {
		return &usageError{err: err}
	}
	if req.Header.Get("Authorization") != "" {
		return usageErrorf("-H Authorization: the probe sets Authorization itself, for every case")
	}
	errSt := opts.out.errStyles(f)
	fetcher, err := opts.net.client(f, errSt, nil)
	if err != nil {
		return err
	}

	token, err := opts.obtain(ctx, c, f, fetcher.Client, errSt, opts.keys.signInBaseURL(),
		"no token: give --token, --token-file, BAVERIFY_TOKEN or --login; the probe forges its attacks from a genuine token")
	if err != nil {
		return err
	}

	result, _, err := verifyBeforeSending(c, f, &opts.net, &opts.keys, &opts.policy, fetcher, errSt, token)
	if err != nil {
		return err
	}
	rep := &probe.Report{Method: req.Method, URL: req.URL, Token: result, Probes: []probe.Result{}, Diagnosis: []call.Finding{}}
	if reason := notProbeable(result); reason != "" {
		rep.NotRun = reason
		if err := opts.write(f, rep); err != nil {
			return err
		}
		return errNegative
	}
	cases, err := probe.Forge(token, verifiedKey(result), nil)
	if err != nil {
		return &usageError{err: err}
	}
	rep = probe.Run(ctx, probe.Options{
		Method: req.Method, URL: req.URL, Header: req.Header,
		NewClient: func(log *call.RedirectLog) (*http.Client, error) {
			return opts.net.httpClient(f, log.Record)
		},
		Now: f.Now, Expect: expect, BaseURL: opts.keys.baseURL, UserAgent: userAgent(f), Leeway: opts.policy.leeway,
		BackendLibrary: opts.backend,
	}, cases, rep.Token)
	if ctx.Err() != nil {
		return ctx.Err()
	}
	if opts.strict && rep.Warned > 0 {
		rep.OK = false
	}
	if err := opts.write(f, rep); err != nil {
		return err
	}
	switch {
	case rep.Failed > 0 || (opts.strict && rep.Warned > 0):
		return errNegative
	case !rep.OK:
		return errUnavailable
	}
	return nil
}

func (o *probeOptions) write(f *Factory, rep *probe.Report) error {
	if o.out.json() {
		return render.JSON(f.IO.Out, rep)
	}
	return render.ProbeText(f.IO.Out, rep, o.out.styles(f))
}

func (o *probeOptions) validate(c *cobra.Command) error {
	if o.ways() > 1 {
		return usageErrorf("give the token one way: --token, --token-file or --login")
	}
	if err := o.validateLogin(c); err != nil {
		return err
	}
	if err := validateBackendLibrary(o.backend); err != nil {
		return err
	}
	stdin := 0
	for _, on := range append(o.readsStdin(), o.keys.jwks == "-") {
		if on {
			stdin++
		}
	}
	if stdin > 1 {
		return usageErrorf("stdin can feed only one of --token -, --password-stdin and --jwks -")
	}
	return nil
}

// notProbeable says why a token cannot be probed with: it fails local
// verification for a reason other than "no key to check it with".
func notProbeable(r *verify.Result) string {
	if r.Token == nil {
		return "the token does not decode: the probe forges its attacks from a genuine token"
	}
	// Only "no key to check it with" is tolerated (a JWKS that cannot be
	// read, no key source): an expired or foreign token is not probed with.
	for _, e := range r.Errors {
		if e.Code != verify.CodeUnverified {
			return "the token is invalid here (" + string(e.Code) + "): a forgery of an invalid token is refused for that reason, which proves nothing; get a fresh token (baverify login)"
		}
	}
	return ""
}

// verifiedKey is the public key the token's signature verified with, for
// hmac_public_key; nil when no signature was checked.
func verifiedKey(r *verify.Result) crypto.PublicKey {
	if !r.Verified {
		return nil
	}
	return r.PublicKey
}
