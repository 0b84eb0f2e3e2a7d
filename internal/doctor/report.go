// Package doctor checks a whole Better Auth deployment and its backends in
// one run: the JWKS, sign-in and a token from each route that mints one,
// the token's verification, the deployment checks no single command makes
// (key churn, a token whose kid is not published, clock skew, CORS, key
// lifetime), then each backend. Every step reuses the package that already
// does it (jwks, betterauth, keysource and verify, call, compat, probe).
// It never prints: Run returns a Report for the renderers, and tells of
// each finished step through Options.Progress.
package doctor

import (
	"time"

	"github.com/baverify/baverify/internal/call"
	"github.com/baverify/baverify/internal/jwks"
	"github.com/baverify/baverify/internal/probe"
	"github.com/baverify/baverify/internal/verify"
)

// Status is the outcome of one check, and of a step (its worst check). The
// values are part of the JSON output (docs/doctor.md).
type Status string

const (
	// Pass: checked, and fine.
	Pass Status = "pass"
	// Warn: checked, and a problem that does not fail the run unless
	// --strict.
	Warn Status = "warn"
	// Fail: checked, and a problem: the run fails (exit 1).
	Fail Status = "fail"
	// CouldNotCheck: the check ran but got no answer it could judge
	// (unreachable, timeout): exit 3 when nothing failed.
	CouldNotCheck Status = "could_not_check"
	// NotRun: the check needs something an earlier step did not give (a
	// token, the JWKS) or an input that was not given; Message says what.
	// A run with a check not run is never a pass (exit 3 when nothing
	// failed).
	NotRun Status = "not_run"
	// Skipped: the check does not apply or was not asked for, and says
	// why; it does not change the verdict.
	Skipped Status = "skipped"
)

// rank orders statuses, worst first, for a step's status.
func rank(s Status) int {
	switch s {
	case Fail:
		return 0
	case CouldNotCheck:
		return 1
	case NotRun:
		return 2
	case Warn:
		return 3
	case Pass:
		return 4
	}
	return 5 // Skipped
}

// Verdict is the outcome of the whole run.
type Verdict string

const (
	// VerdictPass: every check passed (or was skipped); exit 0.
	VerdictPass Verdict = "pass"
	// VerdictWarn: no failure, some warnings, no --strict; exit 0.
	VerdictWarn Verdict = "pass_with_warnings"
	// VerdictFail: a check failed, or a warning with --strict; exit 1.
	VerdictFail Verdict = "fail"
	// VerdictCouldNotCheck: nothing failed, but some check could not be
	// checked or was not run; exit 3.
	VerdictCouldNotCheck Verdict = "could_not_check"
)

// Check is one check: a JUnit test case, a line of the text report.
type Check struct {
	// ID names the check; the IDs are a public interface (docs/doctor.md).
	ID       string   `json:"id"`
	Status   Status   `json:"status"`
	Message  string   `json:"message"`
	Evidence []string `json:"evidence,omitempty"`
	Hint     string   `json:"hint,omitempty"`
}

// Step is one step of the run and its checks. The reports of the commands
// it reuses ride along for JSON readers.
type Step struct {
	ID         string  `json:"id"`
	Title      string  `json:"title"`
	Status     Status  `json:"status"`
	DurationMs int64   `json:"durationMs"`
	Checks     []Check `json:"checks"`
	// Backend is the backend URL of a backend step; Library its
	// --backend-library ("" when not given).
	Backend string `json:"backend,omitempty"`
	Library string `json:"library,omitempty"`
	// Details: the JWKS report (step jwks), the verification of each token
	// (step verify), the calls (backend steps), the probe.
	JWKS   *jwks.Report   `json:"jwks,omitempty"`
	Tokens []TokenResult  `json:"tokens,omitempty"`
	Calls  []*call.Report `json:"calls,omitempty"`
	Probe  *probe.Report  `json:"probe,omitempty"`
}

// TokenResult is the verification of the token one route minted.
type TokenResult struct {
	// Route is "token endpoint" or "set-auth-jwt header".
	Route  string         `json:"route"`
	Result *verify.Result `json:"result"`
}

