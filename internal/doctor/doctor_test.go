package doctor

import (
	"encoding/base64"
	"strings"
	"testing"
	"time"

	"github.com/baverify/baverify/internal/verify"
)

func TestVerdict(t *testing.T) {
	for _, tc := range []struct {
		name     string
		statuses []Status
		strict   bool
		want     Verdict
	}{
		{"all pass", []Status{Pass, Pass}, false, VerdictPass},
		{"skipped does not count", []Status{Pass, Skipped}, false, VerdictPass},
		{"warning", []Status{Pass, Warn}, false, VerdictWarn},
		{"warning, strict", []Status{Pass, Warn}, true, VerdictFail},
		{"failure", []Status{Fail, CouldNotCheck, NotRun}, false, VerdictFail},
		{"could not check", []Status{Pass, CouldNotCheck, Warn}, false, VerdictCouldNotCheck},
		{"not run is never a pass", []Status{Pass, NotRun}, false, VerdictCouldNotCheck},
		{"strict warning beats could not check", []Status{Warn, NotRun}, true, VerdictFail},
	} {
		t.Run(tc.name, func(t *testing.T) {
			s := Step{ID: "x"}
			for i, st := range tc.statuses {
				s.Checks = append(s.Checks, Check{ID: string(rune('a' + i)), Status: st})
			}
			r := Finish(&Report{Strict: tc.strict, Steps: []Step{s}})
			if r.Verdict != tc.want {
				t.Errorf("verdict %s, want %s", r.Verdict, tc.want)
			}
			if r.Steps[0].Status != worst(tc.statuses) {
				t.Errorf("step status %s, want %s", r.Steps[0].Status, worst(tc.statuses))
			}
			if want := len(tc.statuses) - count(tc.statuses, Pass) - count(tc.statuses, Skipped); len(r.Findings) != want {
				t.Errorf("%d findings, want %d", len(r.Findings), want)
			}
		})
	}
}

func worst(ss []Status) Status {
	w := Skipped
	for _, s := range ss {
		if rank(s) < rank(w) {
			w = s
		}
	}
	return w
}

func count(ss []Status, s Status) int {
	n := 0
	for _, x := range ss {
		if x == s {
			n++
		}
	}
	return n
}

func TestDateSkew(t *testing.T) {
	d := time.Date(2026, 12, 3, 12, 0, 0, 0, time.UTC)
	for _, tc := range []struct {
		local time.Time
		want  int64
	}{
		{d.Add(300 * time.Millisecond), 0}, // within the second Date names
		{d.Add(1200 * time.Millisecond), 0},
		{d.Add(-90 * time.Second), 90}, // the server is ahead
		{d.Add(91 * time.Second), -90}, // the server is behind
	} {
		if got := dateSkew(d, tc.local); got != tc.want {
			t.Errorf("local %s: skew %d, want %d", tc.local.Sub(d), got, tc.want)
		}
	}
}

func TestHeaderList(t *testing.T) {
	got := headerList([]string{"X-Request-Id, set-auth-jwt", " ,Foo"})
	if len(got) != 3 || !containsFold(got, "Set-Auth-JWT") || containsFold(got, "") {
		t.Errorf("headerList = %q", got)
	}
}

// FuzzServerHeaders: the header lists and the JWK members doctor reads
// come from the server; no input makes them panic, and what they keep is
// trimmed and non-empty.
func FuzzServerHeaders(f *testing.F) {
	f.Add("set-auth-jwt, X-Request-Id", []byte(`{"kty":"OKP","exp":1795708886}`))
	f.Add(" , *,", []byte(`{"exp":"soon"}`))
	f.Fuzz(func(t *testing.T, header string, jwk []byte) {
		for _, h := range headerList([]string{header}) {
			if h == "" || h != strings.TrimSpace(h) || strings.Contains(h, ",") {
				t.Fatalf("headerList kept %q", h)
			}
		}
		if exp, ok := jwkExp(jwk); ok && exp.IsZero() {
			t.Fatalf("jwkExp(%q) = zero time, ok", jwk)
		}
	})
}

func TestLifetimeCheck(t *testing.T) {
	now := time.Unix(1795708000, 0)
	claims := func(s string) verify.Object {
		tok, err := verify.Decode("eyJhbGciOiJFZERTQSJ9." + base64.RawURLEncoding.EncodeToString([]byte(s)) + ".c2ln")
		if err != nil {
			t.Fatal(err)
		}
		return tok.Claims
	}
	ok := claims(`{"iat":1795708000,"exp":1795708900}`) // 15 minutes
	for _, tc := range []struct {
		name   string
		claims verify.Object
		jwk    string
		want   Status
		says   string
	}{
		{"Better Auth: no exp on the key", ok, `{"kty":"OKP"}`, Skipped, "the token lifetime is 15m"},
		{"key outlives the token", ok, `{"exp":1795712000}`, Pass, "expires before its key"},
		{"token outlives the key", ok, `{"exp":1795708300}`, Warn, "outlives its key by 10m"},
		{"no exp on the token", claims(`{"iat":1795708000}`), `{"exp":1795712000}`, Warn, "exp cannot be read"},
	} {
		c := lifetimeCheck(tc.claims, []byte(tc.jwk), now)
		if c.Status != tc.want || !strings.Contains(c.Message, tc.says) {
			t.Errorf("%s: %s %q, want %s and %q", tc.name, c.Status, c.Message, tc.want, tc.says)
		}
	}
}
