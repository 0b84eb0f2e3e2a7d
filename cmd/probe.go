package cmd

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"os"
	"slices"
	"strings"
	"time"

	"github.com/spf13/cobra"

	"github.com/baverify/baverify/internal/betterauth"
	"github.com/baverify/baverify/internal/call"
	"github.com/baverify/baverify/internal/issuer"
	"github.com/baverify/baverify/internal/probe"
	"github.com/baverify/baverify/internal/render"
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

	requireAll     bool
	concurrency    int
	attackerListen string
	attackerURL    string
	expiredToken   string
	otherAudToken  string
	notYetToken    string
	otherIssToken  string
	hmacSecrets    string
	listenerGrace  time.Duration
	mintFrom       string
	rotatedKeyWait time.Duration
}

func newProbeCmd(f *Factory) *cobra.Command {
	opts := &probeOptions{}
	c := &cobra.Command{
		Use:   "probe URL",
		Short: "Attack a protected API with forged tokens: it must refuse every one",
		Long: `Send a protected route the genuine token, then tokens forged from it,
and check that the backend accepts the first and refuses (401 or 403) all
the others. The genuine request goes first and alone; the forgeries follow,
--concurrency at a time. The cases (docs/probe.md says what each one proves):

  genuine                 the token as issued: must be accepted (--expect-status)
  no_token, malformed     no Authorization header; "Bearer not-a-jwt"
  signature_tampered      one bit of the signature flipped
  signature_stripped      the signature segment empty
  payload_tampered        sub changed, original signature kept
  alg_none, _title, _upper, _mixed
                          alg none, None, NONE, nOnE and no signature
  hmac_public_key*, hmac_jwk_json, hmac_raw_key
                          HS256/384/512 keyed with the JWKS public key as PEM
                          (with and without its final newline), as the JWK
                          served, and as raw key bytes (algorithm confusion)
  hmac_weak_secret        HS256/384/512 under the genuine kid with guessable
                          secrets ("", "secret", ...; --hmac-secrets for more)
  unknown_kid             signed by a fresh key under a random kid (the control)
  kid_blank               HS256, empty kid, empty key
  kid_path_traversal      HS256, kid ../../dev/null, empty key
  kid_sql_injection       HS256, kid x' UNION SELECT 'baverify-probe';--
  kid_command_injection   kids that run curl against the attacker listener
  kid_url                 a kid that is a URL of the attacker listener's JWKS
  embedded_jwk, x5c_header
                          signed by a fresh key carried in "jwk" / "x5c"
  jku_header, x5u_header  signed by a fresh key the attacker listener serves,
                          which the header points at
  iss_discovery           iss set to the attacker listener, which serves a JWKS
  url_injection           each header member and claim set to a listener URL
  psychic_signature       ECDSA r = s = 0 (CVE-2022-21449), ES* tokens only
  alg_other_family        the genuine kid under RS256/ES256/EdDSA of another
                          key type: must be refused, not crash the backend
  claim_type_confusion, header_type_confusion
                          exp/iat null, jku true, kid 0, payload [] ...
  expired_token, not_yet_valid_token, other_audience_token, other_issuer_token
                          --expired-token, --not-yet-valid-token,
                          --other-audience-token, --other-issuer-token: tokens
                          of the deployment that must be refused; or
                          minted by --mint-from, a baverify issuer the
                          backend trusts (its URL or keys file)
  no_exp_token, no_aud_token
                          --mint-from only: the deployment's key without
                          exp / aud; a backend must require both
  rotated_key_token       --mint-from URL only, sent last: a token of a key
                          the issuer published when the probe began (it
                          must be accepted), then, once the issuer has taken
                          that key out of its JWKS (and --rotated-key-wait
                          has passed), a new token of it (it must be refused)

A forged token that gets a 2xx is a security failure: anyone can call the
route as anyone. Each accepted forgery is attributed to the simplest case
that explains it (unknown_kid explains kid_sql_injection), and the result
says the one thing to fix per flaw. A request that reaches the attacker
listener is a failure too (the backend fetches URLs taken from tokens: an
SSRF), even when the forgery is then refused. A refusal by a 5xx (an
unhandled error) or another 4xx is a warning (fatal with --strict). When
the genuine token is refused, the refusals prove nothing: those cases are
inconclusive. The coverage lists each check (signature, alg, kid, exp, nbf,
iss, aud, ...) tested or not, and why; --require-all makes a case not
tested a failure.

The attacker listener runs on --attacker-listen (127.0.0.1 and a free port
by default), under a random path secret of this run, and stays open
--listener-grace (2s) after the last answer to a token that names it, for
late fetches. A backend on another host cannot reach 127.0.0.1: give
--attacker-listen 0.0.0.0:PORT and --attacker-url with the address (or
tunnel) it can reach, or the listener cases are not tested.

The token is verified locally first (--base-url, --jwks, or its iss): a
probe needs a valid token, because refusing a forgery of an expired token
proves nothing. The four deployment tokens are checked the same way: each
must verify and be expired / not yet valid / for another audience / from
another issuer, and nothing else.

Forged tokens go only to URL; a redirect to another origin drops
Authorization, as in call. Run it against your own services only.

Exit codes: 0 the genuine token accepted and every tested forgery refused,
1 a forgery accepted, a URL from a token fetched, the genuine token refused,
a warning with --strict, a case not tested with --require-all, or an
invalid token, 2 usage error, 3 no answer.`,
		Example: `  baverify probe https://api.example.com/api/me --base-url https://app.example.com --token "$TOKEN"
  baverify probe https://api.example.com/api/me --login --base-url https://app.example.com --email ci@example.com --password-stdin < pw.txt
  baverify probe -o json --strict https://api.example.com/api/me --base-url https://app.example.com --token-file token.jwt | jq '.probes[] | select(.outcome != "pass")'
  baverify probe --require-all --mint-from "$ISSUER" --base-url "$ISSUER" http://127.0.0.1:8000/api/me
  baverify probe -o junit --require-all --expired-token "$EXPIRED_TOKEN" --not-yet-valid-token "$NOT_YET_VALID_TOKEN" --other-audience-token "$OTHER_AUDIENCE_TOKEN" --other-issuer-token "$OTHER_ISSUER_TOKEN" https://api.example.com/api/me --base-url https://app.example.com --token "$TOKEN" > probe.xml`,
		Args: oneURL,
		RunE: func(c *cobra.Command, args []string) error {
			opts.url = args[0]
			opts.parsed(c)
			return runProbe(c, f, opts)
		},
	}
	opts.out.register(c, "junit")
	opts.net.register(c)
	opts.net.registerCacheTTL(c)
	opts.keys.register(c)
	opts.policy.register(c)
	opts.tokenToSend.register(c, "the genuine JWT")
	fl := c.Flags()
	fl.StringVarP(&opts.method, "method", "X", "GET", "HTTP method of every probe")
	fl.StringArrayVarP(&opts.headers, "header", "H", nil, `extra request header "Name: value", repeatable (not Authorization)`)
	fl.StringVar(&opts.expect, "expect-status", "", "status the genuine token must get: a code, a class (2xx) or a list; default any 2xx")
	fl.BoolVar(&opts.strict, "strict", false, "fail on warnings too (a forgery refused by a 5xx or another 4xx)")
	fl.BoolVar(&opts.requireAll, "require-all", false, "fail when a case is not tested (for CI)")
	fl.IntVar(&opts.concurrency, "concurrency", probe.DefaultConcurrency, "forgeries in flight at once (the genuine request goes first, alone)")
	fl.StringVar(&opts.attackerListen, "attacker-listen", probe.DefaultListen, "`HOST:PORT` the attacker listener binds (port 0: a free one)")
	fl.StringVar(&opts.attackerURL, "attacker-url", "", "`URL` the backend reaches the attacker listener at (a tunnel, say); default http://<--attacker-listen>")
	fl.StringVar(&opts.expiredToken, "expired-token", "", "an expired `token` of the same deployment, which must be refused (- reads stdin)")
	fl.StringVar(&opts.otherAudToken, "other-audience-token", "", "a `token` of the same deployment for another audience, which must be refused (- reads stdin)")
	fl.StringVar(&opts.notYetToken, "not-yet-valid-token", "", "a `token` of the same deployment whose nbf is in the future, which must be refused (- reads stdin)")
	fl.StringVar(&opts.otherIssToken, "other-issuer-token", "", "a `token` signed by the same key with another iss, which must be refused (- reads stdin)")
	fl.StringVar(&opts.mintFrom, "mint-from", "", "`URL|FILE`: a baverify issuer the backend trusts (its base URL) or its keys file; probe mints the genuine token when none is given, and each deployment token not given")
	fl.DurationVar(&opts.rotatedKeyWait, "rotated-key-wait", 0, "with --mint-from URL: how long after taking its key out of the JWKS rotated_key_token is sent; longer than the backend's key cache (PyJWKClient: 5m) turns an acceptance into a failure (at most 1h)")
	fl.StringVar(&opts.hmacSecrets, "hmac-secrets", "", "`FILE` of more HMAC secrets for hmac_weak_secret, one a line (at most 1000; each is three requests)")
	fl.DurationVar(&opts.listenerGrace, "listener-grace", probe.DefaultListenerGrace, "how long the attacker listener stays open after the last answer, for late fetches (0: not at all)")
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

	var minter *issuer.Source
	if opts.mintFrom != "" {
		if minter, err = opts.openMinter(f, fetcher.Client); err != nil {
			return err
		}
	}
	var token string
	if minter != nil && opts.ways() == 0 && f.Getenv("BAVERIFY_TOKEN") == "" {
		token, err = minter.Mint(ctx, issuer.MintRequest{})
	} else {
		token, err = opts.obtain(ctx, c, f, fetcher.Client, errSt, opts.keys.signInBaseURL(),
			"no token: give --token, --token-file, BAVERIFY_TOKEN, --login or --mint-from; the probe forges its attacks from a genuine token")
	}
	if err != nil {
		return err
	}

	result, resolved, err := verifyBeforeSending(c, f, &opts.net, &opts.keys, &opts.policy, fetcher, errSt, token)
	if err != nil {
		return err
	}
	setup := probe.Setup{
		Method: req.Method, URL: req.URL, Header: req.Header, Expect: expect,
		Token: token, Result: result, Keys: resolved.Keys,
		NewClient: func(log *call.RedirectLog) (*http.Client, error) {
			return opts.net.httpClient(f, log.Record)
		},
		Listener: probe.ListenerSetup{Listen: opts.attackerListen, URL: opts.attackerURL, Grace: opts.listenerGrace},
		BaseURL:  opts.keys.baseURL, UserAgent: userAgent(f), BackendLibrary: opts.backend,
		Concurrency: opts.concurrency, Strict: opts.strict, RequireAll: opts.requireAll,
	}
	if setup.Now, err = opts.policy.clock(f); err != nil {
		return err
	}
	if setup.Policy, err = opts.policy.policy(resolved, opts.keys.baseURL); err != nil {
		return err
	}
	if setup.Deployment, err = opts.deploymentTokens(f); err != nil {
		return err
	}
	if minter != nil {
		if err := mintDeploymentTokens(ctx, minter, opts.mintFrom, setup.Deployment); err != nil {
			return err
		}
		if setup.Rotation, err = keyRotation(ctx, minter, opts.mintFrom, opts.rotatedKeyWait); err != nil {
			return err
		}
		if f.IO.ErrIsTTY {
			setup.Rotation.OnWait = func(d time.Duration) {
				fmt.Fprintf(f.IO.ErrOut, "waiting %s (--rotated-key-wait) for the backend's key cache to expire, then sending rotated_key_token…\n", d)
			}
		}
	}
	if opts.listenerGrace == 0 {
		setup.Listener.Grace = -1 // none, not the default
	}
	if opts.hmacSecrets != "" {
		if setup.Secrets, err = readSecrets(opts.hmacSecrets); err != nil {
			return err
		}
	}
	rep, err := probe.Execute(ctx, setup)
	var bad *probe.SetupError
	if errors.As(err, &bad) {
		return &usageError{err: err}
	}
	if err != nil {
		return err
	}
	if ctx.Err() != nil {
		return ctx.Err()
	}
	if err := opts.write(f, rep); err != nil {
		return err
	}
	switch {
	case rep.OK:
		return nil
	case rep.NotRun != "":
		return errNegative
	case rep.Failed > 0 || (opts.strict && rep.Warned > 0) || (opts.requireAll && rep.NotTested > 0):
		return errNegative
	case rep.Unanswered > 0:
		return errUnavailable
	}
	return errNegative
}

