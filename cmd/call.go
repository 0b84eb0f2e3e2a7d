package cmd

import (
	"io"

	"github.com/spf13/cobra"

	"github.com/baverify/baverify/internal/call"
	"github.com/baverify/baverify/internal/jwks"
	"github.com/baverify/baverify/internal/keysource"
	"github.com/baverify/baverify/internal/render"
	"github.com/baverify/baverify/internal/verify"
)

type callOptions struct {
	out    outputFlags
	net    networkFlags
	keys   keySourceFlags
	policy policyFlags
	tokenToSend

	url       string
	method    string
	headers   []string
	data      string
	jsonBody  string
	expect    string
	include   bool
	showToken bool
	noToken   bool
	backend   string
	quiet     bool
}

func newCallCmd(f *Factory) *cobra.Command {
	return newCallCmdWith(f, nil)
}

func newCallCmdWith(f *Factory, runF func(*cobra.Command, *callOptions) error) *cobra.Command {
	opts := &callOptions{}
	c := &cobra.Command{
		Use:   "call URL",
		Short: "Call a protected API with a Better Auth JWT and explain its answer",
		Long: `Send one request to a protected API with "Authorization: Bearer <token>", show
the answer, and explain it against a local verification of the same token.

The token comes from --token (a value, or - for stdin), --token-file or
BAVERIFY_TOKEN, or --login (sign in first, with login's flags); --no-token
sends none. When a key source is known (--base-url, --jwks, or discovery
through the token's iss), the token is verified before the call.

The diagnosis only says what the evidence shows: a 2xx for a token that
fails verification is a security finding (backend_accepted_invalid_token);
a 401/403 for a valid token lists what the token carries that backends check
(iss, aud, alg, kid, times) and echoes the backend's own message; a 5xx is
the backend failing on a good token, with the likely cause when it fits.

The token never goes to another origin: a redirect that changes scheme, host
or port drops Authorization, and the output says so.

Exit codes: 0 the status is the expected one (--expect-status, default any
2xx) and no security finding, 1 otherwise, 2 usage error, 3 no answer
(unreachable, timeout, TLS).`,
		Example: `  baverify call https://api.example.com/api/todos --token "$TOKEN" --base-url https://app.example.com
  baverify call -X POST https://api.example.com/api/todos --json '{"title":"x"}' --login --base-url https://app.example.com --email a@example.com --password-stdin < pw.txt
  baverify call https://api.example.com/api/todos --expect-status 401,403 --no-token    # must reject anonymous calls
  baverify call -o json https://api.example.com/api/me --token "$TOKEN" | jq .diagnosis
  baverify call https://api.example.com/api/me --token "$TOKEN" --base-url https://app.example.com --backend-library python-jose   # a 500? diagnosed as python-jose`,
		Args: oneURL,
		RunE: func(c *cobra.Command, args []string) error {
			opts.url = args[0]
			opts.parsed(c)
			if runF != nil {
				return runF(c, opts)
			}
			return runCall(c, f, opts)
		},
	}
	opts.out.register(c)
	opts.net.register(c)
	opts.net.registerCacheTTL(c)
	opts.keys.register(c)
	opts.policy.register(c)
	opts.tokenToSend.register(c, "the JWT to send")
	fl := c.Flags()
	fl.StringVarP(&opts.method, "method", "X", "", "HTTP method (default GET, or POST with a body)")
	fl.StringArrayVarP(&opts.headers, "header", "H", nil, `extra request header "Name: value", repeatable`)
	fl.StringVarP(&opts.data, "data", "d", "", "request body: a string, @file, or @- for stdin (sent as is)")
	fl.StringVar(&opts.jsonBody, "json", "", "JSON request body (a string, @file or @-); sets Content-Type and Accept to application/json")
	fl.StringVar(&opts.expect, "expect-status", "", "expected status: a code (401), a class (2xx) or a list (401,403); default any 2xx")
	fl.BoolVarP(&opts.include, "include", "i", false, "show every response header, not only the usual few")
	fl.BoolVar(&opts.showToken, "show-token", false, "show the whole token in the output (default: its first 8 characters)")
	fl.BoolVar(&opts.noToken, "no-token", false, "send no token (check that the route refuses anonymous calls)")
	quietFlag(c, &opts.quiet)
	backendLibraryFlag(c, &opts.backend)
	completeMethods(c)
	return c
}

