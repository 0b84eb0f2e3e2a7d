package jwks

import (
	"bufio"
	"bytes"
	"encoding/json"
	"errors"
	"io"
	"net/http"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/baverify/baverify/internal/compat"
)

const fixtureURL = "https://app.example.com/api/auth/jwks"

var testNow = time.Date(2026, 11, 26, 19, 50, 0, 0, time.UTC)

// fixture loads testdata/jwks/NAME: a .http file is a raw HTTP response
// (status line, headers, body) fetched from source; anything else is a
// JWKS file.
func fixture(t testing.TB, name, source string) *Document {
	t.Helper()
	path := filepath.Join("..", "..", "testdata", "jwks", name)
	raw, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	if !strings.HasSuffix(name, ".http") {
		return &Document{Source: name, Body: raw}
	}
	resp, err := http.ReadResponse(bufio.NewReader(bytes.NewReader(raw)), nil)
	if err != nil {
		t.Fatalf("%s: %v", name, err)
	}
	body, err := io.ReadAll(resp.Body)
	if err != nil {
		t.Fatal(err)
	}
	if source == "" {
		source = fixtureURL
	}
	return &Document{Source: source, Body: body, FetchedAt: testNow, HTTP: &HTTPInfo{
		Status: resp.StatusCode, ContentType: resp.Header.Get("Content-Type"),
		CacheControl: resp.Header.Get("Cache-Control"), ETag: resp.Header.Get("ETag"),
		LastModified: resp.Header.Get("Last-Modified"), Bytes: len(body), LatencyMs: 12,
	}}
}

func codes(r *Report) []string {
	var c []string
	for _, f := range r.Findings {
		c = append(c, f.Code)
	}
	return c
}