// deploymentTokens reads the tokens only the deployment can sign, each
// labelled with the flag it came from; probe checks them.
func (o *probeOptions) deploymentTokens(f *Factory) (map[probe.Kind]probe.DeploymentToken, error) {
	out := map[probe.Kind]probe.DeploymentToken{}
	for _, d := range []struct {
		kind        probe.Kind
		flag, value string
	}{
		{probe.KindExpired, "--expired-token", o.expiredToken},
		{probe.KindNotYetValid, "--not-yet-valid-token", o.notYetToken},
		{probe.KindOtherAudience, "--other-audience-token", o.otherAudToken},
		{probe.KindOtherIssuer, "--other-issuer-token", o.otherIssToken},
	} {
		if d.value == "" {
			continue
		}
		tok, err := readToken(f, d.value, true, "")
		if err != nil {
			return nil, usageErrorf("%s: %v", d.flag, err)
		}
		out[d.kind] = probe.DeploymentToken{Token: tok, Source: d.flag}
	}
	return out, nil
}

// openMinter opens --mint-from. A keys file signs with the expected iss
// and aud: --issuer and --audience, else the --base-url origin.
func (o *probeOptions) openMinter(f *Factory, client *http.Client) (*issuer.Source, error) {
	var d issuer.Defaults
	if o.keys.baseURL != "" {
		if dep, err := betterauth.ParseBaseURL(o.keys.baseURL, ""); err == nil {
			d.Issuer, d.Audience = dep.Origin(), []string{dep.Origin()}
		}
	}
	if o.policy.issuer != "" {
		d.Issuer = o.policy.issuer
	}
	if len(o.policy.audiences) > 0 {
		d.Audience = o.policy.audiences
	}
	if !issuer.IsIssuerURL(o.mintFrom) && (d.Issuer == "" || len(d.Audience) == 0) {
		return nil, usageErrorf("--mint-from a keys file: give --base-url (iss and aud are its origin) or --issuer and --audience")
	}
	src, err := issuer.OpenSource(client, o.mintFrom, d, f.Now)
	if err != nil {
		return nil, usageErrorf("--mint-from: %v", err)
	}
	return src, nil
}

