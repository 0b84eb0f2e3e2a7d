package batch

import (
	"bytes"
	"context"
	"crypto/ed25519"
	"crypto/rand"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"reflect"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/baverify/baverify/internal/jwks"
	"github.com/baverify/baverify/internal/verify"
)

const (
	iss = "https://app.example.com"
	now = 1795707986
)

type signer struct {
	kid  string
	priv ed25519.PrivateKey
}

func newSigner(t testing.TB, kid string) signer {
	_, priv, err := ed25519.GenerateKey(rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	return signer{kid: kid, priv: priv}
}

func b64(b []byte) string { return base64.RawURLEncoding.EncodeToString(b) }

func (s signer) sign(claims map[string]any) string {
	h := b64([]byte(`{"alg":"EdDSA","kid":"` + s.kid + `"}`))
	p, _ := json.Marshal(claims)
	in := h + "." + b64(p)
	return in + "." + b64(ed25519.Sign(s.priv, []byte(in)))
}

func (s signer) jwk() map[string]any {
	return map[string]any{"kty": "OKP", "crv": "Ed25519", "alg": "EdDSA", "kid": s.kid, "x": b64(s.priv.Public().(ed25519.PublicKey))}
}

func claims(kv ...any) map[string]any {
	c := map[string]any{"iat": now - 60, "exp": now + 840, "iss": iss, "aud": iss, "sub": "user-1", "email": "a@example.com"}
	for i := 0; i+1 < len(kv); i += 2 {
		c[kv[i].(string)] = kv[i+1]
	}
	return c
}

func verifier(t testing.TB, keys ...signer) *verify.Verifier {
	t.Helper()
	var ks []map[string]any
	for _, k := range keys {
		ks = append(ks, k.jwk())
	}
	doc, _ := json.Marshal(map[string]any{"keys": ks})
	set, err := jwks.Parse(doc)
	if err != nil {
		t.Fatal(err)
	}
	return &verify.Verifier{Keys: verify.StaticKeys{Keys: &verify.KeySet{Set: set, Source: "test"}},
		Policy: verify.Policy{Issuer: iss, Audiences: []string{iss}}, Now: func() time.Time { return time.Unix(now, 0) }}
}

func runAll(t testing.TB, v *verify.Verifier, input string, opts Options) ([]Line, int64, error) {
	t.Helper()
	b, err := verify.NewBatch(context.Background(), v)
	if err != nil {
		t.Fatal(err)
	}
	var got []Line
	n, err := Run(context.Background(), strings.NewReader(input), b, opts, func(l *Line) error {
		c := *l
		c.Errors = append([]verify.Problem(nil), l.Errors...)
		c.Aud = append([]string(nil), l.Aud...)
		got = append(got, c)
		return nil
	})
	return got, n, err
}

// TestRunMixedFile: every kind of line gets its verdict and its line
// number, in input order, whatever the number of workers; and every token
// gets the verdict and codes that `token` (Verifier.Verify) gives it.
func TestRunMixedFile(t *testing.T) {
	k := newSigner(t, "k1")
	v := verifier(t, k)
	valid := k.sign(claims())
	parts := strings.Split(valid, ".")
	tampered := parts[0] + "." + b64([]byte(`{"exp":1795708886,"iss":"`+iss+`","aud":"`+iss+`","sub":"admin"}`)) + "." + parts[2]
	expired := k.sign(claims("exp", now-1))
	wrongAud := k.sign(claims("aud", "https://api.example.com"))
	unknown := newSigner(t, "other").sign(claims())
	type want struct {
		verdict Verdict
		codes   []verify.Code
	}
	lines := []struct {
		text string
		want *want // nil: blank, no result
	}{
		{valid, &want{Valid, nil}},
		{"", nil},
		{tampered, &want{Invalid, []verify.Code{verify.CodeSignature}}},
		{"   \t ", nil},
		{"garbage", &want{Invalid, []verify.Code{verify.CodeMalformed}}},
		{"Bearer " + valid, &want{Valid, nil}},
		{"Authorization: Bearer " + valid + "\r", &want{Valid, nil}},
		{`"` + valid + `"`, &want{Valid, nil}},
		{"Bearer", &want{Invalid, []verify.Code{verify.CodeMalformed}}},
		{expired + "\r", &want{Invalid, []verify.Code{verify.CodeExpired}}},
		{wrongAud, &want{Invalid, []verify.Code{verify.CodeAudienceMismatch}}},
		{unknown, &want{Invalid, []verify.Code{verify.CodeKeyNotFound}}},
		{"\r", nil},
		{"a.b.c.d.e", &want{Invalid, []verify.Code{verify.CodeMalformed}}},
		{valid, &want{Valid, nil}}, // the last line, without a newline
	}
	var in strings.Builder
	for i, l := range lines {
		in.WriteString(l.text)
		if i < len(lines)-1 {
			in.WriteString("\n")
		}
	}
	// Many copies, so that chunks and workers interleave.
	const copies = 100
	input := strings.Repeat(in.String()+"\n", copies-1) + in.String()
	for _, workers := range []int{1, 3, 16} {
		t.Run(fmt.Sprintf("%d workers", workers), func(t *testing.T) {
			got, n, err := runAll(t, v, input, Options{Workers: workers})
			if err != nil {
				t.Fatal(err)
			}
			if n != int64(copies*len(lines)) {
				t.Fatalf("%d lines read, want %d", n, copies*len(lines))
			}
			i := 0
			for c := 0; c < copies; c++ {
				for j, l := range lines {
					if l.want == nil {
						continue
					}
					if i >= len(got) {
						t.Fatalf("only %d results", len(got))
					}
					g := got[i]
					i++
					number := int64(c*len(lines) + j + 1)
					if g.Number != number || g.Verdict != l.want.verdict || !reflect.DeepEqual(codesOf(g), l.want.codes) {
						t.Fatalf("result %d: line %d %s %v, want line %d %s %v (%+v)", i, g.Number, g.Verdict, codesOf(g), number, l.want.verdict, l.want.codes, g.Errors)
					}
					if c == 0 {
						tok, err := verify.NormalizeInput(l.text)
						if err != nil {
							continue
						}
						r := v.Verify(context.Background(), tok)
						var o verify.Outcome
						verify.OutcomeOf(r, &o)
						if r.Valid != g.Valid || !reflect.DeepEqual(codesOf(Line{Outcome: o}), codesOf(g)) || o.Kid != g.Kid || o.Iss != g.Iss || o.Exp != g.Exp {
							t.Fatalf("line %d: batch %+v, token %+v", number, g.Outcome, o)
						}
					}
				}
			}
			if i != len(got) {
				t.Fatalf("%d results, want %d", len(got), i)
			}
		})
	}
}

func codesOf(l Line) []verify.Code {
	var out []verify.Code
	for _, e := range l.Errors {
		out = append(out, e.Code)
	}
	return out
}

// An over-long line is a malformed result with its number; the next line
// is read as usual.
func TestRunOverlongLine(t *testing.T) {
	k := newSigner(t, "k1")
	valid := k.sign(claims())
	input := valid + "\n" + strings.Repeat("x", 5000) + "\n" + valid + "\n" + strings.Repeat("y", 100000) + valid
	got, n, err := runAll(t, verifier(t, k), input, Options{Workers: 2, MaxLine: 4096})
	if err != nil || n != 4 {
		t.Fatal(n, err)
	}
	want := []Verdict{Valid, Invalid, Valid, Invalid}
	for i, g := range got {
		if g.Number != int64(i+1) || g.Verdict != want[i] {
			t.Fatalf("%d: %+v", i, g)
		}
	}
	if len(got) != 4 || !strings.Contains(got[1].Errors[0].Message, "longer than") || got[1].Errors[0].Code != verify.CodeMalformed {
		t.Fatalf("%+v", got)
	}
}

func TestRunExtract(t *testing.T) {
	k := newSigner(t, "k1")
	valid := k.sign(claims())
	input := strings.Join([]string{
		`127.0.0.1 - - [26/Nov/2026:19:50:00 +0000] "GET /api/me HTTP/1.1" 200 "Bearer ` + valid + `"`,
		`127.0.0.1 - - "GET /health HTTP/1.1" 200`,
		``,
		`token=` + valid + `. Done.`,
		`Authorization: Bearer%20` + valid + `&x=1`,
	}, "\n")
	got, _, err := runAll(t, verifier(t, k), input, Options{Workers: 2, Extract: true})
	if err != nil {
		t.Fatal(err)
	}
	want := []struct {
		n int64
		v Verdict
	}{{1, Valid}, {2, NoToken}, {4, Valid}, {5, Valid}}
	if len(got) != len(want) {
		t.Fatalf("%+v", got)
	}
	for i, w := range want {
		if got[i].Number != w.n || got[i].Verdict != w.v {
			t.Fatalf("%d: %+v, want %+v", i, got[i], w)
		}
	}
}

func TestExtract(t *testing.T) {
	for in, want := range map[string]string{
		"x eyJa.b.c y":         "eyJa.b.c",
		"eyJa.b.c.":            "eyJa.b.c",
		"eyJa.b.":              "eyJa.b.",
		"eyJa.b eyJc.d.e":      "eyJc.d.e",
		"eyJa.b.c.d.e":         "eyJa.b.c.d.e",
		"no token here":        "",
		"eyJ":                  "",
		`{"token":"eyJ1.2.3"}`: "eyJ1.2.3",
		// Inside a longer run the bytes were never sent as a token.
		"access_token=0eyJa.b.c":         "",
		"xeyJa.b.c eyJd.e.f":             "eyJd.e.f",
		"a.eyJa.b.c":                     "",
		"Authorization: Bearer eyJa.b.c": "eyJa.b.c",
		"\teyJa.b.c":                     "eyJa.b.c",
	} {
		if got := string(Extract([]byte(in))); got != want {
			t.Errorf("Extract(%q) = %q, want %q", in, got, want)
		}
	}
}

// An emit error stops the run and is returned; nothing leaks.
func TestRunEmitError(t *testing.T) {
	k := newSigner(t, "k1")
	b, err := verify.NewBatch(context.Background(), verifier(t, k))
	if err != nil {
		t.Fatal(err)
	}
	stop := errors.New("stop")
	calls := 0
	_, err = Run(context.Background(), strings.NewReader(strings.Repeat(k.sign(claims())+"\n", 5000)), b, Options{Workers: 4}, func(*Line) error {
		calls++
		if calls == 10 {
			return stop
		}
		return nil
	})
	if !errors.Is(err, stop) || calls != 10 {
		t.Fatalf("%v after %d calls", err, calls)
	}
}

func TestSummary(t *testing.T) {
	s := NewSummary()
	s.Add(&Line{Number: 1, Verdict: Valid, Outcome: verify.Outcome{Valid: true, Kid: "k1", Alg: "EdDSA", Iss: iss, Aud: []string{iss}}})
	s.Add(&Line{Number: 2, Verdict: Invalid, Outcome: verify.Outcome{Kid: "k1", Alg: "EdDSA", Iss: iss, Aud: []string{"a", "b"},
		Errors: []verify.Problem{{Code: verify.CodeExpired}, {Code: verify.CodeAudienceMismatch}}}})
	s.Add(&Line{Number: 3, Verdict: NoToken})
	if s.Lines != 3 || s.Tokens != 2 || s.Verdicts[Valid] != 1 || s.Codes[verify.CodeExpired] != 1 || s.Kid.Values["k1"] != 2 ||
		s.Aud.Values["a"] != 1 || !reflect.DeepEqual(s.FirstLines["no_token"], []int64{3}) || s.AllValid() {
		t.Fatalf("%+v", s)
	}
	c := newCounts()
	for i := 0; i < maxValues+10; i++ {
		c.add(fmt.Sprint(i))
	}
	if len(c.Values) != maxValues || c.Other != 10 {
		t.Fatalf("%d values, other %d", len(c.Values), c.Other)
	}
	long := newCounts()
	long.add(strings.Repeat("x", 1<<20))
	for v := range long.Values {
		if len(v) > maxValueBytes+3 {
			t.Fatalf("a value of %d bytes is kept", len(v))
		}
	}
}

// FuzzRunLines: whatever the input, every non-blank line gets exactly one
// result, with its number, in order.
func FuzzRunLines(f *testing.F) {
	k := newSigner(f, "k1")
	valid := k.sign(claims())
	f.Add([]byte(valid+"\r\n\n  \nBearer "+valid+"\nx"), false, 1)
	f.Add([]byte("a\n\nb\r\n"+strings.Repeat("z", 300)), true, 3)
	f.Add([]byte("eyJ.eyJ.\n\xff\xfe\n"), true, 2)
	b, err := verify.NewBatch(context.Background(), verifier(f, k))
	if err != nil {
		f.Fatal(err)
	}
	f.Fuzz(func(t *testing.T, input []byte, extract bool, workers int) {
		workers = 1 + (workers&0xff)%8
		var want []int64
		lines := bytes.Split(input, []byte("\n"))
		if len(lines) > 0 && len(lines[len(lines)-1]) == 0 {
			lines = lines[:len(lines)-1]
		}
		for i, l := range lines {
			if len(bytes.TrimSpace(l)) > 0 {
				want = append(want, int64(i+1))
			}
		}
		var got []int64
		n, err := Run(context.Background(), bytes.NewReader(input), b, Options{Workers: workers, Extract: extract, MaxLine: 200}, func(l *Line) error {
			got = append(got, l.Number)
			switch l.Verdict {
			case Valid, Invalid, NoToken:
			default:
				t.Fatalf("line %d: verdict %q", l.Number, l.Verdict)
			}
			if l.Verdict == NoToken && !extract {
				t.Fatalf("line %d: no_token without --extract", l.Number)
			}
			return nil
		})
		if err != nil || n != int64(len(lines)) || !reflect.DeepEqual(got, want) && (len(got) != 0 || len(want) != 0) {
			t.Fatalf("err %v, %d lines read (want %d), results %v, want %v", err, n, len(lines), got, want)
		}
	})
}

func FuzzExtract(f *testing.F) {
	f.Add([]byte("Bearer eyJa.b.c."))
	f.Add([]byte("eyJeyJ..eyJ.a.b"))
	f.Add([]byte("access_token=0eyJa.b.c x eyJd.e.f"))
	f.Fuzz(func(t *testing.T, line []byte) {
		tok := Extract(line)
		if tok == nil {
			return
		}
		if !bytes.HasPrefix(tok, []byte("eyJ")) || bytes.Count(tok, []byte(".")) < 2 || !bytes.Contains(line, tok) || !plainToken(tok) {
			t.Fatalf("Extract(%q) = %q", line, tok)
		}
		// The token is a whole run: it starts the line or follows a byte
		// (or a percent-escape of one) that is neither base64url nor a dot.
		if off := cap(line) - cap(tok); off > 0 && (verify.IsBase64URLByte(line[off-1]) || line[off-1] == '.') && !escapedSeparator(line[:off]) {
			t.Fatalf("Extract(%q) = %q starts inside a longer run", line, tok)
		}
	})
}

// rotatingKeys is a key source whose refetch brings another set, which
// Load returns from then on, as keysource.Remote does: the server rotated
// its key since the set Load returns was cached.
type rotatingKeys struct {
	mu            sync.Mutex
	before, after *verify.KeySet
	refetched     bool
}

func (r *rotatingKeys) Load(context.Context) (*verify.KeySet, error) {
	r.mu.Lock()
	defer r.mu.Unlock()
	if r.refetched {
		return r.after, nil
	}
	return r.before, nil
}

func (r *rotatingKeys) Refresh(context.Context) (*verify.KeySet, error) {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.refetched = true
	return r.after, nil
}

// TestRunVerdictIndependentOfPosition: identical lines get identical
// verdicts whatever their position and the number of workers, even when a
// line with a kid the run's keys lack comes first (a refetch there would
// change the keys for the lines after it).
func TestRunVerdictIndependentOfPosition(t *testing.T) {
	oldKey, newKey := newSigner(t, "old"), newSigner(t, "new")
	setOf := func(k signer) *verify.KeySet {
		return verifier(t, k).Keys.(verify.StaticKeys).Keys
	}
	v := verifier(t, oldKey)
	v.Keys = &rotatingKeys{before: setOf(oldKey), after: setOf(newKey)}
	oldTok, newTok := oldKey.sign(claims()), newKey.sign(claims())
	var in []string
	for i := 0; i < 200; i++ {
		in = append(in, oldTok, newTok)
	}
	for _, workers := range []int{1, 2, 8} {
		v.Keys = &rotatingKeys{before: setOf(oldKey), after: setOf(newKey)}
		got, _, err := runAll(t, v, strings.Join(in, "\n"), Options{Workers: workers})
		if err != nil {
			t.Fatal(err)
		}
		first := map[string]Line{}
		for i, l := range got {
			text := in[i]
			f, seen := first[text]
			if !seen {
				first[text] = l
				continue
			}
			if l.Verdict != f.Verdict || !reflect.DeepEqual(l.Errors, f.Errors) {
				t.Fatalf("-j %d: line %d is %s %v, the same token on line %d is %s %v",
					workers, l.Number, l.Verdict, l.Errors, f.Number, f.Verdict, f.Errors)
			}
		}
		if first[oldTok].Verdict != Valid || first[newTok].Verdict != Invalid || first[newTok].Errors[0].Code != verify.CodeKeyNotFound {
			t.Fatalf("-j %d: old %+v, new %+v: the run's keys are the set read at the start", workers, first[oldTok], first[newTok])
		}
	}
}
