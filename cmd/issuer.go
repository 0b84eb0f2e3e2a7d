package cmd

import (
	"context"
	"encoding/json"
	"fmt"
	"net"
	"os"
	"os/signal"
	"strings"
	"syscall"
	"time"

	"github.com/spf13/cobra"

	"github.com/baverify/baverify/internal/betterauth"
	"github.com/baverify/baverify/internal/httpclient"
	"github.com/baverify/baverify/internal/issuer"
)

func newIssuerCmd(f *Factory) *cobra.Command {
	c := &cobra.Command{
		Use:   "issuer",
		Short: "A local Better Auth-compatible issuer for backend test suites (a test double)",
		Long: `A stand-in for a Better Auth deployment's jwt plugin, for the test suites of
backends that verify Better Auth JWTs: it serves /api/auth/jwks as Better
Auth 1.7 does (member order, headers, kid format, lazy key rotation with a
grace period) and mints tokens with Better Auth's default claims, valid ones
and every kind of invalid one, with any of the five algorithms.

It is a test double: its keys are its own and its iss/aud are its own base
URL, so a backend configured for a real deployment accepts nothing it signs.
It listens on 127.0.0.1 unless told otherwise. See docs/issuer.md.`,
		Example: `  # serve; the ready line gives the base URL, JWKS and mint URLs
  baverify issuer serve --alg ES256 -o json

  # a token from the running issuer, for a test script
  TOKEN=$(baverify issuer mint --base-url http://127.0.0.1:PORT --exp=-1m)

  # pinned keys: make them once, serve and mint with them
  baverify issuer keys --alg RS256 > keys.json
  baverify issuer serve --keys keys.json --listen 127.0.0.1:4455
  baverify issuer mint --keys keys.json --base-url http://127.0.0.1:4455 --aud other`,
		Args: noArgs,
	}
	c.AddCommand(newIssuerServeCmd(f), newIssuerMintCmd(f), newIssuerKeysCmd(f))
	return c
}

// ---- serve

type issuerServeOptions struct {
	out         outputFlags
	listen      string
	allowRemote bool
	baseURL     string
	basePath    string
	jwksPath    string
	alg         string
	keys        string
	writeKeys   string
	rotateEvery time.Duration
	grace       time.Duration
	issuer      string
	audience    []string
	expiration  string
	sub, email  string
	name        string
	algSet      bool
	basePathSet bool
}

func newIssuerServeCmd(f *Factory) *cobra.Command {
	opts := &issuerServeOptions{}
	c := &cobra.Command{
		Use:   "serve",
		Short: "Serve a JWKS, /token, /get-session and a mint route as Better Auth does",
		Long: `Serve, under the auth base path (/api/auth):
  GET  /jwks             the JWKS, as Better Auth 1.7 sends it (--jwks-path)
  GET  /token            {"token": JWT} for a request with any Better Auth
                         session cookie (better-auth.session_token), else 401
  GET  /get-session      the session and a set-auth-jwt header, for any
                         session cookie; null without one
  POST /baverify/mint    a token as asked (JSON, see docs/issuer.md)

The key for --alg is made on first use, as Better Auth makes it (at start
with --write-keys, which saves it), or loaded from --keys (baverify issuer
keys writes one). iss and aud are the origin of the base URL, as Better Auth
derives them, unless --issuer and --audience say otherwise. --rotate-every
and --grace rotate as Better Auth does: lazily, at the first signing after a
key expired; an expired key stays in the JWKS until expiry plus grace.

One ready line goes to stdout once the issuer listens (-o json: an object
with port, baseURL, jwksURL, issuer, audience, mintURL). SIGTERM stops it
(exit 0), Ctrl-C too (exit 130). It listens on loopback only unless
--allow-remote.`,
		Example: `  baverify issuer serve
  baverify issuer serve --alg RS256 --listen 127.0.0.1:4455 -o json
  baverify issuer serve --keys keys.json --rotate-every 1h --grace 10m
  baverify issuer serve --base-path /custom/auth --jwks-path /.well-known/jwks.json`,
		Args: noArgs,
		RunE: func(c *cobra.Command, _ []string) error {
			opts.algSet = c.Flags().Changed("alg")
			opts.basePathSet = c.Flags().Changed("base-path")
			return runIssuerServe(c.Context(), f, opts)
		},
	}
	opts.out.register(c)
	fl := c.Flags()
	fl.StringVar(&opts.listen, "listen", "127.0.0.1:0", "`HOST:PORT` to listen on (port 0: any free port)")
	fl.BoolVar(&opts.allowRemote, "allow-remote", false, "allow a --listen address that is not loopback (anyone who reaches it can mint tokens)")
	fl.StringVar(&opts.baseURL, "base-url", "", "the baseURL the issuer says it is (iss/aud origin, route prefix); default http://LISTEN plus --base-path")
	fl.StringVar(&opts.basePath, "base-path", "/api/auth", "the auth routes' prefix, Better Auth's basePath")
	fl.StringVar(&opts.jwksPath, "jwks-path", "/jwks", "Better Auth's jwks.jwksPath, relative to the base path")
	fl.StringVar(&opts.alg, "alg", issuer.DefaultAlg, "algorithm of the keys made: "+orList(issuer.Algs()))
	fl.StringVar(&opts.keys, "keys", "", "`FILE` of private JWKs to serve instead of new keys (the last one signs)")
	fl.StringVar(&opts.writeKeys, "write-keys", "", "write the keys made at start to `FILE` (private keys, mode 0600) for mint --keys")
	fl.DurationVar(&opts.rotateEvery, "rotate-every", 0, "Better Auth's jwks.rotationInterval, e.g. 1h (0: no rotation)")
	fl.DurationVar(&opts.grace, "grace", 0, "Better Auth's jwks.gracePeriod (default 720h, 30 days)")
	fl.StringVar(&opts.issuer, "issuer", "", "jwt.issuer: the iss of every token (default: the base URL's origin)")
	fl.StringArrayVar(&opts.audience, "audience", nil, "jwt.audience, repeatable (default: the base URL's origin)")
	fl.StringVar(&opts.expiration, "expiration-time", "15m", "jwt.expirationTime: the lifetime of a token")
	fl.StringVar(&opts.sub, "sub", issuer.DefaultUserID, "the session user's id (sub)")
	fl.StringVar(&opts.email, "email", issuer.DefaultUserEmail, "the session user's email")
	fl.StringVar(&opts.name, "name", issuer.DefaultUserName, "the session user's name")
	_ = c.RegisterFlagCompletionFunc("alg", cobra.FixedCompletions(issuer.Algs(), cobra.ShellCompDirectiveNoFileComp))
	return c
}

