package probe

import (
	"bytes"
	"context"
	"fmt"
	"net/http"
	"net/url"
	"slices"
	"strings"
	"sync"
	"time"

	"github.com/baverify/baverify/internal/call"
	"github.com/baverify/baverify/internal/verify"
)

// Outcome is what one case concluded. The values are part of the JSON
// output.
type Outcome string

const (
	// Pass: the genuine token was accepted as expected, or a forgery was
	// refused with 401 or 403.
	Pass Outcome = "pass"
	// Fail: the genuine token was not accepted, a forgery was, or the
	// backend fetched a URL the forgery named. A forgery accepted is a
	// security finding.
	Fail Outcome = "fail"
	// Warn: refused, but not the way it should be (a 5xx: the forgery
	// crashes the backend; another 4xx), or neither accepted nor refused (a
	// final 3xx; a 2xx from another route than the genuine request's, such
	// as a login page).
	Warn Outcome = "warn"
	// Inconclusive: the answer proves nothing: the genuine token was
	// refused too (or got no answer), a redirect to another origin (which
	// carries no credential), or too many redirects.
	Inconclusive Outcome = "inconclusive"
	// NotTested: the case could not be built; Coverage says why and which
	// flag enables it.
	NotTested Outcome = "not_tested"
	// Unanswered: no HTTP answer (timeout, refused, reset), or one whose
	// body could not be read to the end.
	Unanswered Outcome = "unanswered"
)

// DefaultConcurrency is how many cases are in flight at once.
const DefaultConcurrency = 4

// Options say where and how the cases are sent and judged.
type Options struct {
	Method string
	URL    string
	Header http.Header // extra request headers (-H)
	// NewClient returns a client for one case, whose redirects go to log;
	// the client drops Authorization on any change of origin.
	NewClient func(log *call.RedirectLog) (*http.Client, error)
	Now       func() time.Time
	// Expect is the status the genuine token must get (default 2xx).
	Expect    call.Expectation
	BaseURL   string
	UserAgent string
	Leeway    time.Duration
	// BackendLibrary names the backend's JWT library for the diagnosis of
	// a refused genuine token (call.Options.BackendLibrary).
	BackendLibrary string
	// Concurrency bounds the forgeries in flight (DefaultConcurrency when
	// 0); the genuine request always goes first and alone.
	Concurrency int
	// Listener is the attacker listener, when one runs; every request it
	// got is a finding.
	Listener *Listener
	// ListenerGrace is how long the listener stays open after the last
	// answer to a token that names it: a backend that fetches a URL from a
	// token after answering is still caught. A fetch in that window fails
	// its case. Those cases are sent first, so the wait overlaps the rest.
	ListenerGrace time.Duration
	// Strict makes warnings fatal; RequireAll makes a case not tested
	// fatal.
	Strict     bool
	RequireAll bool
}

// DefaultListenerGrace is how long the listener waits for late fetches.
const DefaultListenerGrace = 2 * time.Second

// Result is one case as sent and answered.
type Result struct {
	Name   string `json:"name"`
	Attack string `json:"attack"`
	// Expect is the status that passes: "2xx" (or --expect-status) for the
	// genuine token, "401,403" for every other case.
	Expect    string  `json:"expect"`
	Status    int     `json:"status"` // 0: not sent, or no answer (an Unanswered case with a status: the body was cut short)
	LatencyMs int64   `json:"latencyMs"`
	Outcome   Outcome `json:"outcome"`
	Message   string  `json:"message"`
	// BackendSaid is the backend's own message (FastAPI's detail, ...).
	BackendSaid string `json:"backendSaid,omitempty"`
	// Redirects that were followed; Authorization is never carried to
	// another origin.
	Redirects []call.Redirect `json:"redirects"`
	// Tokens is how many tokens a case of several sent (hmac_weak_secret,
	// the type confusions), and Variant the one this result is about: the
	// first accepted, else the worst answered.
	Tokens  int    `json:"tokens,omitempty"`
	Variant string `json:"variant,omitempty"`
	// Source says where a deployment token came from ("--expired-token",
	// "minted by --mint-from URL"); absent for the other cases.
	Source string `json:"source,omitempty"`
	// ExplainedBy names the simpler accepted case that explains this
	// acceptance (unknown_kid explains kid_sql_injection): one flaw, not
	// two.
	ExplainedBy string `json:"explainedBy,omitempty"`

	// accepted: a forgery got an answer that serves it.
	accepted bool
	// tr are the traits of the token this result is about.
	tr traits
	// fromListener: the backend fetched this case's URL.
	fromListener bool
	// finalURL is the URL that answered, after redirects.
	finalURL string
	// why and enabledBy say why a case that was sent is still not tested,
	// and what would test it (rotated_key_token).
	why, enabledBy string
}

