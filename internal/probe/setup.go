package probe

import (
	"context"
	"fmt"
	"net"
	"net/http"
	"net/url"
	"strings"
	"time"

	"github.com/baverify/baverify/internal/call"
	"github.com/baverify/baverify/internal/httpclient"
	"github.com/baverify/baverify/internal/verify"
)

// DefaultListen is where the attacker listener binds unless told: loopback
// and a free port.
const DefaultListen = "127.0.0.1:0"

// ListenerSetup says where the attacker listener binds and how the backend
// reaches it.
type ListenerSetup struct {
	// Listen is HOST:PORT (port 0: a free one); "" is DefaultListen.
	Listen string
	// URL is where the backend reaches the listener (a tunnel, say); ""
	// means http://<the address it listens on>.
	URL string
	// Grace is how long it stays open after the last answer; 0 is
	// DefaultListenerGrace, a negative value none.
	Grace time.Duration
}

// Setup is everything a probe needs, as plain values: what `baverify
// probe` gets from its flags, and what another command that probes a
// backend passes in.
type Setup struct {
	// The request every case is sent as.
	Method string
	URL    string
	Header http.Header // extra headers; never Authorization
	// Expect is the status the genuine token must get (default 2xx).
	Expect call.Expectation

	// Token is the genuine compact JWS, and Result its local verification
	// (nil: none was possible).
	Token  string
	Result *verify.Result
	// Keys and Policy are what Result was verified with; the deployment
	// tokens are checked against the same.
	Keys   verify.KeySource
	Policy verify.Policy
	// Now is the clock of the verifications.
	Now func() time.Time

	// Deployment are tokens only the deployment can sign, by kind; each is
	// checked locally before it is sent.
	Deployment map[Kind]DeploymentToken
	// Rotation lets rotated_key_token be sent (a running issuer, probe
	// --mint-from URL); nil leaves the case out.
	Rotation *KeyRotation

	Listener ListenerSetup
	// Secrets are tried by hmac_weak_secret after the built-in ones
	// (--hmac-secrets); at most MaxExtraSecrets.
	Secrets []Secret

	// NewClient returns the HTTP client for one case, whose redirects go
	// to log; the client drops Authorization on any change of origin.
	NewClient func(log *call.RedirectLog) (*http.Client, error)
	// BaseURL (the deployment's), UserAgent and BackendLibrary are passed
	// to the diagnosis of a refused genuine token.
	BaseURL        string
	UserAgent      string
	BackendLibrary string
	Concurrency    int
	Strict         bool
	RequireAll     bool
}

// SetupError is a Setup value that cannot be probed with: a deployment
// token that is not what its kind says, an address the listener cannot
// bind. Field names what was given ("--expired-token").
type SetupError struct {
	Field string
	Err   error
}

func (e *SetupError) Error() string { return e.Field + ": " + e.Err.Error() }
func (e *SetupError) Unwrap() error { return e.Err }

func setupErrorf(field, format string, args ...any) error {
	return &SetupError{Field: field, Err: fmt.Errorf(format, args...)}
}

// Plan is a probe ready to run: the cases forged, the listener started.
type Plan struct {
	opts     Options
	cases    []Case
	genuine  *verify.Result
	listener *Listener
	// notRun says why nothing will be sent.
	notRun string
}

// Prepare checks what s gives, starts the attacker listener when the
// backend can reach it, and forges every case. It sends nothing to the
// backend. A token that cannot be probed with is not an error: the plan's
// Run reports why it sent nothing. The caller runs the plan, or closes it.
func Prepare(ctx context.Context, s Setup) (*Plan, error) {
	p := &Plan{genuine: s.Result, opts: Options{
		Method: s.Method, URL: s.URL, Header: s.Header, NewClient: s.NewClient, Now: s.Now, Expect: s.Expect,
		BaseURL: s.BaseURL, UserAgent: s.UserAgent, Leeway: s.Policy.Leeway, BackendLibrary: s.BackendLibrary,
		Concurrency: s.Concurrency, Strict: s.Strict, RequireAll: s.RequireAll, ListenerGrace: s.Listener.Grace,
	}}
	if p.opts.ListenerGrace == 0 {
		p.opts.ListenerGrace = DefaultListenerGrace
	}
	if len(s.Secrets) > MaxExtraSecrets {
		return nil, setupErrorf("--hmac-secrets", "%d secrets, at most %d (each is three requests to the backend)", len(s.Secrets), MaxExtraSecrets)
	}
	if s.Header.Get("Authorization") != "" {
		return nil, setupErrorf("-H Authorization", "the probe sets Authorization itself, for every case")
	}
	if p.notRun = NotProbeable(s.Result); p.notRun != "" {
		return p, nil
	}
	in := Inputs{Token: s.Token, Secrets: s.Secrets, Now: s.Now, Rotation: s.Rotation}
	if s.Result != nil && s.Result.Verified {
		in.Key, in.JWK = s.Result.PublicKey, s.Result.PublicJWK
	}
	var err error
	if in.Deployment, err = checkDeployment(ctx, s); err != nil {
		return nil, err
	}
	if p.listener, err = startListener(s.Token, s.URL, s.Listener, &in); err != nil {
		return nil, err
	}
	if p.cases, err = Forge(in); err != nil {
		p.Close()
		return nil, &SetupError{Field: "the token", Err: err}
	}
	p.opts.Listener = p.listener
	return p, nil
}

