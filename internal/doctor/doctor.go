package doctor

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"time"

	"github.com/baverify/baverify/internal/betterauth"
	"github.com/baverify/baverify/internal/call"
	"github.com/baverify/baverify/internal/compat"
	"github.com/baverify/baverify/internal/jwks"
	"github.com/baverify/baverify/internal/keysource"
	"github.com/baverify/baverify/internal/probe"
	"github.com/baverify/baverify/internal/verify"
)

// Step IDs, in report order; a backend step is "backend" with its URL in
// Step.Backend.
const (
	StepJWKS       = "jwks"
	StepSignIn     = "sign_in"
	StepVerify     = "verify"
	StepDeployment = "deployment"
	StepBackend    = "backend"
)

// Credentials sign in the test user.
type Credentials struct {
	Email, Password string
}

// Backend is one backend route to check, and the JWT library it verifies
// with ("" when not known).
type Backend struct {
	URL     string
	Library string
}

// Options are the deployment, the inputs and the injected dependencies.
type Options struct {
	// Deployment is the Better Auth deployment (required).
	Deployment *betterauth.Deployment
	// KeySource are the key-source options of the base URL, resolved as
	// token resolves them (keysource.Resolve): once for the JWKS step, and
	// again for the verification, after the tokens were minted (Better
	// Auth may make a key when it signs).
	KeySource keysource.Options
	// Policy is the verification policy (issuer and audience default to
	// the deployment's origin).
	Policy verify.Policy
	// Fetcher fetches the JWKS again after the sign-ins (key churn).
	Fetcher *jwks.Fetcher
	// Client signs in (betterauth.SignIn copies it with a cookie jar).
	Client *http.Client
	// NewClient returns a client for one backend request, whose redirects
	// go to log.
	NewClient func(log *call.RedirectLog) (*http.Client, error)
	// Credentials are nil when none were given: the sign-in and what needs
	// a token are then not run, and NoCredentials says what is needed.
	Credentials   *Credentials
	NoCredentials string
	// Origin is sent to get-session for the CORS check ("" is the
	// deployment's origin).
	Origin   string
	Backends []Backend
	// Probe asks for a full probe of each backend (probe.Execute), with
	// the attacker listener set up as Listener says.
	Probe     bool
	Listener  probe.ListenerSetup
	Strict    bool
	Leeway    time.Duration
	Now       func() time.Time
	UserAgent string
	// Matrix is the compatibility table; nil means the embedded one.
	Matrix *compat.Matrix
	// Progress hears of each step as it finishes (nil: nobody listens).
	Progress func(Step)
}

// run is one doctor run.
type run struct {
	ctx  context.Context
	opts Options
	rep  *Report
	now  func() time.Time

	doc     *jwks.Document // the JWKS before the sign-ins; nil when it could not be read
	answer  *jwks.Document // the JWKS endpoint's answer, whatever its status (its Date)
	sess    *betterauth.Session
	tokEP   *betterauth.Answer // GET /token
	getSess *betterauth.Answer // GET /get-session, with Origin
	sessAt  time.Time          // this machine's clock when get-session answered
	tokAt   time.Time          // ... when the token endpoint answered
	token   string             // the token sent to backends
	primary *verify.Result     // the verification of token
	keys    verify.KeySource   // what primary was verified with
}

// Run checks the deployment and its backends. It always returns a report.
func Run(ctx context.Context, opts Options) *Report {
	now := opts.Now
	if now == nil {
		now = time.Now
	}
	if opts.Origin == "" && opts.Deployment != nil {
		opts.Origin = opts.Deployment.Origin()
	}
	start := now()
	r := &run{ctx: ctx, opts: opts, now: now, rep: &Report{
		BaseURL: opts.Deployment.BaseURL.String(), JWKSURL: opts.Deployment.JWKSURL(), Origin: opts.Origin,
		Strict: opts.Strict, Steps: []Step{}, StartedAt: start.UTC(),
	}}
	r.step(StepJWKS, "Discovery and JWKS", r.jwksStep)
	r.step(StepSignIn, "Sign-in and tokens", r.signInStep)
	r.step(StepVerify, "Token verification", r.verifyStep)
	r.step(StepDeployment, "Deployment", r.deploymentStep)
	for _, b := range opts.Backends {
		r.step(StepBackend, "Backend "+b.URL, func(s *Step) {
			s.Backend, s.Library = b.URL, b.Library
			r.backendStep(s, b)
		})
	}
	if len(opts.Backends) == 0 {
		// A PASS without a backend is Better Auth's alone: say so in the
		// report, not only by leaving the step out.
		r.step(StepBackend, "Backends", func(s *Step) {
			s.Checks = append(s.Checks, Check{ID: "backends", Status: Skipped,
				Message: "not checked: no --backend given; this run checked Better Auth alone",
				Hint:    "give --backend URL (a protected route of each API that verifies these tokens), repeatable"})
		})
	}
	r.rep.DurationMs = now().Sub(start).Milliseconds()
	r.rep.finish()
	return r.rep
}