// readKeysFile loads a keys file (a usage error when it cannot).
func readKeysFile(path string, now time.Time) ([]*issuer.Key, error) {
	data, err := os.ReadFile(path)
	if err != nil {
		return nil, usageErrorf("--keys: %v", err)
	}
	keys, err := issuer.LoadKeys(data, now)
	if err != nil {
		return nil, usageErrorf("--keys %s: %v", path, err)
	}
	return keys, nil
}

func runIssuerServe(ctx context.Context, f *Factory, opts *issuerServeOptions) error {
	if err := opts.out.validate(); err != nil {
		return err
	}
	life, err := issuer.ParseSpan(opts.expiration)
	if err != nil || life == 0 {
		return usageErrorf("--expiration-time %q: want a span such as 15m or 1h", opts.expiration)
	}
	if opts.rotateEvery < 0 || opts.grace < 0 {
		return usageErrorf("--rotate-every and --grace must not be negative")
	}
	if !strings.HasPrefix(opts.basePath, "/") || strings.Contains(opts.basePath, "..") || strings.Trim(opts.basePath, "/") == "" {
		return usageErrorf("--base-path %q: must start with /, name a path and not contain .. (a baseURL without a path serves /api/auth)", opts.basePath)
	}
	if opts.keys != "" && opts.writeKeys != "" {
		return usageErrorf("--write-keys writes new keys; with --keys the keys are already in a file")
	}
	now := f.Now()
	var keys []*issuer.Key
	alg := opts.alg
	if opts.keys != "" {
		if keys, err = readKeysFile(opts.keys, now); err != nil {
			return err
		}
		if !opts.algSet {
			alg = "" // the newest key's
		}
	} else {
		if _, err := issuer.ParseAlg(alg); err != nil {
			return usageErrorf("--alg: %v", err)
		}
		// Without --write-keys the first key is made as Better Auth makes
		// it, on first use, so that the issuer is ready at once (an RSA key
		// takes a few hundred milliseconds); Prepare below starts it.
		if opts.writeKeys != "" {
			k, err := issuer.GenerateKey(alg, now)
			if err != nil {
				return err
			}
			keys = []*issuer.Key{k}
		}
	}
	if opts.writeKeys != "" {
		b, err := issuer.MarshalPrivate(keys)
		if err != nil {
			return err
		}
		if err := os.WriteFile(opts.writeKeys, append(b, '\n'), 0o600); err != nil {
			return usageErrorf("--write-keys: %v", err)
		}
	}
	ks, err := issuer.NewKeySet(keys, issuer.KeySetOptions{
		Alg: alg, Rotation: issuer.Rotation{Every: opts.rotateEvery, Grace: opts.grace}, Now: f.Now,
	})
	if err != nil {
		return usageErrorf("%v", err)
	}

	ctx, stop := f.interruptible(ctx)
	defer stop()
	// SIGTERM (a test harness, a container runtime) is a clean stop: exit 0.
	terminated := func() bool { return false }
	if f.Interrupt != nil { // a real run; tests cancel ctx instead
		termCtx, stopTerm := signal.NotifyContext(ctx, syscall.SIGTERM)
		defer stopTerm()
		parent := ctx
		ctx = termCtx
		terminated = func() bool { return termCtx.Err() != nil && parent.Err() == nil }
	}
	if host, _, err := net.SplitHostPort(opts.listen); err == nil && opts.baseURL == "" && opts.allowRemote {
		if ip := net.ParseIP(host); host == "" || (ip != nil && ip.IsUnspecified()) {
			return usageErrorf("--listen %s: give --base-url, the URL backends reach the issuer at (it is the tokens' iss and aud)", opts.listen)
		}
	}
	ln, err := issuer.Listen(ctx, opts.listen, opts.allowRemote)
	if err != nil {
		return usageErrorf("--listen: %v", err)
	}
	defer ln.Close()
	baseURL := opts.baseURL
	if baseURL == "" {
		baseURL = issuer.BaseURLFor(ln, opts.basePath)
	} else if opts.basePathSet {
		return usageErrorf("give the base path in --base-url (Better Auth reads it from the baseURL's path), not both")
	}
	srv, err := issuer.NewServer(ks, issuer.ServerOptions{
		BaseURL: baseURL, JWKSPath: opts.jwksPath,
		Issuer: opts.issuer, Audience: opts.audience, Lifetime: life,
		User: issuer.User{ID: opts.sub, Email: opts.email, Name: opts.name},
	})
	if err != nil {
		return usageErrorf("%v", err)
	}
	ready := srv.Ready(ln.Addr().(*net.TCPAddr).Port)
	if opts.out.json() {
		b, err := json.Marshal(ready)
		if err != nil {
			return err
		}
		fmt.Fprintln(f.IO.Out, string(b))
	} else {
		fmt.Fprintln(f.IO.Out, ready.Line())
	}
	// stdout may be buffered until exit; a harness waits for this line now.
	if fl, ok := f.IO.Out.(interface{ Flush() error }); ok {
		if err := fl.Flush(); err != nil {
			return err
		}
	}
	go ks.Prepare()
	err = issuer.Serve(ctx, ln, srv.Handler())
	switch {
	case terminated():
		return nil
	case ctx.Err() != nil:
		return ctx.Err()
	}
	return err
}

