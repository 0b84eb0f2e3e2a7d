package render

import (
	"bytes"
	"encoding/json"
	"strings"
	"testing"

	"github.com/baverify/baverify/internal/batch"
	"github.com/baverify/baverify/internal/verify"
)

func TestAppendBatchJSON(t *testing.T) {
	l := &batch.Line{Number: 7, Verdict: batch.Invalid, Outcome: verify.Outcome{
		Errors: []verify.Problem{{Code: verify.CodeAudienceMismatch, Message: "aud is \"x\"\n<b> but you expect y", Hint: "not shown"}},
		Kid:    "k\x1b[31m", Alg: "EdDSA", Iss: "https://app.example.com", Aud: []string{"a", "b"}, AudArray: true, Exp: "1795723237"}}
	got := string(AppendBatchJSON(nil, l, nil))
	want := `{"line":7,"verdict":"invalid","valid":false,"errors":[{"code":"audience_mismatch","message":"aud is \"x\"\n\u003cb\u003e but you expect y"}],"kid":"k\u001b[31m","alg":"EdDSA","sub":null,"iss":"https://app.example.com","aud":["a","b"],"exp":1795723237,"keys":null}` + "\n"
	if got != want {
		t.Fatalf("got  %s\nwant %s", got, want)
	}
}

// Token-controlled values reach the terminal only made safe.
func TestBatchTextIsTerminalSafe(t *testing.T) {
	s := batch.NewSummary()
	s.Add(&batch.Line{Number: 1, Verdict: batch.Valid, Outcome: verify.Outcome{Valid: true, Iss: "evil\x1b]0;title\x07", Kid: "k"}})
	s.Read = 1
	var b bytes.Buffer
	if err := BatchText(&b, s, Styles{}); err != nil {
		t.Fatal(err)
	}
	if strings.ContainsAny(b.String(), "\x1b\x07") || !strings.HasPrefix(b.String(), "VALID (the one token)  batch: 1 token on 1 line\n") {
		t.Fatalf("%q", b.String())
	}
}

// The batch's JSON Lines escape what render.JSON escapes: C1 controls, DEL
// and bidi overrides from a token never reach a terminal raw.
func TestAppendBatchJSONTerminalRunes(t *testing.T) {
	l := &batch.Line{Number: 1, Verdict: batch.Valid, Outcome: verify.Outcome{Valid: true,
		Sub: "\u009b2J\u202eevil", Iss: "del\x7f"}}
	got := string(AppendBatchJSON(nil, l, nil))
	if strings.ContainsAny(got, "\u009b\u202e\x7f") {
		t.Fatalf("raw terminal runes: %q", got)
	}
	var v struct{ Sub, Iss string }
	if err := json.Unmarshal([]byte(got), &v); err != nil || v.Sub != "\u009b2J\u202eevil" || v.Iss != "del\x7f" {
		t.Fatalf("not the same values: %v %+v\n%s", err, v, got)
	}
}

// Every record says where the run's keys came from.
func TestAppendBatchJSONKeys(t *testing.T) {
	age := int64(90)
	keys := BatchKeysJSON(&verify.KeysOrigin{Location: "https://app.example.com/api/auth/jwks", From: "cache", AgeSeconds: &age})
	got := string(AppendBatchJSON(nil, &batch.Line{Number: 1, Verdict: batch.Valid}, keys))
	if !strings.HasSuffix(got, `,"keys":{"location":"https://app.example.com/api/auth/jwks","from":"cache","ageSeconds":90}}`+"\n") {
		t.Fatalf("%s", got)
	}
}

// The summary names where the keys came from, and counts in words that
// agree with the numbers.
func TestBatchTextKeysAndPlurals(t *testing.T) {
	for _, tc := range []struct {
		valid, invalid int
		want           string
	}{
		{1, 0, "VALID (the one token)  batch: 1 token on 1 line\n"},
		{2, 0, "VALID (all 2 tokens)  batch: 2 tokens on 2 lines\n"},
		{0, 1, "INVALID (1 of 1 token not valid)  batch: 1 token on 1 line\n"},
		{1, 1, "INVALID (1 of 2 tokens not valid)  batch: 2 tokens on 2 lines\n"},
	} {
		s := batch.NewSummary()
		n := int64(0)
		for i := 0; i < tc.valid+tc.invalid; i++ {
			n++
			l := &batch.Line{Number: n, Verdict: batch.Valid, Outcome: verify.Outcome{Valid: true}}
			if i >= tc.valid {
				l = &batch.Line{Number: n, Verdict: batch.Invalid, Outcome: verify.Outcome{Errors: []verify.Problem{{Code: verify.CodeExpired}}}}
			}
			s.Add(l)
		}
		s.Read = n
		s.Keys = &verify.KeysOrigin{Location: "https://app.example.com/api/auth/jwks", From: "revalidated"}
		var b bytes.Buffer
		if err := BatchText(&b, s, Styles{}); err != nil {
			t.Fatal(err)
		}
		if !strings.HasPrefix(b.String(), tc.want) ||
			!strings.Contains(b.String(), "\nKeys: https://app.example.com/api/auth/jwks, revalidated (the cached copy, confirmed now by 304 Not Modified)\n") {
			t.Fatalf("%d valid, %d invalid:\n%s", tc.valid, tc.invalid, b.String())
		}
	}
}

// The first line says what the lines that were not tokens were, and where.
func TestBatchTextNamesTheLinesThatAreNoToken(t *testing.T) {
	for _, tc := range []struct {
		name  string
		lines []*batch.Line
		read  int64
		want  string
	}{
		{"--extract: a line without a JWT", []*batch.Line{
			{Number: 1, Verdict: batch.Valid, Outcome: verify.Outcome{Valid: true}},
			{Number: 2, Verdict: batch.NoToken}}, 2,
			"VALID (the one token)  batch: 1 token on 2 lines; 1 line held no JWT (line 2)\n"},
		{"a garbage line taken as a token", []*batch.Line{
			{Number: 1, Verdict: batch.Valid, Outcome: verify.Outcome{Valid: true}},
			{Number: 3, Verdict: batch.Invalid, Outcome: verify.Outcome{Errors: []verify.Problem{{Code: verify.CodeMalformed}}}}}, 3,
			"INVALID (1 of 2 tokens not valid)  batch: 2 tokens on 3 lines; 1 blank line; 1 is not a well-formed JWT (malformed: line 3)\n"},
	} {
		s := batch.NewSummary()
		for _, l := range tc.lines {
			s.Add(l)
		}
		s.Read = tc.read
		var b bytes.Buffer
		if err := BatchText(&b, s, Styles{}); err != nil {
			t.Fatal(err)
		}
		if first, _, _ := strings.Cut(b.String(), "\n"); first+"\n" != tc.want {
			t.Errorf("%s: first line\n%q, want\n%q", tc.name, first, tc.want)
		}
	}
}
