package doctor

import (
	"fmt"
	"net/http"
	"slices"

	"github.com/baverify/baverify/internal/call"
	"github.com/baverify/baverify/internal/compat"
	"github.com/baverify/baverify/internal/probe"
	"github.com/baverify/baverify/internal/verify"
)

// backendStep calls the backend without a token (it must refuse: 401 or
// 403), with the token (it must accept: 2xx), checks the deployment's
// algorithm against the backend library's measured rows, and probes it.
func (r *run) backendStep(s *Step, b Backend) {
	noTok := r.call(b, "", nil, "401,403")
	if noTok != nil {
		s.Calls = append(s.Calls, noTok)
	}
	s.add(anonymousCheck(noTok))

	switch {
	case r.token == "":
		s.add(notRun("valid_token", "needs a token (step sign_in)"))
	default:
		tok := r.primary
		if tok == nil {
			// Not verified (no JWKS): call says so in its diagnosis.
			tok = (&verify.Verifier{Now: r.now, Policy: r.opts.Policy}).Verify(r.ctx, r.token)
		}
		rep := r.call(b, r.token, tok, "")
		if rep != nil {
			s.Calls = append(s.Calls, rep)
		}
		s.add(validTokenCheck(rep))
	}

	s.add(r.libraryCheck(b))

	if r.opts.Probe {
		s.add(r.probeCheck(s, b))
	}
}

// call sends one GET to the backend through call.Do; nil when no client
// could be made or the run was interrupted.
func (r *run) call(b Backend, token string, tok *verify.Result, expect string) *call.Report {
	exp, err := call.ParseExpectation(expect)
	if err != nil {
		return nil
	}
	log := &call.RedirectLog{}
	hc, err := r.opts.NewClient(log)
	if err != nil {
		return &call.Report{Unreachable: true, Error: err.Error()}
	}
	rep := call.Do(r.ctx, call.Options{Client: hc, Redirects: log, Now: r.now, Leeway: r.opts.Leeway, Expect: exp,
		BaseURL: r.rep.BaseURL, UserAgent: r.opts.UserAgent, BackendLibrary: b.Library},
		call.Request{Method: http.MethodGet, URL: b.URL, Header: http.Header{}, Token: token}, tok)
	if r.ctx.Err() != nil {
		return nil
	}
	return rep
}

// unanswered fills c when rep gives no answer to judge (the run was
// interrupted, or no complete answer came to request), and says so.
func unanswered(c *Check, rep *call.Report, request string) bool {
	switch {
	case rep == nil:
		c.Status, c.Message = NotRun, "not run: interrupted"
	case rep.Unreachable || rep.Incomplete:
		c.Status, c.Message, c.Hint = CouldNotCheck, "no answer to "+request+": "+firstMessage(rep), firstHint(rep)
	default:
		return false
	}
	return true
}

// anonymousCheck: a request without a token must get 401 or 403.
func anonymousCheck(rep *call.Report) Check {
	c := Check{ID: "no_token"}
	switch {
	case unanswered(&c, rep, "a request without a token"):
	case rep.Response.Status == http.StatusUnauthorized || rep.Response.Status == http.StatusForbidden:
		c.Status = Pass
		c.Message = fmt.Sprintf("without a token the backend answers %d: the route is protected", rep.Response.Status)
	case rep.Response.Status/100 == 2:
		c.Status = Fail
		c.Message = fmt.Sprintf("without a token the backend answers %d: the route is NOT protected, anyone can call it", rep.Response.Status)
		c.Hint = "require and verify the Authorization: Bearer token on this route (a dependency such as FastAPI's HTTPBearer plus the JWT check, on every protected route)"
	default:
		c.Status = Warn
		c.Message = fmt.Sprintf("without a token the backend answers %d, not 401 or 403", rep.Response.Status)
		c.Hint = "a protected route should refuse a request without a token with 401 (or 403); a 5xx means it fails instead of refusing, a 404 or 3xx that the URL may not be the protected route"
	}
	return c
}