// ---- mint

type issuerMintOptions struct {
	out     outputFlags
	baseURL string
	keys    string
	timeout time.Duration
	sub     string
	exp     string
	nbf     string
	iat     string
	iss     string
	aud     []string
	claims  []string
	noExp   bool
	noIss   bool
	noAud   bool
	noUser  bool
	kid     string
	newKey  bool
	retire  bool
}

func newIssuerMintCmd(f *Factory) *cobra.Command {
	opts := &issuerMintOptions{}
	c := &cobra.Command{
		Use:   "mint",
		Short: "Print a token from a running issuer (--base-url) or a keys file (--keys)",
		Long: `Print one token, alone on stdout, so that TOKEN=$(baverify issuer mint ...)
works in any test script (-o json: {"token": JWT}, as the mint route answers).

With --base-url alone, the running issuer there mints it (POST to its
/baverify/mint route). With --keys, baverify signs it itself with the last
key of the file (or --kid); --base-url then only gives the default iss and
aud (its origin, as Better Auth derives them).

The claims are Better Auth's defaults (iat, the test user's name, email,
emailVerified, createdAt, updatedAt, id, sub, exp = iat + 15m, iss, aud),
changed by the flags: every invalid kind a backend must refuse is one flag.`,
		Example: `  baverify issuer mint --base-url "$ISSUER"                    # valid
  baverify issuer mint --base-url "$ISSUER" --exp=-1m           # expired a minute ago
  baverify issuer mint --base-url "$ISSUER" --nbf 5m            # not valid yet
  baverify issuer mint --base-url "$ISSUER" --aud https://other.example
  baverify issuer mint --base-url "$ISSUER" --iss https://other.example
  baverify issuer mint --base-url "$ISSUER" --no-exp
  baverify issuer mint --base-url "$ISSUER" --sub user-42 --claim role='"admin"' --claim admin=true
  baverify issuer mint --keys keys.json --base-url http://127.0.0.1:4455
  # a key taken out of the JWKS: the backend must refuse its tokens
  NEW=$(baverify issuer mint --base-url "$ISSUER" --new-key)   # accepted: the key is published
  KID=$(baverify token --output json --base-url "$ISSUER" "$NEW" | jq -r .header.kid)
  baverify issuer mint --base-url "$ISSUER" --kid "$KID" --retire # refused once the backend's key cache expires`,
		Args: noArgs,
		RunE: func(c *cobra.Command, _ []string) error {
			return runIssuerMint(c.Context(), f, opts)
		},
	}
	opts.out.register(c)
	fl := c.Flags()
	fl.StringVar(&opts.baseURL, "base-url", "", "the issuer's base URL (its ready line gives it)")
	fl.StringVar(&opts.keys, "keys", "", "`FILE` of private JWKs: sign here instead of asking a running issuer")
	fl.DurationVar(&opts.timeout, "timeout", 10*time.Second, "bound on the request to a running issuer")
	fl.StringVar(&opts.sub, "sub", "", "sub and the user's id (default: the issuer's test user)")
	fl.StringVar(&opts.exp, "exp", "", "exp relative to iat: 15m, 1h, -1m (expired) (default: the issuer's expiration time)")
	fl.StringVar(&opts.nbf, "nbf", "", "add nbf relative to now: 5m (not valid yet)")
	fl.StringVar(&opts.iat, "iat", "", "move iat relative to now: -1h")
	fl.StringVar(&opts.iss, "iss", "", "iss instead of the issuer's")
	fl.StringArrayVar(&opts.aud, "aud", nil, "aud instead of the issuer's, repeatable (several: an array)")
	fl.StringArrayVar(&opts.claims, "claim", nil, "`NAME=VALUE` to add or replace; VALUE is JSON when it parses (true, 42, [\"a\"]), else a string; repeatable")
	fl.BoolVar(&opts.noExp, "no-exp", false, "leave exp out")
	fl.BoolVar(&opts.noIss, "no-iss", false, "leave iss out")
	fl.BoolVar(&opts.noAud, "no-aud", false, "leave aud out")
	fl.BoolVar(&opts.noUser, "no-user", false, "leave the user's fields out (name, email, ...), keep sub")
	fl.StringVar(&opts.kid, "kid", "", "sign with this key of the set, even a rotated-out or retired one")
	fl.BoolVar(&opts.newKey, "new-key", false, "sign with a new key, published from now on, that signs nothing else unless asked for by --kid (running issuer only)")
	fl.BoolVar(&opts.retire, "retire", false, "take the key (--kid's, else the signing key) out of the JWKS at once, and sign with it (running issuer only)")
	return c
}