// lintCases is one row per finding (and the clean documents); the test
// below checks that every finding code has a row.
var lintCases = []struct {
	name    string
	fixture string
	source  string // for .http fixtures; default fixtureURL
	opts    LintOptions
	want    []string // codes, in order
	// message must contain each of these; kid is the finding's kid
	message []string
	kid     string
}{
	{name: "real Better Auth EdDSA JWKS file", fixture: "../real/EdDSA/jwks.json"},
	{name: "two clean keys", fixture: "clean-two-keys.json"},
	{name: "cache headers and JWK Set content type", fixture: "cache-headers.http"},
	{name: "loopback over http", fixture: "better-auth.http", source: "http://127.0.0.1:3000/api/auth/jwks", want: []string{CodeNoCacheHeaders}},
	{name: "localhost over http", fixture: "better-auth.http", source: "http://localhost:3000/api/auth/jwks", want: []string{CodeNoCacheHeaders}},

	{name: "invalid_json", fixture: "invalid-json.html", want: []string{CodeInvalidJSON}, message: []string{"not valid JSON"}},
	{name: "invalid_jwks: no keys member", fixture: "invalid-jwks-no-keys.json", want: []string{CodeInvalidJWKS}, message: []string{`no "keys" member`}},
	{name: "invalid_jwks: a single JWK", fixture: "invalid-jwks-single-key.json", want: []string{CodeInvalidJWKS}, message: []string{"single JWK"}},
	{name: "invalid_jwks: a key that does not parse", fixture: "invalid-key.json", want: []string{CodeInvalidJWKS}, message: []string{"key \"", "does not parse: invalid \"x\" length"}},
	{name: "empty_jwks", fixture: "empty.json", want: []string{CodeEmptyJWKS}},
	{name: "private_key_material", fixture: "private-key.json", want: []string{CodePrivateKeyMaterial}, message: []string{"private key material: d"}, kid: "any"},
	{name: "symmetric_key_published (and its k)", fixture: "symmetric-key.json", want: []string{CodePrivateKeyMaterial, CodeSymmetricKeyPublished}, message: []string{": k"}},
	{name: "duplicate_kid", fixture: "duplicate-kid.json", want: []string{CodeDuplicateKid}, message: []string{"2 keys (#0, #1)"}, kid: "any"},
	{name: "missing_kid", fixture: "missing-kid.json", want: []string{CodeMissingKid}, message: []string{"key #0 has no kid"}},
	{name: "missing_alg", fixture: "missing-alg.json", want: []string{CodeMissingAlg}, message: []string{"has no alg"}, kid: "any"},
	{name: "weak_rsa_key", fixture: "weak-rsa-key.json", want: []string{CodeWeakRSAKey}, message: []string{"1024 bits"}, kid: "any"},
	{name: "rsa_key_too_large", fixture: "rsa-key-too-large.json", want: []string{CodeRSAKeyTooLarge}, message: []string{"RSA key of 16385 bits: over baverify's limit of 16384"}, kid: "any"},
	{name: "unsupported_kty: AKP", fixture: "unsupported-kty.json", want: []string{CodeUnsupportedKty}, message: []string{`"AKP"`}},
	{name: "unsupported_kty: X25519 curve", fixture: "unsupported-curve.json", want: []string{CodeUnsupportedKty}, message: []string{`"X25519"`}},
	{name: "alg_key_mismatch", fixture: "alg-key-mismatch.json", want: []string{CodeAlgKeyMismatch}, message: []string{`alg "ES256" needs a key of type EC/P-256, this one is OKP/Ed25519`}},
	{name: "key_use_not_sig: use enc", fixture: "key-use-enc.json", want: []string{CodeKeyUseNotSig}, message: []string{`use "enc"`}},
	{name: "key_use_not_sig: key_ops", fixture: "key-ops-no-verify.json", want: []string{CodeKeyUseNotSig}, message: []string{`key_ops ["encrypt"]`}},
	{name: "key_use_not_sig: use empty", fixture: "key-use-empty.json", want: []string{CodeKeyUseNotSig}, message: []string{`has use "", not "sig"`}, kid: "any"},
	{name: "key_use_not_sig: key_ops duplicates", fixture: "key-ops-duplicate.json", want: []string{CodeKeyUseNotSig}, message: []string{`key_ops lists "verify" twice`}, kid: "any"},
	{name: "key_use_not_sig: an X25519 encryption key", fixture: "x25519-encryption-key.json", want: []string{CodeKeyUseNotSig}, message: []string{`is an encryption key (OKP/X25519, alg "ECDH-ES", use "enc")`}, kid: "any"},
	{name: "alg_key_mismatch: EdDSA on X25519", fixture: "x25519-eddsa.json", want: []string{CodeAlgKeyMismatch}, message: []string{`alg "EdDSA" needs curve Ed25519 or Ed448, this key is on "X25519"`}, kid: "any"},
	{name: "weak_rsa_exponent", fixture: "rsa-exponent-3.json", want: []string{CodeWeakRSAExponent}, message: []string{"public exponent e = 3"}, kid: "any"},
	{name: "rsa_leading_zero", fixture: "rsa-leading-zero.json", want: []string{CodeRSALeadingZero}, message: []string{`"n" starts with a zero octet`}, kid: "any"},

	{name: "http_status (no no_cache_headers: a 404 is not the JWKS answer)", fixture: "http-404.http", want: []string{CodeHTTPStatus}, message: []string{"HTTP 404", "Not Found"}},
	{name: "content_type with an HTML page", fixture: "html-200.http", want: []string{CodeContentType, CodeNoCacheHeaders, CodeInvalidJSON}},
	{name: "content_type with a JWKS as text/plain", fixture: "text-plain.http", want: []string{CodeContentType, CodeNoCacheHeaders}, message: []string{"text/plain"}},
	{name: "no_cache_headers: what Better Auth sends", fixture: "better-auth.http", want: []string{CodeNoCacheHeaders}},
	{name: "insecure_transport", fixture: "better-auth.http", source: "http://app.example.com/api/auth/jwks", want: []string{CodeNoCacheHeaders, CodeInsecureTransport}},

	{name: "expect_alg met", fixture: "../real/ES256/jwks.json", opts: LintOptions{ExpectAlgs: []string{"ES256"}}},
	{name: "expect_alg unmet", fixture: "../real/ES256/jwks.json", opts: LintOptions{ExpectAlgs: []string{"EdDSA", "ES256"}}, want: []string{CodeExpectAlg}, message: []string{`alg "EdDSA"`, `has "ES256"`}},
	{name: "expect_alg needs a usable key", fixture: "weak-rsa-key.json", opts: LintOptions{ExpectAlgs: []string{"RS256"}}, want: []string{CodeWeakRSAKey, CodeExpectAlg}},
	{name: "expect_kid met", fixture: "../real/EdDSA/jwks.json", opts: LintOptions{ExpectKids: []string{"hL2uSJifK2R1El5ElOkR9Xi8MMt1LNBQ"}}},
	{name: "expect_kid unmet", fixture: "../real/EdDSA/jwks.json", opts: LintOptions{ExpectKids: []string{"gone"}}, want: []string{CodeExpectKid}, message: []string{`kid "gone"`}},
	{name: "min_keys met", fixture: "clean-two-keys.json", opts: LintOptions{MinKeys: 2}},
	{name: "min_keys unmet", fixture: "clean-two-keys.json", opts: LintOptions{MinKeys: 3}, want: []string{CodeMinKeys}, message: []string{"2 keys, fewer than --min-keys 3"}},
	{name: "min_keys on an empty set", fixture: "empty.json", opts: LintOptions{MinKeys: 1}, want: []string{CodeEmptyJWKS, CodeMinKeys}},
	{name: "max_keys met", fixture: "clean-two-keys.json", opts: LintOptions{MaxKeys: 2}},
	{name: "max_keys unmet", fixture: "clean-two-keys.json", opts: LintOptions{MaxKeys: 1}, want: []string{CodeMaxKeys}, message: []string{"2 keys, more than --max-keys 1"}},
	{name: "expect_library met", fixture: "../real/RS256/jwks.json", opts: LintOptions{ExpectLibraries: []string{"python-jose", "PyJWT/PyJWKClient"}}},
	{name: "expect_library unmet", fixture: "../real/EdDSA/jwks.json", opts: LintOptions{ExpectLibraries: []string{"PyJWT", "python-jose"}}, want: []string{CodeExpectLibrary},
		message: []string{`key "hL2uSJifK2R1El5ElOkR9Xi8MMt1LNBQ" (EdDSA) cannot be verified by python-jose (measured): python-jose 3.3.0`, "Unable to find an algorithm for key"}, kid: "any"},
	{name: "expect_library: a library not measured yet", fixture: "../real/ES256/jwks.json", opts: LintOptions{ExpectLibraries: []string{"jwx"}, Matrix: pyOnlyMatrix()}, want: []string{CodeExpectLibrary},
		message: []string{"jwx is not in the measured table yet"}},
	{name: "expect_library: a key without alg cannot be judged", fixture: "missing-alg.json", opts: LintOptions{ExpectLibraries: []string{"PyJWT"}}, want: []string{CodeMissingAlg, CodeExpectLibrary},
		message: []string{"has no alg: baverify cannot tell whether PyJWT verifies it"}},
	{name: "assertions are skipped when nothing parsed", fixture: "invalid-json.html", opts: LintOptions{MinKeys: 1, ExpectAlgs: []string{"EdDSA"}}, want: []string{CodeInvalidJSON}},
}