// Gap is a case that was not sent, and why.
type Gap struct {
	Name string `json:"name"`
	Why  string `json:"why"`
	// EnabledBy is the flag that lets it be sent; "" when none can.
	EnabledBy string `json:"enabledBy,omitempty"`
}

// Coverage says what the probe tested and what it did not.
type Coverage struct {
	Sent      int   `json:"sent"`
	Total     int   `json:"total"`
	NotTested []Gap `json:"notTested"`
	// NotApplicable are cases that cannot apply to this token (they are
	// not in probes).
	NotApplicable []Gap `json:"notApplicable"`
	// Checks are the checks a backend makes, each tested, partly tested
	// or not tested by the cases sent.
	Checks []CheckCoverage `json:"checks"`
	// Caveats are limits of what a case sent proves (an expired token
	// that expired long ago hides a long leeway).
	Caveats []Gap `json:"caveats"`
}

// Check coverage states.
const (
	Tested        = "tested"
	PartlyTested  = "partly_tested"
	CheckUntested = "not_tested"
)

// CheckCoverage is one check a backend makes and how far the probe tested
// it.
type CheckCoverage struct {
	Check  string   `json:"check"`
	Status string   `json:"status"`
	Cases  []string `json:"cases"`
	// NotTested are its cases not sent; Why and EnabledBy are the first
	// one's.
	NotTested []string `json:"notTested,omitempty"`
	Why       string   `json:"why,omitempty"`
	EnabledBy string   `json:"enabledBy,omitempty"`
}

// Cause is one flaw to fix: an accepted case (or a fetch) that no simpler
// accepted case explains, with the cases it explains.
type Cause struct {
	Case     string   `json:"case"`
	Fix      string   `json:"fix"`
	Explains []string `json:"explains"`
	// Warning: a forgery made the backend fail (a 5xx), not accepted.
	Warning bool `json:"warning,omitempty"`
}

// Listening describes the attacker listener and what reached it.
type Listening struct {
	URL     string  `json:"url"`
	Fetches []Fetch `json:"fetches"`
	// Unrecorded counts requests beyond the ones recorded.
	Unrecorded int `json:"unrecorded,omitempty"`
	// Ignored counts requests without this run's secret in their path:
	// not the backend following a token, so not findings.
	Ignored int `json:"ignored,omitempty"`
	// GraceMs is how long it stayed open after the last answer.
	GraceMs int64 `json:"graceMs"`
}

// Report is the JSON output of `baverify probe`.
type Report struct {
	Method string `json:"method"`
	URL    string `json:"url"`
	// Token is the local verification of the genuine token; null when no
	// key source was known.
	Token  *verify.Result `json:"token"`
	Probes []Result       `json:"probes"`
	// Diagnosis explains the genuine token's answer when it was not the
	// expected one (the same findings as baverify call).
	Diagnosis []call.Finding `json:"diagnosis"`
	// Causes are the flaws found, each with the one thing to fix, simplest
	// first in case order.
	Causes   []Cause  `json:"causes"`
	Coverage Coverage `json:"coverage"`
	// Attacker is the attacker listener; null when none ran.
	Attacker *Listening `json:"attacker"`
	// Counts per outcome.
	Passed       int  `json:"passed"`
	Failed       int  `json:"failed"`
	Warned       int  `json:"warned"`
	Inconclusive int  `json:"inconclusive"`
	NotTested    int  `json:"notTested"`
	Unanswered   int  `json:"unanswered"`
	OK           bool `json:"ok"`
	// AcceptedAny: a forged token was accepted.
	AcceptedAny bool `json:"forgeryAccepted"`
	// GenuineAccepted: the genuine token got the expected status; when
	// false, the refusals prove nothing.
	GenuineAccepted bool `json:"genuineAccepted"`
	// FetchedFromToken: the backend fetched a URL taken from a token (an
	// SSRF), whatever it then did with the forgery.
	FetchedFromToken bool `json:"fetchedFromToken"`
	Strict           bool `json:"strict"`
	RequireAll       bool `json:"requireAll"`
	// NotRun says why no request was sent (the token is invalid here).
	NotRun string `json:"notRun,omitempty"`
	// GenuineAfter is the genuine token sent once more after every
	// forgery; when it is not accepted (a rate limit, a lockout), the
	// refusals prove nothing. Absent when it was not sent.
	GenuineAfter *Result `json:"genuineAfter,omitempty"`
}