// mintRequest turns the flags into a mint request.
func (o *issuerMintOptions) mintRequest() (issuer.MintRequest, error) {
	req := issuer.MintRequest{
		Sub: o.sub, Exp: o.exp, Nbf: o.nbf, Iat: o.iat, Iss: o.iss, Aud: o.aud,
		NoExp: o.noExp, NoIss: o.noIss, NoAud: o.noAud, NoUser: o.noUser, Kid: o.kid,
		NewKey: o.newKey, Retire: o.retire,
	}
	if o.newKey && o.kid != "" {
		return req, usageErrorf("--new-key and --kid: choose one (a new key has no kid yet)")
	}
	if o.newKey && o.retire {
		return req, usageErrorf("--new-key and --retire: a key retired as it is made was never published; mint with --new-key, then --retire --kid KID")
	}
	if (o.newKey || o.retire) && o.keys != "" {
		return req, usageErrorf("--new-key and --retire change the JWKS a running issuer serves: give its --base-url, not --keys")
	}
	for name, v := range map[string]string{"--exp": o.exp, "--nbf": o.nbf, "--iat": o.iat} {
		if v == "" {
			continue
		}
		if _, err := issuer.ParseSpan(v); err != nil {
			return req, usageErrorf("%s: %v", name, err)
		}
	}
	if o.noExp && o.exp != "" {
		return req, usageErrorf("--exp and --no-exp: choose one")
	}
	if o.noIss && o.iss != "" {
		return req, usageErrorf("--iss and --no-iss: choose one")
	}
	if o.noAud && len(o.aud) > 0 {
		return req, usageErrorf("--aud and --no-aud: choose one")
	}
	for _, kv := range o.claims {
		name, value, ok := strings.Cut(kv, "=")
		if !ok || name == "" {
			return req, usageErrorf("--claim %q: want NAME=VALUE", kv)
		}
		raw := json.RawMessage(value)
		if !json.Valid(raw) {
			raw, _ = json.Marshal(value)
		}
		if req.Claims == nil {
			req.Claims = map[string]json.RawMessage{}
		}
		req.Claims[name] = raw
	}
	return req, nil
}