func TestLint(t *testing.T) {
	for _, tc := range lintCases {
		t.Run(tc.name, func(t *testing.T) {
			r := Lint(fixture(t, tc.fixture, tc.source), tc.opts)
			if got := codes(r); !slices.Equal(got, tc.want) {
				t.Fatalf("codes = %v, want %v\n%+v", got, tc.want, r.Findings)
			}
			for _, f := range r.Findings {
				if f.Severity != severityOf[f.Code] {
					t.Errorf("%s has severity %s, want %s", f.Code, f.Severity, severityOf[f.Code])
				}
				if f.Message == "" || f.Hint == "" {
					t.Errorf("%s: a finding needs a message and a one-line fix: %+v", f.Code, f)
				}
				if strings.Contains(f.Hint, "\n") || strings.Contains(f.Message, "\n") {
					t.Errorf("%s: message and hint must be one line", f.Code)
				}
			}
			all := ""
			for _, f := range r.Findings {
				all += f.Message + "\n"
			}
			for _, m := range tc.message {
				if !strings.Contains(all, m) {
					t.Errorf("messages do not contain %q:\n%s", m, all)
				}
			}
			if tc.kid == "any" && r.Findings[0].Kid == nil {
				t.Errorf("%s names no kid", r.Findings[0].Code)
			}
		})
	}
}