// NewReport is an empty report, for a probe that sends nothing.
func NewReport(method, url string, tok *verify.Result) *Report {
	return &Report{Method: method, URL: url, Token: tok, Probes: []Result{}, Diagnosis: []call.Finding{}, Causes: []Cause{},
		Coverage: Coverage{NotTested: []Gap{}, NotApplicable: []Gap{}, Checks: []CheckCoverage{}, Caveats: []Gap{}}}
}

// rejection is what every case but the genuine one must get.
func rejection() call.Expectation {
	e, _ := call.ParseExpectation("401,403")
	return e
}

// job is one request: a case, or one variant of it (-1: the case's own
// token).
type job struct{ c, v int }

// Run sends the genuine case alone, then the forgeries a few at a time
// (every token of a case of several as its own request), waits for late
// fetches of the attacker listener, and judges each answer; the report
// lists them in case order. genuine is the local verification of the
// genuine token, or nil. When the genuine request gets no answer, nothing
// else is sent. Cancelling ctx stops it.
func Run(ctx context.Context, opts Options, cases []Case, genuine *verify.Result) *Report {
	rep := NewReport(opts.Method, opts.URL, genuine)
	rep.Strict, rep.RequireAll = opts.Strict, opts.RequireAll
	var sendable []Case
	for _, c := range cases {
		if c.NotApplicable != "" {
			rep.Coverage.NotApplicable = append(rep.Coverage.NotApplicable, Gap{Name: c.Name, Why: c.NotApplicable})
			continue
		}
		sendable = append(sendable, c)
	}
	results := make([][]Result, len(sendable))
	sent := make([]bool, len(sendable))
	var jobs []job
	rotating := -1
	for i, c := range sendable {
		if c.rotation != nil && c.NotTested == "" {
			// Sent last, alone: it takes a key out of the JWKS.
			results[i], rotating = make([]Result, 1), i
			continue
		}
		if len(c.Variants) == 0 || c.NotTested != "" {
			results[i] = make([]Result, 1)
			jobs = append(jobs, job{i, -1})
			continue
		}
		results[i] = make([]Result, len(c.Variants))
		for v := range c.Variants {
			jobs = append(jobs, job{i, v})
		}
	}

	// The cases that hand out listener URLs go first, so that the grace
	// after their last answer runs while the others are sent.
	slices.SortStableFunc(jobs, func(a, b job) int {
		la, lb := sendable[a.c].usesListener(), sendable[b.c].usesListener()
		switch {
		case la && !lb:
			return -1
		case lb && !la:
			return 1
		}
		return 0
	})
	var lastListenerAnswer time.Time

	first := slices.IndexFunc(sendable, func(c Case) bool { return c.Genuine })
	genuineAnswered, genuineURL := true, ""
	if first >= 0 {
		results[first][0], rep.Diagnosis = sendCase(ctx, opts, sendable[first], genuine, rep.Diagnosis, "")
		sent[first] = true
		rep.GenuineAccepted = results[first][0].Outcome == Pass
		genuineAnswered = results[first][0].Outcome != Unanswered
		genuineURL = results[first][0].finalURL
	}
	if genuineAnswered && ctx.Err() == nil {
		n := opts.Concurrency
		if n <= 0 {
			n = DefaultConcurrency
		}
		var wg sync.WaitGroup
		var mu sync.Mutex
		sem := make(chan struct{}, n)
		for _, j := range jobs {
			if j.c == first {
				continue
			}
			sem <- struct{}{}
			wg.Add(1)
			go func() {
				defer func() { <-sem; wg.Done() }()
				if ctx.Err() != nil {
					return
				}
				c, slot := sendable[j.c], 0
				if j.v >= 0 {
					v := c.Variants[j.v]
					c.Token, c.Authorization, c.tr, slot = v.Token, "Bearer "+v.Token, v.tr, j.v
				}
				res, _ := sendCase(ctx, opts, c, nil, nil, genuineURL)
				res.tr = c.tr
				mu.Lock()
				results[j.c][slot] = res
				sent[j.c] = true
				if c.usesListener() {
					lastListenerAnswer = time.Now()
				}
				mu.Unlock()
			}()
		}
		wg.Wait()
		// The genuine token once more, after every forgery: a backend that
		// locks a client out after bad tokens (a rate limit, a WAF) refuses
		// everything after a while, and those refusals prove nothing.
		if rep.GenuineAccepted && ctx.Err() == nil {
			again, _ := sendCase(ctx, opts, sendable[first], nil, nil, "")
			rep.GenuineAfter = &again
		}
		if rotating >= 0 && ctx.Err() == nil {
			results[rotating][0] = sendRotation(ctx, opts, sendable[rotating], rep.GenuineAccepted, genuineURL)
			sent[rotating] = true
		}
	}

	if opts.Listener != nil {
		// A backend may fetch after it answered (a background refresh):
		// the listener stays open a while longer.
		if grace := opts.ListenerGrace; grace > 0 && genuineAnswered && !lastListenerAnswer.IsZero() && ctx.Err() == nil {
			t := time.NewTimer(time.Until(lastListenerAnswer.Add(grace)))
			select {
			case <-t.C:
			case <-ctx.Done():
				t.Stop()
			}
		}
		fetches, dropped := opts.Listener.Fetches()
		rep.Attacker = &Listening{URL: opts.Listener.URL, Fetches: fetches, Unrecorded: dropped,
			Ignored: opts.Listener.Foreign(), GraceMs: max(opts.ListenerGrace, 0).Milliseconds()}
	}
	lockedOut := rep.GenuineAfter != nil && rep.GenuineAfter.Outcome != Pass
	for i, c := range sendable {
		var res Result
		if !sent[i] {
			res = notSent(c, genuineAnswered, ctx.Err())
		} else {
			res = merge(c, results[i])
		}
		if !c.Genuine && !rep.GenuineAccepted && (res.Outcome == Pass || res.Outcome == Warn) {
			res.Outcome = Inconclusive
			res.Message += ", which proves nothing: the genuine token was refused too"
		}
		if !c.Genuine && lockedOut && res.Outcome == Pass {
			res.Outcome = Inconclusive
			res.Message += fmt.Sprintf(", which proves nothing: the genuine token was refused after the forgeries (HTTP %d): a rate limit or a lockout?", rep.GenuineAfter.Status)
		}
		if c.ExpiredAgo > 0 && res.Outcome == Pass {
			res.Message += fmt.Sprintf(" (the token expired %s ago)", Ago(c.ExpiredAgo))
		}
		if res.accepted && c.ExpiredAgo > 0 {
			res.Message = fmt.Sprintf("ACCEPTED (HTTP %d): exp is not checked, or with a leeway over %s (the token expired %s ago)",
				res.Status, Ago(c.ExpiredAgo), Ago(c.ExpiredAgo))
		}
		if rep.Attacker != nil {
			fetched(&res, rep.Attacker.Fetches)
		}
		rep.add(res, c)
	}
	if rep.Attacker != nil && len(rep.Attacker.Fetches) > 0 {
		rep.FetchedFromToken = true
		// A fetch of a path under this run's secret that no case handed
		// out is still the backend fetching from the attacker: it fails
		// the probe on its own.
		if slices.ContainsFunc(rep.Attacker.Fetches, func(f Fetch) bool { return f.Case == "" }) {
			rep.Failed++
		}
	}
	explain(rep, sendable)
	rep.Coverage.Checks = checkCoverage(sendable, rep.Probes)
	for _, c := range sendable {
		if c.ExpiredAgo > StaleExpiry {
			rep.Coverage.Caveats = append(rep.Coverage.Caveats, Gap{Name: c.Name, EnabledBy: c.Source,
				Why: fmt.Sprintf("the token expired %s ago: a backend whose leeway is shorter than that refuses it too, so a leeway of up to %s goes unseen; give one that expired a minute ago", Ago(c.ExpiredAgo), Ago(c.ExpiredAgo))})
		}
	}
	rep.OK = rep.Failed == 0 && rep.Unanswered == 0 && rep.Inconclusive == 0 && rep.GenuineAccepted &&
		!(opts.Strict && rep.Warned > 0) && !(opts.RequireAll && rep.NotTested > 0) && ctx.Err() == nil
	return rep
}