func runIssuerMint(ctx context.Context, f *Factory, opts *issuerMintOptions) error {
	if err := opts.out.validate(); err != nil {
		return err
	}
	req, err := opts.mintRequest()
	if err != nil {
		return err
	}
	var tok string
	switch {
	case opts.keys != "":
		tok, err = mintFromKeys(f, opts, req)
	case opts.baseURL != "":
		ctx, stop := f.interruptible(ctx)
		defer stop()
		client, cerr := f.HTTPClient(httpclient.Options{Timeout: opts.timeout})
		if cerr != nil {
			return usageErrorf("%v", cerr)
		}
		tok, err = issuer.MintRemote(ctx, client, opts.baseURL, req)
	default:
		return usageErrorf("give --base-url (a running issuer) or --keys FILE (sign here)")
	}
	if err != nil {
		return err
	}
	if opts.out.json() {
		b, err := json.Marshal(struct {
			Token string `json:"token"`
		}{tok})
		if err != nil {
			return err
		}
		fmt.Fprintln(f.IO.Out, string(b))
		return nil
	}
	fmt.Fprintln(f.IO.Out, tok)
	return nil
}

func mintFromKeys(f *Factory, opts *issuerMintOptions, req issuer.MintRequest) (string, error) {
	now := f.Now()
	keys, err := readKeysFile(opts.keys, now)
	if err != nil {
		return "", err
	}
	ks, err := issuer.NewKeySet(keys, issuer.KeySetOptions{Now: f.Now})
	if err != nil {
		return "", usageErrorf("%v", err)
	}
	d := issuer.Defaults{User: issuer.DefaultUser()}
	if opts.baseURL != "" {
		dep, err := betterauth.ParseBaseURL(opts.baseURL, "")
		if err != nil {
			return "", usageErrorf("--base-url: %v", err)
		}
		d.Issuer, d.Audience = dep.Origin(), []string{dep.Origin()}
	}
	if (d.Issuer == "" && req.Iss == "" && !req.NoIss) || (len(d.Audience) == 0 && len(req.Aud) == 0 && !req.NoAud) {
		return "", usageErrorf("with --keys, give --base-url (iss and aud are its origin) or --iss and --aud")
	}
	tok, err := ks.MintRequest(req, d)
	if err != nil {
		return "", usageErrorf("%v", err)
	}
	return tok, nil
}

// ---- keys

func newIssuerKeysCmd(f *Factory) *cobra.Command {
	var alg string
	var count int
	c := &cobra.Command{
		Use:   "keys",
		Short: "Print new private keys (a JWK set) for issuer serve --keys and mint --keys",
		Long: `Print a JWK set of new private keys, made as Better Auth makes them (the kid is
32 characters of [A-Za-z0-9]), for a test suite to pin: serve --keys uses
them (the last one signs), mint --keys signs with them. They are test keys:
keep them out of any real deployment.`,
		Example: `  baverify issuer keys > keys.json
  baverify issuer keys --alg ES512 --count 2 > keys.json`,
		Args: noArgs,
		RunE: func(_ *cobra.Command, _ []string) error {
			a, err := issuer.ParseAlg(alg)
			if err != nil {
				return usageErrorf("--alg: %v", err)
			}
			if count < 1 || count > 16 {
				return usageErrorf("--count must be 1 to 16")
			}
			var keys []*issuer.Key
			for range count {
				k, err := issuer.GenerateKey(a, f.Now())
				if err != nil {
					return err
				}
				keys = append(keys, k)
			}
			b, err := issuer.MarshalPrivate(keys)
			if err != nil {
				return err
			}
			fmt.Fprintln(f.IO.Out, string(b))
			return nil
		},
	}
	c.Flags().StringVar(&alg, "alg", issuer.DefaultAlg, "algorithm: "+orList(issuer.Algs()))
	c.Flags().IntVar(&count, "count", 1, "how many keys (the last one signs)")
	_ = c.RegisterFlagCompletionFunc("alg", cobra.FixedCompletions(issuer.Algs(), cobra.ShellCompDirectiveNoFileComp))
	return c
}
