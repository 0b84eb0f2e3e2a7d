package probe

import (
	"context"
	"fmt"
	"net/http"
	"slices"
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
	// Fail: the genuine token was not accepted, or a forgery was. A
	// forgery accepted is a security finding.
	Fail Outcome = "fail"
	// Warn: refused, but not the way it should be (a 5xx: the forgery
	// crashes the backend; another 4xx; a redirect, to a login page say).
	Warn Outcome = "warn"
	// Skip: the case could not be built, or was not sent.
	Skip Outcome = "skip"
	// Unreachable: no HTTP answer.
	Unreachable Outcome = "unreachable"
)

// Options say where and how the cases are sent.
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
}

// Result is one case as sent and answered.
type Result struct {
	Name   string `json:"name"`
	Attack string `json:"attack"`
	// Expect is the status that passes: "2xx" (or --expect-status) for the
	// genuine token, "401,403" for every other case.
	Expect    string  `json:"expect"`
	Status    int     `json:"status"` // 0: not sent, or no answer
	LatencyMs int64   `json:"latencyMs"`
	Outcome   Outcome `json:"outcome"`
	Message   string  `json:"message"`
	// BackendSaid is the backend's own message (FastAPI's detail, ...).
	BackendSaid string `json:"backendSaid,omitempty"`
	// Redirects that were followed; Authorization is never carried to
	// another origin.
	Redirects []call.Redirect `json:"redirects"`
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
	// Counts per outcome.
	Passed      int  `json:"passed"`
	Failed      int  `json:"failed"`
	Warned      int  `json:"warned"`
	Skipped     int  `json:"skipped"`
	Unreached   int  `json:"unreachable"`
	OK          bool `json:"ok"`
	AcceptedAny bool `json:"forgeryAccepted"`
	// NotRun says why no request was sent (the token is invalid here).
	NotRun string `json:"notRun,omitempty"`
}

// rejection is what every case but the genuine one must get.
func rejection() call.Expectation {
	e, _ := call.ParseExpectation("401,403")
	return e
}

// Run sends the cases one after the other (a probe must not look like a
// flood) and judges each answer. genuine is the local verification of the
// genuine token, or nil. Cancelling ctx stops it between cases.
func Run(ctx context.Context, opts Options, cases []Case, genuine *verify.Result) *Report {
	rep := &Report{Method: opts.Method, URL: opts.URL, Token: genuine, Probes: []Result{}, Diagnosis: []call.Finding{}}
	for _, c := range cases {
		if ctx.Err() != nil {
			break
		}
		res := Result{Name: c.Name, Attack: c.Attack, Expect: rejection().String(), Redirects: []call.Redirect{}}
		if c.Genuine {
			res.Expect = opts.Expect.String()
		}
		if c.Skip != "" {
			res.Outcome, res.Message = Skip, c.Skip
			rep.add(res)
			continue
		}
		log := &call.RedirectLog{}
		client, err := opts.NewClient(log)
		if err != nil {
			res.Outcome, res.Message = Unreachable, err.Error()
			rep.add(res)
			continue
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
		if ctx.Err() != nil {
			break
		}
		judge(&res, c, callRep, opts.Expect)
		if c.Genuine && res.Outcome != Pass {
			rep.Diagnosis = callRep.Diagnosis
		}
		rep.add(res)
	}
	rep.OK = rep.Failed == 0 && rep.Unreached == 0 && len(rep.Probes) == len(cases)
	return rep
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

func (r *Report) add(res Result) {
	switch res.Outcome {
	case Pass:
		r.Passed++
	case Fail:
		r.Failed++
		if res.Name != CaseGenuine {
			r.AcceptedAny = true
		}
	case Warn:
		r.Warned++
	case Skip:
		r.Skipped++
	case Unreachable:
		r.Unreached++
	}
	r.Probes = append(r.Probes, res)
}

// judge sets the outcome of one case from its answer.
func judge(res *Result, c Case, rep *call.Report, expect call.Expectation) {
	if rep.Unreachable || rep.Response == nil {
		res.Outcome, res.Message = Unreachable, "no answer: "+rep.Error
		return
	}
	resp := rep.Response
	res.Status, res.LatencyMs, res.Redirects = resp.Status, resp.LatencyMs, resp.Redirects
	res.BackendSaid = call.BackendMessage(resp)
	// On a same-origin redirect the token travels with the request, so the
	// final answer is the backend's: its 2xx is an acceptance. Only a
	// redirect to another origin drops the token, and what answers there
	// did not see it.
	redirected := slices.ContainsFunc(resp.Redirects, func(r call.Redirect) bool { return r.AuthorizationDropped })
	switch {
	case c.Genuine && expect.Match(resp.Status):
		res.Outcome, res.Message = Pass, fmt.Sprintf("accepted (HTTP %d)", resp.Status)
	case c.Genuine:
		res.Outcome = Fail
		res.Message = fmt.Sprintf("HTTP %d, expected %s: the genuine token is not accepted, so a refused forgery proves little; the diagnosis below says why", resp.Status, expect)
	case rejection().Match(resp.Status):
		res.Outcome, res.Message = Pass, fmt.Sprintf("refused (HTTP %d)", resp.Status)
	case redirected:
		res.Outcome = Warn
		res.Message = fmt.Sprintf("redirected to another origin, %s, which answered HTTP %d without the token: check by hand what the first origin did with it", resp.URL, resp.Status)
	case resp.Status >= 200 && resp.Status < 400:
		res.Outcome = Fail
		res.Message = fmt.Sprintf("ACCEPTED (HTTP %d): the backend served a request it must refuse", resp.Status)
	case resp.Status >= 500:
		res.Outcome = Warn
		res.Message = fmt.Sprintf("HTTP %d: refused, but by failing; a backend should answer 401 (RFC 6750), and an error on untrusted input is a bug to fix", resp.Status)
	default:
		res.Outcome = Warn
		res.Message = fmt.Sprintf("refused with HTTP %d; RFC 6750 says 401 for a missing or invalid token", resp.Status)
	}
}