// usesListener: the case's tokens name a URL of the attacker listener.
func (c Case) usesListener() bool {
	switch c.Name {
	case CaseJKU, CaseX5U, CaseIssDiscovery, CaseKidURL, CaseKidCommandInjection, CaseURLInjection:
		return c.NotTested == ""
	}
	return false
}

// StaleExpiry is the age past which an expired token hides a backend's
// leeway.
const StaleExpiry = 5 * time.Minute

// Ago is a duration for people: 45s, 12m, 3h20m, 2d.
func Ago(d time.Duration) string {
	switch {
	case d < time.Minute:
		return fmt.Sprintf("%ds", int(d.Seconds()))
	case d < time.Hour:
		return fmt.Sprintf("%dm", int(d.Minutes()))
	case d < 48*time.Hour:
		h := int(d.Hours())
		if m := int(d.Minutes()) % 60; m != 0 {
			return fmt.Sprintf("%dh%dm", h, m)
		}
		return fmt.Sprintf("%dh", h)
	}
	return fmt.Sprintf("%dd", int(d.Hours()/24))
}

// rank orders outcomes from the least to the most telling, to pick the
// result a case of several tokens reports.
func rank(r Result) int {
	switch {
	case r.accepted:
		return 6
	case r.Outcome == Fail:
		return 5
	case r.Outcome == Unanswered:
		return 4
	case r.Outcome == Warn:
		return 3
	case r.Outcome == Inconclusive:
		return 2
	}
	return 1
}