// Finding is a check that did not pass, flattened for scripts: every
// fail, warn, could_not_check and not_run check, in report order.
type Finding struct {
	Step  string `json:"step"`
	Check string `json:"check"`
	// Backend is the backend URL of a backend step's finding.
	Backend  string   `json:"backend,omitempty"`
	Status   Status   `json:"status"`
	Message  string   `json:"message"`
	Evidence []string `json:"evidence,omitempty"`
	Hint     string   `json:"hint,omitempty"`
}

// Summary counts the checks by status.
type Summary struct {
	Checks        int `json:"checks"`
	Passed        int `json:"passed"`
	Warned        int `json:"warned"`
	Failed        int `json:"failed"`
	CouldNotCheck int `json:"couldNotCheck"`
	NotRun        int `json:"notRun"`
	Skipped       int `json:"skipped"`
}

// Clock are the clock facts the run measured; nil members were not
// measured.
type Clock struct {
	// SkewSeconds is the server's Date minus this machine's clock when the
	// answer came (Date has whole seconds, so ±1 is noise).
	SkewSeconds *int64 `json:"skewSeconds"`
	// IatSkewSeconds is a token's iat minus the Date of the answer that
	// carried it.
	IatSkewSeconds *int64 `json:"iatSkewSeconds"`
}

// Report is the JSON output of `baverify doctor`.
type Report struct {
	BaseURL string `json:"baseURL"`
	JWKSURL string `json:"jwksURL"`
	// Origin is the Origin sent to get-session for the CORS check.
	Origin     string    `json:"origin"`
	Verdict    Verdict   `json:"verdict"`
	Strict     bool      `json:"strict"`
	Summary    Summary   `json:"summary"`
	Steps      []Step    `json:"steps"`
	Findings   []Finding `json:"findings"`
	Clock      Clock     `json:"clock"`
	StartedAt  time.Time `json:"startedAt"`
	DurationMs int64     `json:"durationMs"`
}

// Failed: the run's verdict is negative (exit 1).
func (r *Report) Failed() bool { return r.Verdict == VerdictFail }

// Unavailable: nothing failed, but not everything could be checked (exit 3).
func (r *Report) Unavailable() bool { return r.Verdict == VerdictCouldNotCheck }

// Finish sets the statuses, summary, findings and verdict of a report
// built by hand (renderer tests); Run does it itself.
func Finish(r *Report) *Report {
	r.finish()
	return r
}

// finish sets each step's status, the summary, the findings and the verdict.
func (r *Report) finish() {
	r.Summary = Summary{}
	r.Findings = []Finding{}
	for i := range r.Steps {
		s := &r.Steps[i]
		s.Status = stepStatus(s.Checks)
		for _, c := range s.Checks {
			r.Summary.Checks++
			switch c.Status {
			case Pass:
				r.Summary.Passed++
			case Warn:
				r.Summary.Warned++
			case Fail:
				r.Summary.Failed++
			case CouldNotCheck:
				r.Summary.CouldNotCheck++
			case NotRun:
				r.Summary.NotRun++
			case Skipped:
				r.Summary.Skipped++
			}
			if c.Status != Pass && c.Status != Skipped {
				r.Findings = append(r.Findings, Finding{Step: s.ID, Check: c.ID, Backend: s.Backend, Status: c.Status,
					Message: c.Message, Evidence: c.Evidence, Hint: c.Hint})
			}
		}
	}
	sm := r.Summary
	switch {
	case sm.Failed > 0, r.Strict && sm.Warned > 0:
		r.Verdict = VerdictFail
	case sm.CouldNotCheck > 0, sm.NotRun > 0:
		r.Verdict = VerdictCouldNotCheck
	case sm.Warned > 0:
		r.Verdict = VerdictWarn
	default:
		r.Verdict = VerdictPass
	}
}

// stepStatus is the worst status of the checks; a step without checks is
// skipped.
func stepStatus(checks []Check) Status {
	st := Skipped
	for _, c := range checks {
		if rank(c.Status) < rank(st) {
			st = c.Status
		}
	}
	return st
}
