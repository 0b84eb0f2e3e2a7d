package render

import (
	"bytes"
	"strings"
	"testing"

	"github.com/baverify/baverify/internal/call"
	"github.com/baverify/baverify/internal/probe"
)

// A probe case redirected to another origin names every credential header
// that was dropped, also when Authorization was not among them (no_token
// with a -H X-Api-Key).
func TestProbeTextNamesDroppedHeaders(t *testing.T) {
	rep := &probe.Report{Method: "GET", URL: "http://127.0.0.1:1/api/me", Probes: []probe.Result{{
		Name: probe.CaseNoToken, Outcome: probe.Pass, Status: 403,
		Redirects: []call.Redirect{{From: "http://127.0.0.1:1/api/me", To: "http://127.0.0.1:2/x", DroppedHeaders: []string{"X-Api-Key"}}},
	}}}
	var out bytes.Buffer
	if err := ProbeText(&out, rep, Styles{}); err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(out.String(), "redirected to another origin: http://127.0.0.1:2/x (X-Api-Key dropped)") {
		t.Fatalf("%s", out.String())
	}
}

// Every redirect is shown under its case, not only the ones that dropped a
// header: a same-origin one (where a forgery ended at /login) and one to
// another origin that had nothing to drop (no_token to an SSO page).
func TestProbeTextShowsEveryRedirect(t *testing.T) {
	rep := &probe.Report{Method: "GET", URL: "http://127.0.0.1:1/api/me", Probes: []probe.Result{
		{Name: probe.CaseNoToken, Outcome: probe.Inconclusive, Status: 200,
			Redirects: []call.Redirect{{From: "http://127.0.0.1:1/api/me", To: "https://sso.example/login", DroppedHeaders: []string{}}}},
		{Name: probe.CaseAlgNone, Outcome: probe.Warn, Status: 200,
			Redirects: []call.Redirect{{From: "http://127.0.0.1:1/api/me", To: "http://127.0.0.1:1/login", DroppedHeaders: []string{}}}},
	}}
	var out bytes.Buffer
	if err := ProbeText(&out, rep, Styles{}); err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{"redirected to another origin: https://sso.example/login (no credential sent there)",
		"      redirected to http://127.0.0.1:1/login"} {
		if !strings.Contains(out.String(), want) {
			t.Errorf("lacks %q:\n%s", want, out.String())
		}
	}
}

// JUnit output escapes what a report viewer would act on, as text and
// JSON do: bidi controls, U+2028 and U+2029, C0 and C1 controls.
func TestProbeJUnitEscapesBidiAndLineSeparators(t *testing.T) {
	rep := &probe.Report{Method: "GET", URL: "http://127.0.0.1:1/api/\u202e", Probes: []probe.Result{{
		Name: probe.CaseAlgNone, Outcome: probe.Fail, Status: 200, Message: "ACCEPTED\u2028line\u2029para",
		BackendSaid: "evil\u2066\u200f\u0085\x1b[31m", Attack: "x\u202ay",
	}}}
	var out bytes.Buffer
	if err := ProbeJUnit(&out, rep); err != nil {
		t.Fatal(err)
	}
	for _, r := range []rune{'\u202e', '\u2028', '\u2029', '\u2066', '\u0085', '\x1b', '\u202a'} {
		if strings.ContainsRune(out.String(), r) {
			t.Errorf("U+%04X written raw:\n%s", r, out.String())
		}
	}
	for _, want := range []string{`ACCEPTED\u2028line\u2029para`, `api/\u202e`, `x\u202ay`, `evil\u2066`} {
		if !strings.Contains(out.String(), want) {
			t.Errorf("lacks %q:\n%s", want, out.String())
		}
	}
}

// Verdict first: the result line and the fix per cause come before the
// details; an explained case says what explains it.
func TestProbeTextVerdictFirst(t *testing.T) {
	rep := &probe.Report{Method: "GET", URL: "http://127.0.0.1:1/api/me", AcceptedAny: true, Failed: 2, Passed: 1, GenuineAccepted: true,
		Probes: []probe.Result{
			{Name: probe.CaseGenuine, Outcome: probe.Pass, Status: 200, Message: "accepted (HTTP 200)"},
			{Name: probe.CaseUnknownKid, Outcome: probe.Fail, Status: 200, Message: "ACCEPTED (HTTP 200)"},
			{Name: probe.CaseKidSQLInjection, Outcome: probe.Fail, Status: 200, Message: "ACCEPTED (HTTP 200)", ExplainedBy: probe.CaseUnknownKid},
		},
		Causes: []probe.Cause{{Case: probe.CaseUnknownKid, Fix: "refuse a token whose kid is not in the JWKS", Explains: []string{probe.CaseKidSQLInjection}}},
		Coverage: probe.Coverage{Checks: []probe.CheckCoverage{
			{Check: probe.CheckKid, Status: probe.Tested},
			{Check: probe.CheckNbf, Status: probe.CheckUntested, NotTested: []string{probe.CaseNotYetValid}, Why: "give --not-yet-valid-token", EnabledBy: "--not-yet-valid-token"},
		}}}
	var out bytes.Buffer
	if err := ProbeText(&out, rep, Styles{}); err != nil {
		t.Fatal(err)
	}
	lines := strings.Split(out.String(), "\n")
	if !strings.HasPrefix(lines[0], "Result: FAIL") ||
		lines[1] != "  fix (unknown_kid): refuse a token whose kid is not in the JWKS; this also explains kid_sql_injection" {
		t.Fatalf("not verdict first:\n%s", out.String())
	}
	for _, want := range []string{"ACCEPTED (HTTP 200); explained by unknown_kid", "not tested: nbf (not_yet_valid_token): give --not-yet-valid-token", "tested: kid"} {
		if !strings.Contains(out.String(), want) {
			t.Errorf("lacks %q:\n%s", want, out.String())
		}
	}
}

// A backend that takes only real tokens that are wrong in one way (an
// expired one, a retired key's) has not let anyone forge a token: the
// result line says what it accepted, not "anyone can call it as anyone".
func TestProbeResultSaysWhatWasAccepted(t *testing.T) {
	for _, tc := range []struct {
		causes []probe.Cause
		want   string
	}{
		{[]probe.Cause{{Case: probe.CaseExpiredToken}, {Case: probe.CaseRotatedKey}, {Case: probe.CaseAlgOtherFamily, Warning: true}},
			"Result: FAIL (1 passed, 2 failed): the backend ACCEPTED a token it must refuse (one its issuer signed, wrong in one way: expired_token, rotated_key_token) (2 flaws, each to fix below)"},
		{[]probe.Cause{{Case: probe.CaseExpiredToken}, {Case: probe.CaseAlgNone}},
			"Result: FAIL (1 passed, 2 failed): the backend ACCEPTED a forged token; anyone can call it as anyone (2 flaws, each to fix below)"},
	} {
		rep := &probe.Report{AcceptedAny: true, Failed: 2, Passed: 1, GenuineAccepted: true, Causes: tc.causes}
		if got := probeResult(rep, Styles{}); got != tc.want {
			t.Errorf("got  %s\nwant %s", got, tc.want)
		}
	}
}