// merge makes one result of a case's results, one per token sent.
func merge(c Case, rs []Result) Result {
	if len(c.Variants) == 0 || c.NotTested != "" {
		return rs[0]
	}
	best, same := 0, 0
	for i, r := range rs {
		if rank(r) > rank(rs[best]) {
			best = i
		}
	}
	for _, r := range rs {
		if rank(r) == rank(rs[best]) {
			same++
		}
	}
	res := rs[best]
	res.Tokens, res.Variant = len(rs), c.Variants[best].Label
	switch {
	case res.Outcome == Pass:
		res.Message = fmt.Sprintf("%s, all %d tokens", res.Message, len(rs))
		res.Variant = ""
	case same > 1:
		res.Message = fmt.Sprintf("%s: %s (and %d more of the %d tokens)", c.Variants[best].Label, res.Message, same-1, len(rs))
	default:
		res.Message = fmt.Sprintf("%s: %s (%d tokens sent)", c.Variants[best].Label, res.Message, len(rs))
	}
	return res
}

// controls are the cases whose acceptance explains others, simplest
// first: no signature check at all, no signature needed, an unknown kid
// not verified, a guessable HMAC secret.
func controls() []struct {
	name     string
	explains func(ctrl, other traits) bool
} {
	return []struct {
		name     string
		explains func(ctrl, other traits) bool
	}{
		{CaseMalformed, func(_, o traits) bool { return o.forged }},
		{CaseSignatureTampered, func(_, o traits) bool { return o.forged }},
		{CaseSignatureStripped, func(_, o traits) bool { return o.emptySig }},
		{CaseUnknownKid, func(_, o traits) bool { return o.foreignKid }},
		{CaseHMACWeakSecret, func(c, o traits) bool {
			return o.hmacAlg != "" && o.hmacAlg == c.hmacAlg && bytes.Equal(o.hmacKey, c.hmacKey)
		}},
	}
}