// validTokenCheck: the valid token must be accepted, as call judges it.
func validTokenCheck(rep *call.Report) Check {
	c := Check{ID: "valid_token"}
	switch {
	case unanswered(&c, rep, "the request with the token"):
	case rep.OK:
		c.Status = Pass
		c.Message = fmt.Sprintf("with the token the backend answers %d", rep.Response.Status)
	default:
		c.Status = Fail
		c.Message = fmt.Sprintf("with the token the backend answers %d, not 2xx", rep.Response.Status)
		// call's diagnosis: the finding call's own result line leads
		// with; the others are evidence.
		lead := call.Lead(rep.Diagnosis)
		if lead >= 0 {
			f := rep.Diagnosis[lead]
			c.Message += ": " + f.Message
			c.Hint = f.Hint
			c.Evidence = append(c.Evidence, f.Evidence...)
		}
		for i, f := range rep.Diagnosis {
			if i != lead && f.Code != call.CodeStatusMismatch {
				c.Evidence = append(c.Evidence, string(f.Code)+": "+f.Message)
			}
		}
	}
	return c
}

func firstMessage(rep *call.Report) string {
	if rep.Unreachable && rep.Error != "" {
		return rep.Error
	}
	if len(rep.Diagnosis) > 0 {
		return rep.Diagnosis[0].Message
	}
	return rep.Error
}

func firstHint(rep *call.Report) string {
	if len(rep.Diagnosis) > 0 {
		return rep.Diagnosis[0].Hint
	}
	return ""
}

// deploymentAlg is the algorithm the deployment signs with: the token's,
// else the JWKS's when all its keys share one.
func (r *run) deploymentAlg() string {
	if r.token != "" {
		if tok, err := verify.Decode(r.token); err == nil {
			if alg, _, _ := tok.Header.String("alg"); alg != "" {
				return alg
			}
		}
	}
	return ""
}

// libraryCheck compares the deployment's algorithm with the measured rows
// of the backend's library (--backend-library).
func (r *run) libraryCheck(b Backend) Check {
	c := Check{ID: "library_alg"}
	if b.Library == "" {
		c.Status = Skipped
		c.Message = "not checked: give --backend-library to check the deployment's algorithm against the library's measured rows"
		return c
	}
	alg := r.deploymentAlg()
	if alg == "" {
		return notRun("library_alg", "needs a token to know the deployment's algorithm (step sign_in)")
	}
	m := r.opts.Matrix
	if m == nil {
		m = compat.Default()
	}
	setups, err := m.Select(b.Library)
	lib := b.Library
	if canon, ok := compat.CanonicalLibrary(b.Library); ok {
		lib = canon
	}
	switch {
	case err != nil:
		c.Status = Skipped
		c.Message = "not checked: " + err.Error()
		return c
	case len(setups) == 0:
		c.Status = Skipped
		c.Message = "not checked: " + lib + " is not in the measured table yet: baverify cannot tell whether it verifies " + alg
		return c
	case !compat.Measured(alg):
		c.Status = Skipped
		c.Message = "not checked: " + alg + " is not measured"
		return c
	}
	if one := setups[0].Library; !slices.ContainsFunc(setups, func(s compat.Setup) bool { return s.Library != one }) {
		lib = one // "drf" names simplejwt's setups: say the library
	}
	cannot := m.Cannot(alg, setups)
	for _, row := range cannot {
		c.Evidence = append(c.Evidence, "measured: "+compat.RowLine(row))
	}
	byAlg := len(m.CannotAlg(alg, setups))
	switch {
	case len(cannot) == 0:
		c.Status = Pass
		c.Message = fmt.Sprintf("measured: %s verifies %s", lib, alg)
	case len(cannot) == len(setups) && byAlg == len(cannot):
		c.Status = Fail
		c.Message = fmt.Sprintf("%s cannot verify %s, the algorithm this deployment signs with (measured)", lib, alg)
		c.Hint = compat.FixHint(cannot)
	case len(cannot) == len(setups):
		// Some refuse the token's claims: the algorithm is not the cause.
		c.Status = Fail
		c.Message = fmt.Sprintf("%s refuses this deployment's %s tokens in every measured setup: %s", lib, alg, compat.Refusals(cannot, alg))
		c.Hint = compat.FixHint(cannot)
	default:
		c.Status = Warn
		c.Message = fmt.Sprintf("%s verifies %s tokens in some setups only (measured): %s", lib, alg, compat.Refusals(cannot, alg))
		c.Hint = compat.FixHint(cannot)
	}
	return c
}

