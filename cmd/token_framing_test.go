package cmd

import (
	"encoding/json"
	"strings"
	"testing"
)

// A pasted header is stripped to check the token, and the output says
// what was stripped; framing a backend refuses (Bearer Bearer) is a
// warning that names it, and the verdict line says so: never a silent
// VALID.
func TestTokenFraming(t *testing.T) {
	rt := loadReal(t, "EdDSA")
	tok := strings.TrimSpace(rt.Token)
	args := func(extra ...string) []string {
		return append([]string{"token", "--jwks", rt.JWKSPath, "--issuer", rt.Origin, "--audience", rt.Origin, "--now", during(rt)}, extra...)
	}
	for _, tc := range []struct {
		name, input, note, warning string
	}{
		{"bare", tok, "", ""},
		{"header line", "Authorization: Bearer " + tok, `stripped the "Authorization:" header name and the "Bearer " prefix`, ""},
		{"doubled Bearer", "Authorization: Bearer Bearer " + tok, `a second "Bearer " prefix`, "doubled Bearer prefix"},
		{"Bearer with a colon", "Bearer: " + tok, `stripped "Bearer:"`, `"Bearer:" with a colon`},
		{"cookie pair", "better-auth.session_token=" + tok, `the cookie name "better-auth.session_token="`, "cookie pair"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			r := run(t, runConfig{}, args("-o", "json", tc.input)...)
			if r.code != 0 {
				t.Fatalf("exit %d: %s %s", r.code, r.stdout, r.stderr)
			}
			var got struct {
				Verdict  string
				Notes    []string
				Warnings []struct{ Code, Message, Hint string }
			}
			if err := json.Unmarshal([]byte(r.stdout), &got); err != nil || got.Notes == nil {
				t.Fatalf("%v: %s", err, r.stdout)
			}
			if got.Verdict != "valid" {
				t.Fatalf("verdict %s", got.Verdict)
			}
			notes := strings.Join(got.Notes, "\n")
			if (tc.note == "") != (notes == "") || !strings.Contains(notes, tc.note) {
				t.Errorf("notes %q, want %q", got.Notes, tc.note)
			}
			framing := ""
			for _, w := range got.Warnings {
				if w.Code == "header_framing" {
					framing = w.Message + " " + w.Hint
				}
			}
			if (tc.warning == "") != (framing == "") || !strings.Contains(framing, tc.warning) {
				t.Errorf("header_framing %q, want %q", framing, tc.warning)
			}
			text := run(t, runConfig{}, args(tc.input)...)
			// The verdict is the report's first line.
			verdictLine, _, _ := strings.Cut(text.stdout, "\n")
			if !strings.HasPrefix(verdictLine, "VALID") {
				t.Errorf("first line %q is not the verdict", verdictLine)
			}
			if tc.warning != "" && !strings.Contains(verdictLine, "header_framing") {
				t.Errorf("verdict line %q", verdictLine)
			}
			if tc.note != "" && !strings.Contains(text.stdout, "Notes\n  "+got.Notes[0]) {
				t.Errorf("no note in text:\n%s", text.stdout)
			}
		})
	}
}