// explain attributes each accepted forgery to the simplest accepted
// control that explains it, and lists the causes left, each with its fix.
func explain(rep *Report, cases []Case) {
	idx := map[string]int{}
	for i, r := range rep.Probes {
		idx[r.Name] = i
	}
	for i := range rep.Probes {
		r := &rep.Probes[i]
		if !r.accepted || r.Outcome != Fail || r.fromListener {
			continue
		}
		// A control is explained only by a simpler one (earlier in the
		// list); any other case by the simplest that explains it.
		for _, ctl := range controls() {
			if ctl.name == r.Name {
				break
			}
			j, ok := idx[ctl.name]
			if !ok || !rep.Probes[j].accepted || rep.Probes[j].fromListener {
				continue
			}
			if ctl.explains(rep.Probes[j].tr, r.tr) {
				r.ExplainedBy = ctl.name
				break
			}
		}
	}
	causes := map[string]int{}
	for i, r := range rep.Probes {
		if r.Outcome != Fail || r.Name == CaseGenuine || r.ExplainedBy != "" {
			continue
		}
		c := cases[slices.IndexFunc(cases, func(c Case) bool { return c.Name == r.Name })]
		fix := c.Fix
		if c.ExpiredAgo > 0 {
			fix = fmt.Sprintf("check exp, with a leeway of seconds: this backend accepted a token that expired %s ago", Ago(c.ExpiredAgo))
		}
		if r.Variant != "" && r.accepted {
			fix += " (accepted: " + r.Variant + ")"
		}
		causes[r.Name] = len(rep.Causes)
		rep.Causes = append(rep.Causes, Cause{Case: rep.Probes[i].Name, Fix: fix, Explains: []string{}})
	}
	for _, r := range rep.Probes {
		if r.ExplainedBy != "" {
			if k, ok := causes[r.ExplainedBy]; ok {
				rep.Causes[k].Explains = append(rep.Causes[k].Explains, r.Name)
			}
		}
	}
	// A forgery that made the backend fail is a flaw too, of another kind.
	for _, r := range rep.Probes {
		if r.Outcome == Warn && r.Status >= 500 {
			fix := fixErrors
			if r.Variant != "" {
				fix += " (failed on: " + r.Variant + ")"
			}
			rep.Causes = append(rep.Causes, Cause{Case: r.Name, Fix: fix, Explains: []string{}, Warning: true})
		}
	}
}

// checkCoverage says, for each check, which of its cases were sent.
func checkCoverage(cases []Case, probes []Result) []CheckCoverage {
	order := []string{CheckAuthorization, CheckSignature, CheckAlgorithm, CheckHMACSecret, CheckKid, CheckTokenKeys, CheckErrors,
		CheckExp, CheckNbf, CheckIss, CheckAud, CheckKeyRemoval}
	out := []CheckCoverage{}
	for _, check := range order {
		cc := CheckCoverage{Check: check, Cases: []string{}}
		for i, c := range cases {
			if c.Check != check {
				continue
			}
			cc.Cases = append(cc.Cases, c.Name)
			if probes[i].Outcome == NotTested {
				cc.NotTested = append(cc.NotTested, c.Name)
				if cc.Why == "" {
					cc.Why, cc.EnabledBy = gap(c, probes[i])
				}
			}
		}
		switch {
		case len(cc.Cases) == 0:
			continue
		case len(cc.NotTested) == 0:
			cc.Status = Tested
		case len(cc.NotTested) == len(cc.Cases):
			cc.Status = CheckUntested
		default:
			cc.Status = PartlyTested
		}
		out = append(out, cc)
	}
	return out
}

// gap says why a case is not tested and what would test it: why it was
// not sent, or why its answer proved nothing.
func gap(c Case, res Result) (why, enabledBy string) {
	if res.why != "" {
		return res.why, res.enabledBy
	}
	return c.NotTested, c.EnabledBy
}

// sendCase sends one case and judges its answer; for the genuine case it
// returns the call's diagnosis when the answer is not the expected one.
func sendCase(ctx context.Context, opts Options, c Case, genuine *verify.Result, diag []call.Finding, genuineURL string) (Result, []call.Finding) {
	res := Result{Name: c.Name, Attack: c.Attack, Expect: rejection().String(), Redirects: []call.Redirect{}, Source: c.Source}
	if c.Genuine {
		res.Expect = opts.Expect.String()
	}
	if c.NotTested != "" {
		res.Outcome, res.Message = NotTested, c.NotTested
		return res, diag
	}
	log := &call.RedirectLog{}
	client, err := opts.NewClient(log)
	if err != nil {
		res.Outcome, res.Message = Unanswered, err.Error()
		return res, diag
	}
	header := opts.Header.Clone()
	if header == nil {
		header = http.Header{}
	}
	if c.Authorization != "" {
		header.Set("Authorization", c.Authorization)
	}
	var tok *verify.Result
	if c.Genuine {
		tok = genuine
	}
	callRep := call.Do(ctx, call.Options{Client: client, Redirects: log, Now: opts.Now, Leeway: opts.Leeway,
		Expect: opts.Expect, BaseURL: opts.BaseURL, UserAgent: opts.UserAgent, BackendLibrary: opts.BackendLibrary},
		call.Request{Method: opts.Method, URL: opts.URL, Header: header, Token: genuineToken(c)}, tok)
	judge(&res, c, callRep, opts.Expect, genuineURL)
	if c.Genuine && res.Outcome != Pass {
		diag = callRep.Diagnosis
	}
	return res, diag
}

