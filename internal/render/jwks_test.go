package render

import (
	"bytes"
	"flag"
	"fmt"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/baverify/baverify/internal/jwks"
)

// A name of its own, so that it cannot clash with another renderer's flag.
var updateJWKSGolden = flag.Bool("update-jwks", false, "rewrite the jwks golden files in testdata/")

var ansiRE = regexp.MustCompile("\x1b\\[[0-9;]*m")

var goldenNow = time.Date(2026, 11, 26, 19, 50, 0, 0, time.UTC)

func readRepoFile(t testing.TB, path string) []byte {
	t.Helper()
	b, err := os.ReadFile(filepath.Join("..", "..", path))
	if err != nil {
		t.Fatal(err)
	}
	return b
}

func httpDoc(t *testing.T, source string, body []byte, h jwks.HTTPInfo) *jwks.Document {
	h.Bytes = len(body)
	return &jwks.Document{Source: source, Body: body, FetchedAt: goldenNow, HTTP: &h}
}

// jwksReports are the reports the golden files show.
func jwksReports(t *testing.T) map[string]*jwks.Report {
	eddsa := readRepoFile(t, "testdata/real/EdDSA/jwks.json")
	rs256 := readRepoFile(t, "testdata/real/RS256/jwks.json")
	url := "https://app.example.com/api/auth/jwks"
	reports := map[string]*jwks.Report{}

	reports["jwks_file.txt"] = jwks.Lint(&jwks.Document{Source: "testdata/real/RS256/jwks.json", Body: rs256},
		jwks.LintOptions{Now: goldenNow, ExpectAlgs: []string{"RS256"}, MinKeys: 1})

	fetched := jwks.Lint(httpDoc(t, url, eddsa, jwks.HTTPInfo{Status: 200, ContentType: "application/json", LatencyMs: 38}), jwks.LintOptions{})
	fetched.Cache = jwks.CacheFacts{Enabled: true, Stored: true}
	reports["jwks_fetched.txt"] = fetched

	cachedDoc := httpDoc(t, url, eddsa, jwks.HTTPInfo{Status: 200, ContentType: "application/json", CacheControl: "public, max-age=600",
		ETag: `"v1"`, LastModified: "Thu, 26 Nov 2026 19:00:00 GMT", FromCache: true, CacheAgeSeconds: 135})
	cached := jwks.Lint(cachedDoc, jwks.LintOptions{Strict: true})
	cached.Cache = jwks.CacheFacts{Enabled: true, Freshness: 10 * time.Minute, ServerTTL: true}
	reports["jwks_cached.txt"] = cached

	revalidated := jwks.Lint(httpDoc(t, url, eddsa, jwks.HTTPInfo{Status: 200, ContentType: "application/json", ETag: `W/"abc"`,
		FromCache: true, LatencyMs: 21}), jwks.LintOptions{})
	revalidated.Cache = jwks.CacheFacts{Enabled: true, Revalidated: true, Stored: true, TTL: 2 * time.Minute}
	reports["jwks_revalidated.txt"] = revalidated

	notFound := jwks.Lint(httpDoc(t, "http://localhost:3000/api/auth/jwks", []byte(`{"message":"Not Found"}`),
		jwks.HTTPInfo{Status: 404, ContentType: "application/json", LatencyMs: 3}), jwks.LintOptions{MinKeys: 1})
	notFound.Cache = jwks.CacheFacts{Enabled: true}
	reports["jwks_http_404.txt"] = notFound

	bad := []byte(`{"keys":[` +
		`{"kty":"OKP","crv":"Ed25519","x":"ApQ0cpk78a2fJDj34PVwA62miObq9_Rw4C__YW-sSQQ","d":"c2VjcmV0LXNlY3JldC1zZWNyZXQtc2VjcmV0LXNlY3I","kid":"dup","alg":"EdDSA"},` +
		`{"kty":"OKP","crv":"Ed25519","x":"fTosP2oLoPXGuzUIlDYOtbJNJBrGwl_NZpcou-Mp7B0","kid":"dup","alg":"ES256"},` +
		`{"kty":"EC","crv":"P-256","x":"AAAA","y":"AAAA","use":"enc"},` +
		`{"kty":"oct","k":"c2VjcmV0","kid":"hmac","alg":"HS256"}]}`)
	findings := jwks.Lint(httpDoc(t, "http://jwks.example.com/keys", bad, jwks.HTTPInfo{Status: 200, ContentType: "text/plain", LatencyMs: 120}),
		jwks.LintOptions{Strict: true, ExpectAlgs: []string{"EdDSA", "RS256"}, ExpectKids: []string{"current"}, MaxKeys: 3})
	reports["jwks_findings.txt"] = findings

	reports["jwks_empty.txt"] = jwks.Lint(&jwks.Document{Source: "stdin", Body: []byte(`{"keys":[]}`)}, jwks.LintOptions{Now: goldenNow})
	reports["jwks_invalid_json.txt"] = jwks.Lint(&jwks.Document{Source: "page.html", Body: []byte("<!doctype html>")}, jwks.LintOptions{Now: goldenNow})
	return reports
}