func runCall(c *cobra.Command, f *Factory, opts *callOptions) error {
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
	req, err := opts.request(f)
	if err != nil {
		return err
	}
	if !opts.noToken && req.Header.Get("Authorization") != "" {
		return usageErrorf("-H Authorization and a token: the token goes in Authorization; pass --no-token to send your own header")
	}
	errSt := opts.out.errStyles(f)
	fetcher, err := opts.net.client(f, errSt, nil)
	if err != nil {
		return err
	}

	if !opts.noToken {
		req.Token, err = opts.obtain(ctx, c, f, fetcher.Client, errSt, opts.keys.signInBaseURL(),
			"no token: give --token, --token-file, BAVERIFY_TOKEN or --login; --no-token calls without one")
		if err != nil {
			return err
		}
	}

	var result *verify.Result
	if req.Token != "" {
		if result, err = opts.verify(c, f, fetcher, errSt, req.Token); err != nil {
			return err
		}
		warnPlainHTTP(f, errSt, req.URL, "the token", "read and replay it")
	}

	// The call has a client of its own, so that only its redirects are
	// recorded.
	redirects := &call.RedirectLog{}
	hc, err := opts.net.httpClient(f, redirects.Record)
	if err != nil {
		return err
	}
	rep := call.Do(ctx, call.Options{Client: hc, Redirects: redirects, Now: f.Now, Leeway: opts.policy.leeway, LocalClockMoved: opts.policy.now != "",
		Expect: expect, BaseURL: opts.keys.baseURL, ShowToken: opts.showToken, UserAgent: userAgent(f),
		BackendLibrary: opts.backend},
		req, result)
	if ctx.Err() != nil {
		return ctx.Err()
	}
	if opts.out.json() {
		err = render.JSON(f.IO.Out, rep)
	} else {
		st := opts.out.styles(f)
		if opts.quiet {
			_, err = io.WriteString(f.IO.Out, render.CallResult(rep, st)+"\n")
		} else {
			err = render.CallText(f.IO.Out, rep, st, render.CallTextOptions{AllHeaders: opts.include, SimulatedNow: opts.policy.now != ""})
		}
	}
	if err != nil {
		return err
	}
	switch {
	case rep.Unreachable, rep.Incomplete:
		return errUnavailable
	case !rep.OK:
		return errNegative
	}
	return nil
}

// validate checks the flag combinations.
func (o *callOptions) validate(c *cobra.Command) error {
	if o.ways() > 1 || o.noToken && o.ways() > 0 {
		return usageErrorf("give the token one way: --token, --token-file, --login or --no-token")
	}
	if err := validateQuiet(o.quiet, &o.out); err != nil {
		return err
	}
	if err := o.validateLogin(c); err != nil {
		return err
	}
	if err := validateBackendLibrary(o.backend); err != nil {
		return err
	}
	stdin := 0
	for _, on := range append(o.readsStdin(), o.data == "@-", o.jsonBody == "@-", o.keys.jwks == "-") {
		if on {
			stdin++
		}
	}
	if stdin > 1 {
		return usageErrorf("stdin can feed only one of -d @-, --json @-, --token -, --password-stdin and --jwks -")
	}
	return nil
}

// request builds the request from the flags.
func (o *callOptions) request(f *Factory) (call.Request, error) {
	req, err := call.Build(call.Spec{URL: o.url, Method: o.method, Headers: o.headers, Data: o.data, JSON: o.jsonBody}, f.IO.In)
	if err != nil {
		return req, &usageError{err: err}
	}
	return req, nil
}

// verify checks the token before the call, exactly as the token command
// does: the key source from the flags or the token's iss, the policy flags.
func (o *callOptions) verify(c *cobra.Command, f *Factory, fetcher *jwks.Fetcher, errSt render.Styles, raw string) (*verify.Result, error) {
	result, _, err := verifyBeforeSending(c, f, &o.net, &o.keys, &o.policy, fetcher, errSt, raw)
	return result, err
}

// verifyBeforeSending verifies a token that is about to be sent (call,
// probe) and returns the key source it used.
func verifyBeforeSending(c *cobra.Command, f *Factory, net *networkFlags, keys *keySourceFlags, policy *policyFlags,
	fetcher *jwks.Fetcher, errSt render.Styles, raw string) (*verify.Result, *keysource.Resolved, error) {
	clock, err := policy.clock(f)
	if err != nil {
		return nil, nil, err
	}
	ko := net.cached(f, errSt, keys.options(f, fetcher))
	// The backend's answer is judged against keys the server sends or
	// confirms now: a cached copy may be what the deployment no longer
	// publishes. If the server cannot be asked, a stale copy still gives
	// the local verdict, and the diagnosis says it cannot judge.
	ko.Revalidate, ko.AllowStale = true, true
	resolved, err := keysource.Resolve(ko, keys.issuerToDiscover(raw))
	if err != nil {
		return nil, nil, &usageError{err: err}
	}
	v := &verify.Verifier{Now: clock, Keys: resolved.Keys}
	if v.Policy, err = policy.policy(resolved, keys.baseURL); err != nil {
		return nil, nil, err
	}
	result := v.Verify(c.Context(), raw)
	if err := c.Context().Err(); err != nil {
		return nil, nil, err
	}
	return result, resolved, nil
}