// notSent is a case that was never sent: the genuine request got no
// answer, or the probe was cancelled.
func notSent(c Case, genuineAnswered bool, ctxErr error) Result {
	res := Result{Name: c.Name, Attack: c.Attack, Expect: rejection().String(), Redirects: []call.Redirect{}}
	switch {
	case c.NotTested != "":
		res.Outcome, res.Message = NotTested, c.NotTested
	case !genuineAnswered:
		res.Outcome, res.Message = Inconclusive, "not sent: the genuine request got no answer"
	default:
		res.Outcome, res.Message = Inconclusive, fmt.Sprintf("not sent: %v", ctxErr)
	}
	return res
}

// fetched fails a case whose URL the backend fetched from the listener.
func fetched(res *Result, fetches []Fetch) {
	var paths []string
	for _, f := range fetches {
		if f.Case == res.Name {
			paths = append(paths, f.Path)
		}
	}
	if len(paths) == 0 {
		return
	}
	res.fromListener = true
	where := strings.Join(slices.Compact(paths), ", ")
	switch {
	case res.accepted:
		res.Message = fmt.Sprintf("ACCEPTED (HTTP %d), with a key the backend FETCHED from the attacker listener (%s): it fetches URLs taken from the token (SSRF)", res.Status, where)
	case res.Status == 0 || res.Outcome == Unanswered:
		res.Message = fmt.Sprintf("no complete answer, but the backend FETCHED %s from the attacker listener: it fetches URLs taken from the token (SSRF)", where)
	default:
		res.Message = fmt.Sprintf("refused (HTTP %d), but the backend FETCHED %s from the attacker listener first: it fetches URLs taken from the token (SSRF)", res.Status, where)
	}
	res.Outcome = Fail
}

// genuineToken is the token call.Do should treat as sent: only the genuine
// one, so that the call's diagnosis is about it. Forged tokens travel in
// the Authorization header as given.
func genuineToken(c Case) string {
	if c.Genuine {
		return c.Token
	}
	return ""
}

func (r *Report) add(res Result, c Case) {
	r.Coverage.Total++
	switch res.Outcome {
	case Pass:
		r.Passed++
	case Fail:
		r.Failed++
		r.AcceptedAny = r.AcceptedAny || res.accepted
	case Warn:
		r.Warned++
	case Inconclusive:
		r.Inconclusive++
	case NotTested:
		r.NotTested++
		why, by := gap(c, res)
		r.Coverage.NotTested = append(r.Coverage.NotTested, Gap{Name: c.Name, Why: why, EnabledBy: by})
	case Unanswered:
		r.Unanswered++
	}
	if res.Status != 0 || res.Outcome == Unanswered {
		r.Coverage.Sent++
	}
	r.Probes = append(r.Probes, res)
}