// probeCheck runs a full probe of the backend with the token, through
// probe's one entry point: the same policy as baverify probe.
func (r *run) probeCheck(s *Step, b Backend) Check {
	switch {
	case r.token == "":
		return notRun("probe", "needs a token (step sign_in)")
	case r.primary == nil:
		return notRun("probe", "needs the token verified locally (step verify): the probe forges its attacks from a valid token")
	}
	expect, _ := call.ParseExpectation("")
	rep, err := probe.Execute(r.ctx, probe.Setup{Method: http.MethodGet, URL: b.URL, Header: http.Header{}, Expect: expect,
		Token: r.token, Result: r.primary, Keys: r.keys, Policy: r.opts.Policy, Now: r.now,
		Listener: r.opts.Listener, NewClient: r.opts.NewClient, BaseURL: r.rep.BaseURL, UserAgent: r.opts.UserAgent,
		BackendLibrary: b.Library, Strict: r.opts.Strict})
	if err != nil {
		return Check{ID: "probe", Status: CouldNotCheck, Message: "the probe could not start: " + err.Error(),
			Hint: "--attacker-listen and --attacker-url say where the attacker listener binds and how the backend reaches it"}
	}
	if r.ctx.Err() != nil {
		return notRun("probe", "interrupted")
	}
	s.Probe = rep
	return probeSummary(rep)
}

// probeSummary sums a probe report up as one check.
func probeSummary(rep *probe.Report) Check {
	c := Check{ID: "probe"}
	counts := fmt.Sprintf("%d passed, %d failed, %d warned, %d inconclusive, %d not tested, %d unanswered",
		rep.Passed, rep.Failed, rep.Warned, rep.Inconclusive, rep.NotTested, rep.Unanswered)
	var inconclusive []string
	var notTested []string
	for _, p := range rep.Probes {
		switch p.Outcome {
		case probe.Pass:
		case probe.Inconclusive:
			inconclusive = append(inconclusive, p.Name)
		case probe.NotTested:
			notTested = append(notTested, p.Name)
		default:
			c.Evidence = append(c.Evidence, fmt.Sprintf("%s: %s: %s", p.Name, p.Outcome, p.Message))
		}
	}
	if len(inconclusive) > 0 {
		c.Evidence = append(c.Evidence, "inconclusive: "+joinComma(inconclusive))
	}
	if len(notTested) > 0 {
		c.Evidence = append(c.Evidence, "not tested: "+joinComma(notTested)+" (baverify probe takes those tokens)")
	}
	switch {
	case rep.NotRun != "":
		c.Status = NotRun
		c.Message = "not run: " + rep.NotRun
	case rep.AcceptedAny:
		c.Status = Fail
		c.Message = "the backend ACCEPTED a forged token (" + counts + ")"
	case rep.FetchedFromToken:
		c.Status = Fail
		c.Message = "the backend fetched URLs taken from forged tokens, an SSRF (" + counts + ")"
	case rep.Failed > 0:
		c.Status = Fail
		c.Message = "the probe failed (" + counts + ")"
	case rep.Unanswered > 0:
		c.Status = CouldNotCheck
		c.Message = "some probe requests got no answer (" + counts + ")"
	case rep.Inconclusive > 0:
		c.Status = CouldNotCheck
		c.Message = "some probe answers prove nothing (" + counts + ")"
	case rep.Warned > 0:
		c.Status = Warn
		c.Message = "every forgery refused, not all cleanly (" + counts + ")"
	default:
		c.Status = Pass
		c.Message = "the token accepted and every tested forgery refused (" + counts + ")"
	}
	return c
}
