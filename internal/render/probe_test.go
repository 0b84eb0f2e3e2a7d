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