func golden(t *testing.T, name string, got []byte) {
	t.Helper()
	path := filepath.Join("testdata", name)
	if *updateJWKSGolden {
		if err := os.MkdirAll("testdata", 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(path, got, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	want, err := os.ReadFile(path)
	if err != nil {
		t.Fatalf("%v (go test ./internal/render -run TestJWKS -update-jwks creates it)", err)
	}
	if ansiRE.Match(want) {
		t.Fatalf("golden %s contains ANSI escapes", name)
	}
	if !bytes.Equal(got, want) {
		t.Errorf("output differs from %s (go test ./internal/render -run TestJWKS -update-jwks rewrites it)\n--- got\n%s\n--- want\n%s", path, got, want)
	}
}

func TestJWKSText(t *testing.T) {
	for name, r := range jwksReports(t) {
		t.Run(name, func(t *testing.T) {
			var plain, color bytes.Buffer
			if err := JWKSText(&plain, r, Styles{}); err != nil {
				t.Fatal(err)
			}
			golden(t, name, plain.Bytes())
			if err := JWKSText(&color, r, NewStyles(&color, true)); err != nil {
				t.Fatal(err)
			}
			if !ansiRE.Match(color.Bytes()) || ansiRE.ReplaceAllString(color.String(), "") != plain.String() {
				t.Fatalf("the coloured output is not the plain output in colour:\n%s", color.String())
			}
		})
	}
}

func TestJWKSJSON(t *testing.T) {
	r := jwksReports(t)["jwks_findings.txt"]
	var out bytes.Buffer
	if err := JSON(&out, r); err != nil {
		t.Fatal(err)
	}
	golden(t, "jwks_findings.json", out.Bytes())
	if strings.Contains(out.String(), "c2VjcmV0") {
		t.Fatal("a private value is in the JSON")
	}
	out.Reset()
	if err := JSON(&out, jwksReports(t)["jwks_file.txt"]); err != nil {
		t.Fatal(err)
	}
	golden(t, "jwks_file.json", out.Bytes())
}

func TestJWKSTextVerdicts(t *testing.T) {
	for _, tc := range []struct {
		sevs   []jwks.Severity
		strict bool
		want   string
	}{
		{nil, false, "PASS (0 errors, 0 warnings, 0 info)  f: 0 keys"},
		{[]jwks.Severity{jwks.SeverityWarning}, false, "PASS (0 errors, 1 warning, 0 info; --strict would fail)  f: 0 keys"},
		{[]jwks.Severity{jwks.SeverityWarning, jwks.SeverityInfo}, true, "FAIL (0 errors, 1 warning, 1 info; --strict fails on warnings)  f: warned"},
		{[]jwks.Severity{jwks.SeverityError, jwks.SeverityError}, false, "FAIL (2 errors, 0 warnings, 0 info)  f: error 0"},
	} {
		r := &jwks.Report{Source: "f", Strict: tc.strict, Keys: []jwks.KeySummary{}}
		for i, s := range tc.sevs {
			msg := map[jwks.Severity]string{jwks.SeverityError: fmt.Sprintf("error %d", i), jwks.SeverityWarning: "warned"}[s]
			r.Findings = append(r.Findings, jwks.Finding{Code: "c", Severity: s, Message: msg, Hint: "h"})
		}
		var out bytes.Buffer
		if err := JWKSText(&out, r, Styles{}); err != nil {
			t.Fatal(err)
		}
		// The verdict comes first: a CI log shows it without scrolling.
		if first, _, _ := strings.Cut(out.String(), "\n"); first != tc.want {
			t.Errorf("first line %q, want %q:\n%s", first, tc.want, out.String())
		}
	}
}

// TestJWKSTextIsTerminalSafe: every string from the document or the server
// is escaped, and long kids are cut in the table.
func TestJWKSTextIsTerminalSafe(t *testing.T) {
	evil := "\x1b]0;title\x07\u202e"
	kid := evil + strings.Repeat("k", 100)
	r := &jwks.Report{
		Source: "https://x.example/\x1b[2J", FetchedAt: "2026-11-26T19:50:00Z",
		HTTP:     &jwks.HTTPInfo{Status: 200, ContentType: evil, CacheControl: evil, ETag: evil, LastModified: evil},
		Keys:     []jwks.KeySummary{{Kid: &kid, Kty: &evil, Alg: &evil, Crv: &evil, Use: &evil}},
		Findings: []jwks.Finding{{Code: "missing_alg", Severity: jwks.SeverityWarning, Message: "key " + evil, Hint: evil + "\nnext"}},
	}
	var out bytes.Buffer
	if err := JWKSText(&out, r, Styles{}); err != nil {
		t.Fatal(err)
	}
	if strings.ContainsAny(out.String(), "\x1b\x07\u202e") {
		t.Fatalf("raw control characters: %q", out.String())
	}
	if strings.Contains(out.String(), strings.Repeat("k", 60)) {
		t.Fatalf("the kid column is not cut:\n%s", out.String())
	}
	if strings.Contains(out.String(), "\nnext") {
		t.Fatal("a hint broke the line")
	}
}