// judge sets the outcome of one case from its answer. genuineURL is the
// URL that answered the genuine request ("" when unknown): a forgery's 2xx
// from another route than that one is not the route accepting it.
func judge(res *Result, c Case, rep *call.Report, expect call.Expectation, genuineURL string) {
	if rep.Unreachable || rep.Response == nil {
		res.Outcome, res.Message = Unanswered, "no answer: "+rep.Error
		return
	}
	resp := rep.Response
	res.Status, res.LatencyMs, res.Redirects = resp.Status, resp.LatencyMs, resp.Redirects
	res.finalURL = resp.URL
	res.BackendSaid = call.BackendMessage(resp)
	if rep.Incomplete {
		// As call: a body cut short may hide what decides the verdict.
		res.Outcome = Unanswered
		res.Message = fmt.Sprintf("no complete answer: HTTP %d, but the body could not be read to the end (%s, after %d bytes)", resp.Status, resp.BodyError, resp.BodyBytes)
		return
	}
	// On a same-origin redirect the token travels with the request, so the
	// final answer is the backend's. A redirect to another origin carries
	// no credential (a no_token request has none to drop): what answers
	// there (an SSO login page, say) gave no verdict on the request.
	crossed := slices.ContainsFunc(resp.Redirects, call.Redirect.CrossOrigin)
	success := resp.Status/100 == 2
	switch {
	case crossed:
		res.Outcome = Inconclusive
		if c.Genuine {
			res.Outcome = Fail
		}
		res.Message = fmt.Sprintf("redirected to another origin, %s, which answered HTTP %d without the token (no credential is sent to another origin): the route itself gave no verdict; probe the URL the redirect leads to", resp.URL, resp.Status)
	case c.Genuine && expect.Match(resp.Status):
		res.Outcome, res.Message = Pass, fmt.Sprintf("accepted (HTTP %d)", resp.Status)
	case resp.RedirectLimit:
		res.Outcome = Inconclusive
		if c.Genuine {
			res.Outcome = Fail
		}
		res.Message = fmt.Sprintf("too many redirects (a loop?): after %d, the next (HTTP %d to %s) was not followed; the route itself gave no verdict", len(resp.Redirects), resp.Status, resp.URL)
	case c.Genuine:
		res.Outcome = Fail
		res.Message = fmt.Sprintf("HTTP %d, expected %s: the genuine token is not accepted, so a refused forgery proves nothing; the diagnosis below says why", resp.Status, expect)
	case rejection().Match(resp.Status):
		res.Outcome, res.Message = Pass, fmt.Sprintf("refused (HTTP %d)", resp.Status)
	case success && len(resp.Redirects) > 0 && !call.SameRoute(resp.URL, routeOf(resp, genuineURL)):
		// The genuine request and the forgery ended at different routes:
		// a 2xx at /login is the login page, not the route serving it.
		res.Outcome = Warn
		res.Message = fmt.Sprintf("redirected to %s (%s): a login page, not an acceptance? HTTP %d there; a route should answer 401, not redirect", pathOf(resp.URL), genuineWent(resp, genuineURL), resp.Status)
	case success:
		res.Outcome, res.accepted = Fail, true
		res.Message = fmt.Sprintf("ACCEPTED (HTTP %d): the backend served a request it must refuse", resp.Status)
	case resp.Status/100 == 3:
		res.Outcome = Warn
		res.Message = fmt.Sprintf("answered %d to a forged token: neither accepted nor refused", resp.Status)
	case resp.Status >= 500:
		res.Outcome = Warn
		said := "the backend's log has it"
		if b := call.BackendMessage(resp); b != "" {
			said = fmt.Sprintf("it said %q", clipText(b, 120))
		}
		res.Message = fmt.Sprintf("HTTP %d: the forgery made the backend fail, not refuse it: an unhandled error (%s); a denial-of-service risk, and a 500 can hide an acceptance on another path; a backend should answer 401 (RFC 6750)", resp.Status, said)
	default:
		res.Outcome = Warn
		res.Message = fmt.Sprintf("refused with HTTP %d; RFC 6750 says 401 for a missing or invalid token", resp.Status)
	}
}

// routeOf is the route a forgery's answer is compared with: where the
// genuine request ended, else the URL the forgery was sent to.
func routeOf(resp *call.ResponseInfo, genuineURL string) string {
	if genuineURL != "" {
		return genuineURL
	}
	return resp.Redirects[0].From
}

// genuineWent says where the genuine request ended, for a forgery that
// ended elsewhere.
func genuineWent(resp *call.ResponseInfo, genuineURL string) string {
	switch {
	case genuineURL == "":
		return "the request was for " + pathOf(resp.Redirects[0].From)
	case call.SameRoute(genuineURL, resp.Redirects[0].From):
		return "the genuine request was not"
	}
	return "the genuine request ended at " + pathOf(genuineURL)
}

// pathOf is a URL's path and query, or the URL when it does not parse.
func pathOf(raw string) string {
	if u, err := url.Parse(raw); err == nil && u.Path != "" {
		return u.RequestURI()
	}
	return raw
}
