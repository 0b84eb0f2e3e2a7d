package render

import (
	"bytes"
	"encoding/json"
	"strings"
	"testing"
	"time"
	"unicode/utf8"

	"github.com/baverify/baverify/internal/verify"
)

func TestSafe(t *testing.T) {
	for in, want := range map[string]string{
		"plain text":          "plain text",
		"alice\x1b[2J":        `alice\u001b[2J`,
		"line\rover":          `line\u000dover`,
		"c1\u009bcsi":         `c1\u009bcsi`,
		"bidi\u202eevil":      `bidi\u202eevil`,
		"bad \xff utf8":       "bad \uFFFD utf8",
		"two\nlines":          "two\nlines",
		"émoji 🙂 stays as is": "émoji 🙂 stays as is",
	} {
		if got := Safe(in); got != want {
			t.Errorf("Safe(%q) = %q, want %q", in, got, want)
		}
	}
	if got := SafeLine("a\nb"); got != `a\nb` {
		t.Errorf("SafeLine = %q", got)
	}
}

func FuzzSafe(f *testing.F) {
	f.Add("\x1b]8;;http://evil\x1b\\link\x1b]8;;\x1b\\")
	f.Add("\u202e\r\n\x00")
	f.Fuzz(func(t *testing.T, s string) {
		out := SafeLine(s)
		for _, r := range out {
			if r < 0x20 || (r >= 0x7f && r < 0xa0) || isBidi(r) {
				t.Fatalf("SafeLine(%q) leaks %U", s, r)
			}
		}
	})
}

func TestPlainStylesWriteNoEscapes(t *testing.T) {
	var buf bytes.Buffer
	st := NewStyles(&buf, false)
	if got := apply(st.Fail, "x") + apply(st.Heading, "y"); got != "xy" {
		t.Fatalf("plain styles changed text: %q", got)
	}
	colored := NewStyles(&buf, true)
	if got := colored.Fail("x"); !strings.Contains(got, "\x1b[") {
		t.Fatalf("colour styles wrote no escape: %q", got)
	}
}

// JSON output escapes what a terminal could act on; the value is the same.
func TestJSONEscapesTerminalControls(t *testing.T) {
	in := map[string]string{"body": "a\u009b2Jb\u202ec\x1b[0m\xff"}
	var buf bytes.Buffer
	if err := JSON(&buf, in); err != nil {
		t.Fatal(err)
	}
	out := buf.String()
	for _, r := range out {
		if r == 0x1b || (r >= 0x80 && r <= 0x9f) || r == '\u202e' {
			t.Fatalf("raw %U in %q", r, out)
		}
	}
	var back map[string]string
	if err := json.Unmarshal(buf.Bytes(), &back); err != nil || back["body"] != "a\u009b2Jb\u202ec\x1b[0m\ufffd" {
		t.Fatalf("round trip: %q, %v", back["body"], err)
	}
}

// Every string of the key that verified (or failed to) comes from the JWKS:
// none reaches the terminal raw.
func TestTokenTextKeyIsTerminalSafe(t *testing.T) {
	evil := "\x1b]0;owned\x07\u202e"
	r := &verify.Result{Checks: []verify.Check{}, Errors: []verify.Problem{}, Warnings: []verify.Problem{},
		Key: &verify.KeyInfo{Kid: evil, Kty: evil, Crv: evil, Alg: evil, Source: evil, Thumbprint: "t"}}
	var out bytes.Buffer
	if err := TokenText(&out, r, Styles{}, TokenTextOptions{}); err != nil {
		t.Fatal(err)
	}
	if strings.ContainsAny(out.String(), "\x1b\x07\u202e") {
		t.Fatalf("raw control characters: %q", out.String())
	}
}

// rawJSON is a value whose MarshalJSON copies bytes as they came.
type rawJSON []byte

func (r rawJSON) MarshalJSON() ([]byte, error) { return r, nil }

// Bytes that are not UTF-8, and DEL, never reach the JSON output raw, even
// from a MarshalJSON that copies bytes: the output is valid UTF-8.
func TestJSONIsAlwaysValidUTF8(t *testing.T) {
	in := map[string]any{"claims": rawJSON("{\"sub\":\"a\x9b[2Jb\x7f\xc2\"}")}
	var buf bytes.Buffer
	if err := JSON(&buf, in); err != nil {
		t.Fatal(err)
	}
	if !utf8.Valid(buf.Bytes()) || strings.ContainsAny(buf.String(), "\x7f\u009b") {
		t.Fatalf("%q", buf.String())
	}
	var back struct{ Claims struct{ Sub string } }
	if err := json.Unmarshal(buf.Bytes(), &back); err != nil || back.Claims.Sub != "a\ufffd[2Jb\x7f\ufffd" {
		t.Fatalf("round trip: %q, %v", back.Claims.Sub, err)
	}
}

// A style is reset before every newline, never after it, and a block of
// lines is not padded to one width.
func TestStylesResetBeforeNewline(t *testing.T) {
	var buf bytes.Buffer
	st := NewStyles(&buf, true)
	for _, style := range []func(string) string{st.Heading, st.Warn, st.Dim} {
		for in, want := range map[string]string{
			"a\nbb": style("a") + "\n" + style("bb"),
			"x\n":   style("x") + "\n",
			"\nx":   "\n" + style("x"),
		} {
			got := style(in)
			if got != want {
				t.Errorf("style(%q) = %q, want %q", in, got, want)
			}
			checkResetPerLine(t, in, got)
		}
	}
}

// checkResetPerLine fails when a line of coloured output starts with a
// reset (a style carried over a newline) or ends inside a style.
func checkResetPerLine(t *testing.T, name, s string) {
	t.Helper()
	for i, l := range strings.Split(s, "\n") {
		if strings.HasPrefix(l, "\x1b[0m") {
			t.Errorf("%s: line %d starts with a reset: %q", name, i+1, l)
		}
		if j := strings.LastIndex(l, "\x1b["); j >= 0 && !strings.HasPrefix(l[j:], "\x1b[0m") {
			t.Errorf("%s: line %d ends inside a style: %q", name, i+1, l)
		}
	}
}

// Every coloured report keeps its styles within lines.
func TestColouredReportsResetPerLine(t *testing.T) {
	for name, rep := range jwksReports(t) {
		var buf bytes.Buffer
		if err := JWKSText(&buf, rep, NewStyles(&buf, true)); err != nil {
			t.Fatal(err)
		}
		checkResetPerLine(t, name, buf.String())
	}
	validEd, meta := realResult(t, "EdDSA", time.Minute)
	for _, status := range []int{200, 401, 500} {
		var buf bytes.Buffer
		rep := callReport(t, validEd, meta, status, "text/plain", "Internal\nServer Error", "", nil)
		if err := CallText(&buf, rep, NewStyles(&buf, true), CallTextOptions{}); err != nil {
			t.Fatal(err)
		}
		checkResetPerLine(t, "call", buf.String())
	}
	var buf bytes.Buffer
	if err := TokenText(&buf, validEd, NewStyles(&buf, true), TokenTextOptions{}); err != nil {
		t.Fatal(err)
	}
	checkResetPerLine(t, "token", buf.String())
}
