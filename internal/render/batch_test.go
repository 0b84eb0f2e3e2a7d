package render

import (
	"bytes"
	"strings"
	"testing"

	"github.com/baverify/baverify/internal/batch"
	"github.com/baverify/baverify/internal/verify"
)

func TestAppendBatchJSON(t *testing.T) {
	l := &batch.Line{Number: 7, Verdict: batch.Invalid, Outcome: verify.Outcome{
		Errors: []verify.Problem{{Code: verify.CodeAudienceMismatch, Message: "aud is \"x\"\n<b> but you expect y", Hint: "not shown"}},
		Kid:    "k\x1b[31m", Alg: "EdDSA", Iss: "https://app.example.com", Aud: []string{"a", "b"}, AudArray: true, Exp: "1795723237"}}
	got := string(AppendBatchJSON(nil, l))
	want := `{"line":7,"verdict":"invalid","valid":false,"errors":[{"code":"audience_mismatch","message":"aud is \"x\"\n\u003cb\u003e but you expect y"}],"kid":"k\u001b[31m","alg":"EdDSA","sub":null,"iss":"https://app.example.com","aud":["a","b"],"exp":1795723237}` + "\n"
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
	if strings.ContainsAny(b.String(), "\x1b\x07") || !strings.Contains(b.String(), "Batch: 1 token on 1 line\n") {
		t.Fatalf("%q", b.String())
	}
}