// pyOnlyMatrix is a compatibility table with PyJWT alone: the other
// libraries are known names without rows, whatever the embedded table
// measures.
func pyOnlyMatrix() *compat.Matrix {
	m, err := compat.Parse([]byte(`{"schema":1,"measuredWith":"test","setups":[{"id":"PyJWT/PyJWKClient","library":"PyJWT","language":"Python","setup":"PyJWKClient","version":"2.6.0",` +
		`"results":{"EdDSA":{"outcome":"ok"},"ES256":{"outcome":"ok"},"ES512":{"outcome":"ok"},"RS256":{"outcome":"ok"},"PS256":{"outcome":"ok"}}}]}`))
	if err != nil {
		panic(err)
	}
	return m
}

// severityOf is the severity the issue gives each code.
var severityOf = map[string]Severity{
	CodeInvalidJSON: SeverityError, CodeInvalidJWKS: SeverityError, CodeEmptyJWKS: SeverityError,
	CodePrivateKeyMaterial: SeverityError, CodeSymmetricKeyPublished: SeverityError,
	CodeDuplicateKid: SeverityError, CodeMissingKid: SeverityWarning, CodeMissingAlg: SeverityWarning,
	CodeWeakRSAKey: SeverityError, CodeRSAKeyTooLarge: SeverityError, CodeUnsupportedKty: SeverityWarning, CodeAlgKeyMismatch: SeverityError,
	CodeKeyUseNotSig: SeverityWarning, CodeHTTPStatus: SeverityError, CodeContentType: SeverityWarning,
	CodeNoCacheHeaders: SeverityInfo, CodeInsecureTransport: SeverityWarning,
	CodeExpectAlg: SeverityError, CodeExpectKid: SeverityError, CodeMinKeys: SeverityError, CodeMaxKeys: SeverityError,
	CodeExpectLibrary: SeverityError, CodeWeakRSAExponent: SeverityWarning, CodeRSALeadingZero: SeverityWarning,
}

// TestEveryFindingHasAFixture fails when a finding code has no severity
// here, no row in lintCases that produces it from a file in testdata/jwks,
// or no line in the findings table of docs/jwks.md.
func TestEveryFindingHasAFixture(t *testing.T) {
	covered := map[string]bool{}
	for _, tc := range lintCases {
		for _, c := range tc.want {
			covered[c] = true
		}
	}
	doc, err := os.ReadFile(filepath.Join("..", "..", "docs", "jwks.md"))
	if err != nil {
		t.Fatal(err)
	}
	for _, code := range Codes() {
		if _, ok := severityOf[code]; !ok {
			t.Errorf("finding %s has no severity in severityOf", code)
		}
		if !covered[code] {
			t.Errorf("finding %s has no fixture and test row", code)
		}
		if !strings.Contains(string(doc), "| `"+code+"` |") {
			t.Errorf("finding %s is not in the findings table of docs/jwks.md", code)
		}
	}
	if len(covered) != len(Codes()) || len(severityOf) != len(Codes()) {
		t.Errorf("lintCases produce %d codes, severityOf knows %d, Codes() lists %d", len(covered), len(severityOf), len(Codes()))
	}
}