// step runs one step, times it, and tells Progress.
func (r *run) step(id, title string, do func(*Step)) {
	if r.ctx.Err() != nil {
		return
	}
	s := Step{ID: id, Title: title, Checks: []Check{}}
	start := r.now()
	do(&s)
	s.DurationMs = r.now().Sub(start).Milliseconds()
	s.Status = stepStatus(s.Checks)
	r.rep.Steps = append(r.rep.Steps, s)
	if r.opts.Progress != nil && r.ctx.Err() == nil {
		r.opts.Progress(s)
	}
}

func (s *Step) add(c Check) { s.Checks = append(s.Checks, c) }

func notRun(id, why string) Check { return Check{ID: id, Status: NotRun, Message: "not run: " + why} }

// jwksStep fetches the JWKS where the deployment serves it and lints it as
// `baverify jwks --strict` does.
func (r *run) jwksStep(s *Step) {
	res, err := keysource.Resolve(r.opts.KeySource, "")
	if err != nil {
		s.add(notRun("jwks_fetch", err.Error()))
		s.add(notRun("jwks_lint", "needs the JWKS"))
		return
	}
	src, ok := res.Keys.(keysource.DocumentSource)
	if !ok {
		s.add(notRun("jwks_fetch", "no JWKS URL for this base URL"))
		s.add(notRun("jwks_lint", "needs the JWKS"))
		return
	}
	doc, err := src.Document(r.ctx)
	if err != nil {
		if r.ctx.Err() != nil {
			return
		}
		rep := jwks.Unreadable(r.rep.JWKSURL, r.now(), err)
		s.JWKS = rep
		c := Check{ID: "jwks_fetch", Status: CouldNotCheck, Message: "the JWKS could not be read: " + err.Error()}
		var se *jwks.SourceError
		if errors.As(err, &se) {
			c.Hint = se.Hint
		}
		s.add(c)
		s.add(notRun("jwks_lint", "needs the JWKS"))
		return
	}
	r.answer = doc
	lint := jwks.Lint(doc, jwks.LintOptions{Strict: true, Now: r.now(), Matrix: r.opts.Matrix})
	s.JWKS = lint
	if doc.HTTP != nil && doc.HTTP.Status != http.StatusOK {
		c := Check{ID: "jwks_fetch", Status: Fail,
			Message: fmt.Sprintf("GET %s answered HTTP %d, not 200", r.rep.JWKSURL, doc.HTTP.Status),
			Hint:    jwks.StatusHint(doc.HTTP.Status)}
		if remote, ok := res.Keys.(*keysource.Remote); ok && doc.HTTP.Status == http.StatusNotFound {
			if alt := keysource.FindAlternative(r.ctx, remote.Fetcher, remote.URL, r.rep.BaseURL); alt != nil {
				c.Hint = "a JWKS is served at " + alt.JWKSURL + ": give --base-url (and --jwks-path) that lead there"
				if alt.BaseURL != "" {
					c.Hint = "a JWKS is served at " + alt.JWKSURL + ": use --base-url " + alt.BaseURL
				}
			}
		}
		s.add(c)
		s.add(notRun("jwks_lint", "needs a JWKS answer (HTTP 200)"))
		return
	}
	r.doc = doc
	fetched := fmt.Sprintf("GET %s answered 200 with %s", r.rep.JWKSURL, plural(len(lint.Keys), "key"))
	if doc.HTTP != nil {
		fetched += fmt.Sprintf(" in %d ms", doc.HTTP.LatencyMs)
	}
	s.add(Check{ID: "jwks_fetch", Status: Pass, Message: fetched})
	s.add(lintCheck(lint))
}

// lintCheck sums the lint up: a fail on an error finding or (as with
// --strict) a warning; info findings are evidence.
func lintCheck(rep *jwks.Report) Check {
	c := Check{ID: "jwks_lint", Status: Pass}
	var worst []string
	for _, f := range rep.Findings {
		line := string(f.Severity) + ": " + f.Code + ": " + f.Message
		c.Evidence = append(c.Evidence, line)
		if f.Severity != jwks.SeverityInfo {
			worst = append(worst, f.Code)
			if c.Hint == "" {
				c.Hint = f.Hint
			}
		}
	}
	errs, warns := rep.Count(jwks.SeverityError), rep.Count(jwks.SeverityWarning)
	switch {
	case errs+warns > 0:
		c.Status = Fail
		c.Message = fmt.Sprintf("the JWKS fails the lint of `baverify jwks --strict`: %s, %s (%s)",
			plural(errs, "error"), plural(warns, "warning"), joinComma(worst))
	default:
		c.Message = "the JWKS passes the lint of `baverify jwks --strict`"
		if n := rep.Count(jwks.SeverityInfo); n > 0 {
			c.Message += " (" + plural(n, "note") + ")"
		}
	}
	return c
}