// Run sends the cases and judges the answers (see the package's Run), then
// closes the listener. A plan runs once.
func (p *Plan) Run(ctx context.Context) *Report {
	if p.notRun != "" {
		rep := NewReport(p.opts.Method, p.opts.URL, p.genuine)
		rep.Strict, rep.RequireAll = p.opts.Strict, p.opts.RequireAll
		rep.NotRun = p.notRun
		return rep
	}
	defer p.Close()
	return Run(ctx, p.opts, p.cases, p.genuine)
}

// Close stops the listener of a plan that will not run.
func (p *Plan) Close() {
	if p.listener != nil {
		p.listener.Close()
		p.listener = nil
	}
}

// Cases are the cases the plan sends, in order.
func (p *Plan) Cases() []Case { return p.cases }

// Execute prepares and runs a probe: the one call a command needs.
func Execute(ctx context.Context, s Setup) (*Report, error) {
	p, err := Prepare(ctx, s)
	if err != nil {
		return nil, err
	}
	return p.Run(ctx), nil
}

// NotProbeable says why a token cannot be probed with ("" when it can): it
// does not decode, or it fails local verification for a reason other than
// "no key to check it with" (a JWKS that cannot be read, no key source).
// A forgery of an expired or foreign token is refused for that reason,
// which proves nothing.
func NotProbeable(r *verify.Result) string {
	if r == nil || r.Token == nil {
		return "the token does not decode: the probe forges its attacks from a genuine token"
	}
	for _, e := range r.Errors {
		if e.Code != verify.CodeUnverified {
			return "the token is invalid here (" + string(e.Code) + "): a forgery of an invalid token is refused for that reason, which proves nothing; get a fresh token (baverify login)"
		}
	}
	return ""
}

// checkDeployment verifies each deployment token against the genuine
// token's keys and policy, and checks it is what its kind says.
func checkDeployment(ctx context.Context, s Setup) (map[Kind]DeploymentToken, error) {
	if len(s.Deployment) == 0 {
		return nil, nil
	}
	v := &verify.Verifier{Now: s.Now, Keys: s.Keys, Policy: s.Policy}
	out := map[Kind]DeploymentToken{}
	for _, k := range kinds() {
		d, ok := s.Deployment[k.kind]
		if !ok || d.Token == "" {
			continue
		}
		if d.Source == "" {
			d.Source = k.flag
		}
		r := v.Verify(ctx, d.Token)
		if err := ctx.Err(); err != nil {
			return nil, err
		}
		if err := k.validate(r, s.Result); err != nil {
			return nil, &SetupError{Field: d.Source, Err: err}
		}
		out[k.kind] = d
	}
	for k := range s.Deployment {
		if _, ok := kindOf(k); !ok {
			return nil, setupErrorf(s.Deployment[k].Source, "probe does not know tokens of kind %q", k)
		}
	}
	return out, nil
}

// startListener starts the attacker listener, unless the backend could not
// reach it: a listener on loopback, for a backend on another host, would
// make the listener cases refused for the wrong reason. in gets the
// attacker key and URL, or why the listener cases are not tested.
func startListener(token, target string, ls ListenerSetup, in *Inputs) (*Listener, error) {
	listen := ls.Listen
	if listen == "" {
		listen = DefaultListen
	}
	host, _, err := net.SplitHostPort(listen)
	if err != nil {
		return nil, setupErrorf("--attacker-listen", "must be HOST:PORT: %v", err)
	}
	if ls.URL == "" {
		if ip := net.ParseIP(host); host == "" || (ip != nil && ip.IsUnspecified()) {
			return nil, setupErrorf("--attacker-listen", "%q listens on every address: give --attacker-url, the URL the backend reaches it at", listen)
		}
		u, _ := url.Parse(target)
		if u != nil && !httpclient.IsLoopback(u) && isLoopbackHost(host) {
			in.AttackerSkip = "the backend at " + u.Hostname() + " cannot reach the attacker listener on " + host +
				": give --attacker-listen and --attacker-url with an address it can reach"
			return nil, nil
		}
	}
	a, err := NewAttacker(token, nil)
	if err != nil {
		in.AttackerSkip = err.Error()
		return nil, nil
	}
	l, err := Listen(listen, ls.URL, a)
	if err != nil {
		return nil, &SetupError{Field: "--attacker-listen", Err: err}
	}
	in.Attacker, in.AttackerURL = a, l.Base()
	return l, nil
}

func isLoopbackHost(host string) bool {
	if strings.EqualFold(host, "localhost") {
		return true
	}
	ip := net.ParseIP(host)
	return ip != nil && ip.IsLoopback()
}