// TestLintRealBetterAuthJWKS: what Better Auth 1.7.25 serves lints clean for
// every algorithm, both as a file and as its real HTTP answer (which has no
// cache headers: one info finding, no error, no warning).
func TestLintRealBetterAuthJWKS(t *testing.T) {
	for _, alg := range []string{"EdDSA", "ES256", "ES512", "RS256", "PS256"} {
		t.Run(alg, func(t *testing.T) {
			doc := fixture(t, "../real/"+alg+"/jwks.json", "")
			r := Lint(doc, LintOptions{ExpectAlgs: []string{alg}, MinKeys: 1, MaxKeys: 1, Strict: true})
			if len(r.Findings) != 0 || r.Failed() {
				t.Fatalf("findings: %+v", r.Findings)
			}
			if len(r.Keys) != 1 || *r.Keys[0].Alg != alg || r.Keys[0].Thumbprint == nil || r.Keys[0].Use != nil {
				t.Fatalf("keys: %+v", r.Keys)
			}
			doc.HTTP = &HTTPInfo{Status: 200, ContentType: "application/json", Bytes: len(doc.Body)}
			doc.Source = "http://127.0.0.1:3000/api/auth/jwks"
			r = Lint(doc, LintOptions{Strict: true})
			if got := codes(r); !slices.Equal(got, []string{CodeNoCacheHeaders}) || r.Failed() {
				t.Fatalf("as served: %v", got)
			}
		})
	}
}

// TestLintNeverPrintsPrivateValues: the private members are named, never
// shown, in every output field.
func TestLintNeverPrintsPrivateValues(t *testing.T) {
	for _, name := range []string{"private-key.json", "symmetric-key.json"} {
		doc := fixture(t, name, "")
		var keys struct {
			Keys []map[string]any `json:"keys"`
		}
		if err := json.Unmarshal(doc.Body, &keys); err != nil {
			t.Fatal(err)
		}
		out, err := json.Marshal(Lint(doc, LintOptions{}))
		if err != nil {
			t.Fatal(err)
		}
		checked := 0
		for _, key := range keys.Keys {
			for _, member := range privateMembers {
				v, ok := key[member].(string)
				if !ok {
					continue
				}
				checked++
				if bytes.Contains(out, []byte(v)) {
					t.Fatalf("%s: the value of %q is in the report", name, member)
				}
			}
		}
		if checked == 0 {
			t.Fatalf("%s has no private member to look for", name)
		}
	}
}

func TestLintReport(t *testing.T) {
	doc := fixture(t, "cache-headers.http", "")
	doc.HTTP.FromCache, doc.HTTP.CacheAgeSeconds = true, 42
	r := Lint(doc, LintOptions{Now: testNow.Add(time.Hour)})
	if r.Source != fixtureURL || r.FetchedAt != "2026-11-26T19:50:00Z" || r.HTTP != doc.HTTP {
		t.Fatalf("report: %+v", r)
	}
	file := Lint(&Document{Source: "jwks.json", Body: []byte(`{"keys":[]}`)}, LintOptions{Now: testNow})
	if file.FetchedAt != "2026-11-26T19:50:00Z" || file.HTTP != nil {
		t.Fatalf("a file is stamped with the clock and has no HTTP facts: %+v", file)
	}
	// The JSON has exactly the field names, http null for a file,
	// and null for members a key does not publish.
	var got map[string]any
	b, _ := json.Marshal(file)
	json.Unmarshal(b, &got)
	for _, k := range []string{"source", "fetchedAt", "http", "keys", "findings", "error"} {
		if _, ok := got[k]; !ok {
			t.Errorf("JSON has no %q: %s", k, b)
		}
	}
	if got["http"] != nil || got["error"] != nil || len(got) != 6 {
		t.Errorf("JSON: %s", b)
	}
	b, _ = json.Marshal(Lint(fixture(t, "missing-kid.json", ""), LintOptions{}))
	want := `"keys":[{"kid":null,"kty":"OKP","alg":"EdDSA","crv":"Ed25519","bits":256,"use":null,"thumbprint":"`
	if !strings.Contains(string(b), want) || !strings.Contains(string(b), `"findings":[{"code":"missing_kid","severity":"warning","kid":null,"message":`) {
		t.Errorf("JSON: %s", b)
	}
	b, _ = json.Marshal(doc.HTTP)
	if string(b) != `{"status":200,"contentType":"application/jwk-set+json","cacheControl":"public, max-age=600","etag":"\"v1\"","bytes":145,"latencyMs":12,"fromCache":true,"cacheAgeSeconds":42}` {
		t.Errorf("http JSON: %s", b)
	}
}