// mintDeploymentTokens mints each deployment token probe knows and was not
// given by hand, labelled with where it came from.
func mintDeploymentTokens(ctx context.Context, src *issuer.Source, from string, out map[probe.Kind]probe.DeploymentToken) error {
	known := probe.Kinds()
	for _, inv := range issuer.InvalidKinds() {
		kind := probe.Kind(inv.Name)
		if _, given := out[kind]; given || !slices.Contains(known, kind) {
			continue
		}
		tok, err := src.Mint(ctx, inv.Request)
		if err != nil {
			return fmt.Errorf("--mint-from: %s token: %w", inv.Name, err)
		}
		out[kind] = probe.DeploymentToken{Token: tok, Source: "minted by --mint-from " + from}
	}
	return nil
}

// keyRotation wires rotated_key_token to --mint-from: a running issuer
// publishes a key for it now, before the genuine request, and takes that
// key out of its JWKS after every other case. A keys file cannot change
// what the issuer serves: the case is then not tested.
func keyRotation(ctx context.Context, src *issuer.Source, from string, wait time.Duration) (*probe.KeyRotation, error) {
	r := &probe.KeyRotation{Source: "minted by --mint-from " + from, Wait: wait}
	if !src.CanRotate() {
		r.NotTested, r.EnabledBy = "a keys file signs here and cannot take a key out of the JWKS the running issuer serves: give --mint-from the issuer's base URL", "--mint-from URL"
		return r, nil
	}
	key, err := src.NewTestKey(ctx)
	if err != nil {
		return nil, fmt.Errorf("--mint-from: a key for rotated_key_token: %w", err)
	}
	r.Token = key.Token
	r.Retire = func(ctx context.Context) error { return src.RetireKey(ctx, key.Kid) }
	r.Mint = func(ctx context.Context) (string, error) { return src.Mint(ctx, issuer.MintRequest{Kid: key.Kid}) }
	return r, nil
}

