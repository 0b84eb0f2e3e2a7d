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