func TestReportFailed(t *testing.T) {
	for _, tc := range []struct {
		sevs   []Severity
		strict bool
		want   bool
	}{
		{nil, true, false},
		{[]Severity{SeverityInfo}, true, false},
		{[]Severity{SeverityWarning}, false, false},
		{[]Severity{SeverityWarning}, true, true},
		{[]Severity{SeverityError}, false, true},
	} {
		r := &Report{Strict: tc.strict}
		for _, s := range tc.sevs {
			r.Findings = append(r.Findings, Finding{Severity: s})
		}
		if r.Failed() != tc.want {
			t.Errorf("%v strict=%v: Failed() = %v", tc.sevs, tc.strict, !tc.want)
		}
	}
}

func TestLintClipsUntrustedValues(t *testing.T) {
	long := strings.Repeat("x", 10000)
	doc := &Document{Source: "f", Body: []byte(`{"keys":[{"kty":"OKP","crv":"Ed25519","x":"ApQ0cpk78a2fJDj34PVwA62miObq9_Rw4C__YW-sSQQ","use":"` + long + `","kid":"` + long + `"}]}`)}
	r := Lint(doc, LintOptions{ExpectKids: []string{long}})
	for _, f := range r.Findings {
		if len(f.Message) > 400 {
			t.Errorf("%s: message of %d bytes", f.Code, len(f.Message))
		}
	}
	if got := codes(r); !slices.Equal(got, []string{CodeMissingAlg, CodeKeyUseNotSig}) {
		t.Fatalf("codes = %v", got)
	}
}

// FuzzLint: any body and headers lint without panicking, every finding has
// a known code and severity, and the report marshals.
func FuzzLint(f *testing.F) {
	for _, tc := range lintCases {
		path := filepath.Join("..", "..", "testdata", "jwks", tc.fixture)
		if b, err := os.ReadFile(path); err == nil {
			f.Add(b, 200, "application/json", "", "http://example.com/jwks")
		}
	}
	f.Add([]byte(`{"keys":[{"kty":"RSA","n":"AQAB","e":"AQAB"}]}`), 404, "text/html", "max-age=x", "https://[::1]/")
	f.Fuzz(func(t *testing.T, body []byte, status int, ct, cc, source string) {
		doc := &Document{Source: source, Body: body, HTTP: &HTTPInfo{Status: status, ContentType: ct, CacheControl: cc}}
		for _, d := range []*Document{doc, {Source: source, Body: body}} {
			r := Lint(d, LintOptions{ExpectAlgs: []string{"EdDSA"}, ExpectKids: []string{"k"}, MinKeys: 1, MaxKeys: 2})
			for _, fd := range r.Findings {
				if sev, ok := severityOf[fd.Code]; !ok || sev != fd.Severity {
					t.Fatalf("finding %s/%s", fd.Code, fd.Severity)
				}
			}
			if _, err := json.Marshal(r); err != nil {
				t.Fatal(err)
			}
		}
	})
}

func TestParseSignatureAlgorithm(t *testing.T) {
	for in, want := range map[string]string{"eddsa": "EdDSA", "ES256": "ES256", "ps512": "PS512", "HS256": "", "none": "", "": ""} {
		got, ok := ParseSignatureAlgorithm(in)
		if got != want || ok != (want != "") {
			t.Errorf("ParseSignatureAlgorithm(%q) = %q, %v", in, got, ok)
		}
	}
}

// A JWKS that cannot be read still has a report, for --output json.
func TestUnreadableReport(t *testing.T) {
	err := &SourceError{Source: "http://127.0.0.1:1/api/auth/jwks", Err: errors.New("connection refused")}
	r := Unreadable("http://127.0.0.1:1", testNow, err)
	if !r.Failed() || r.Source != err.Source || r.Error == nil || r.Error.Cause != "connection refused" ||
		r.Error.Message != err.Error() || r.Keys == nil || r.Findings == nil || r.FetchedAt != "2026-11-26T19:50:00Z" {
		t.Fatalf("%+v %+v", r, r.Error)
	}
}