// readSecrets reads --hmac-secrets: one secret a line, blank lines and
// lines starting with # skipped. A secret is named by its line, never by
// its value: the file may hold the backend's real secret.
func readSecrets(path string) ([]probe.Secret, error) {
	b, err := os.ReadFile(path)
	if err != nil {
		return nil, usageErrorf("--hmac-secrets: %v", err)
	}
	if len(b) > 1<<20 {
		return nil, usageErrorf("--hmac-secrets: over 1 MiB")
	}
	var out []probe.Secret
	for i, line := range strings.Split(string(b), "\n") {
		line = strings.TrimSuffix(line, "\r")
		if line == "" || strings.HasPrefix(line, "#") {
			continue
		}
		out = append(out, probe.Secret{Value: []byte(line), Label: fmt.Sprintf("line %d of --hmac-secrets", i+1)})
	}
	if len(out) > probe.MaxExtraSecrets {
		return nil, usageErrorf("--hmac-secrets: %d secrets, at most %d (each is three requests to the backend)", len(out), probe.MaxExtraSecrets)
	}
	return out, nil
}

func (o *probeOptions) write(f *Factory, rep *probe.Report) error {
	switch o.out.format {
	case "json":
		return render.JSON(f.IO.Out, rep)
	case "junit":
		return render.ProbeJUnit(f.IO.Out, rep)
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
	if o.concurrency < 1 || o.concurrency > 64 {
		return usageErrorf("--concurrency must be between 1 and 64")
	}
	if o.listenerGrace < 0 || o.listenerGrace > time.Minute {
		return usageErrorf("--listener-grace must be between 0 and 1m")
	}
	if o.rotatedKeyWait < 0 || o.rotatedKeyWait > time.Hour {
		return usageErrorf("--rotated-key-wait must be between 0 and 1h")
	}
	if o.rotatedKeyWait > 0 && !issuer.IsIssuerURL(o.mintFrom) {
		return usageErrorf("--rotated-key-wait needs --mint-from with a running issuer's URL: only it can take a key out of the JWKS")
	}
	if o.attackerURL != "" {
		u, err := url.Parse(o.attackerURL)
		if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" || u.User != nil || u.RawQuery != "" || u.Fragment != "" {
			return usageErrorf("--attacker-url must be an http(s) URL without user, query or fragment")
		}
	}
	stdin := 0
	for _, on := range append(o.readsStdin(), o.keys.jwks == "-", o.expiredToken == "-", o.otherAudToken == "-", o.notYetToken == "-", o.otherIssToken == "-") {
		if on {
			stdin++
		}
	}
	if stdin > 1 {
		return usageErrorf("stdin can feed only one of --token -, --password-stdin, --jwks -, and the --*-token - flags")
	}
	return nil
}
