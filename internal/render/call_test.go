package render

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"flag"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/baverify/baverify/internal/betterauth"
	"github.com/baverify/baverify/internal/call"
	"github.com/baverify/baverify/internal/keysource"
	"github.com/baverify/baverify/internal/verify"
)

// A name of its own, so that it cannot clash with another renderer's flag.
var updateCallGolden = flag.Bool("update-call", false, "rewrite the call golden files in testdata/")

type realMeta struct {
	Origin   string
	Iat, Exp int64
}

// realResult verifies a captured Better Auth token at a time offset from
// its iat, pinned to its origin.
func realResult(t testing.TB, alg string, after time.Duration) (*verify.Result, realMeta) {
	t.Helper()
	var meta realMeta
	if err := json.Unmarshal(readRepoFile(t, "testdata/real/"+alg+"/meta.json"), &meta); err != nil {
		t.Fatal(err)
	}
	at := time.Unix(meta.Iat, 0).Add(after).UTC()
	v := &verify.Verifier{Now: func() time.Time { return at },
		Keys:   &keysource.Reader{Name: filepath.Join("..", "..", "testdata", "real", alg, "jwks.json")},
		Policy: verify.Policy{Issuer: meta.Origin, Audiences: []string{meta.Origin}, BaseURL: meta.Origin}}
	r := v.Verify(context.Background(), string(readRepoFile(t, "testdata/real/"+alg+"/token.jwt")))
	// The source is a path relative to this package; show it as from the root.
	if r.Key != nil {
		r.Key.Source = "testdata/real/" + alg + "/jwks.json"
	}
	return r, meta
}

func callReport(t *testing.T, tok *verify.Result, meta realMeta, status int, contentType, body string, expect string, redirects []call.Redirect) *call.Report {
	t.Helper()
	now := time.Unix(meta.Iat+60, 0).UTC()
	if tok != nil {
		now = tok.Now // the machine's clock when the token was checked (no --now)
	}
	exp, err := call.ParseExpectation(expect)
	if err != nil {
		t.Fatal(err)
	}
	headers := map[string][]string{"Accept": {"*/*"}, "User-Agent": {"baverify/test"}}
	if tok != nil {
		headers["Authorization"] = []string{"Bearer eyJhbGci…"}
	}
	b := call.Body{Raw: []byte(body), JSON: json.Valid([]byte(body)) && body != ""}
	date := now
	resp := &call.ResponseInfo{Status: status, StatusText: http.StatusText(status), URL: "http://127.0.0.1:8000/api/me",
		Headers: map[string][]string{"Content-Type": {contentType}, "Date": {date.Format(http.TimeFormat)}, "Server": {"uvicorn"}},
		Body:    b, BodyBytes: len(body), LatencyMs: 12, Redirects: redirects, Date: &date}
	if redirects == nil {
		resp.Redirects = []call.Redirect{}
	}
	rep := &call.Report{
		Request:        call.RequestInfo{Method: "GET", URL: "http://127.0.0.1:8000/api/me", Headers: headers},
		Response:       resp,
		Token:          tok,
		ExpectedStatus: exp.String(),
		Diagnosis:      call.Diagnose(call.Facts{Token: tok, TokenSent: tok != nil, Response: resp, Expect: exp, Now: now, BaseURL: meta.Origin}),
	}
	rep.StatusMatched = exp.Match(status)
	rep.OK = rep.StatusMatched
	for _, f := range rep.Diagnosis {
		if f.Severity == call.SeverityError {
			rep.OK = false
		}
	}
	return rep
}

func callGolden(t *testing.T, name string, got []byte) {
	t.Helper()
	path := filepath.Join("testdata", name)
	if *updateCallGolden {
		if err := os.WriteFile(path, got, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	want, err := os.ReadFile(path)
	if err != nil {
		t.Fatalf("%v (go test ./internal/render -run TestCall -update-call creates it)", err)
	}
	if ansiRE.Match(want) {
		t.Fatalf("%s holds ANSI escapes", name)
	}
	if !bytes.Equal(got, want) {
		t.Errorf("%s differs (go test ./internal/render -run TestCall -update-call rewrites it)\n--- got\n%s\n--- want\n%s", name, got, want)
	}
}

func TestCallTextGolden(t *testing.T) {
	validEd, metaEd := realResult(t, "EdDSA", time.Minute)
	validRS, metaRS := realResult(t, "RS256", time.Minute)
	expired, _ := realResult(t, "EdDSA", 20*time.Minute)
	jose := `{"detail":"Unable to find an algorithm for key: {'alg': 'EdDSA', 'crv': 'Ed25519', 'x': 'ApQ0cpk78a2fJDj34PVwA62miObq9_Rw4C__YW-sSQQ', 'kty': 'OKP', 'kid': 'hL2uSJifK2R1El5ElOkR9Xi8MMt1LNBQ'}"}`
	reports := map[string]*call.Report{
		"call_ok.txt":                   callReport(t, validRS, metaRS, 200, "application/json", `{"sub":"u1","email":"alice@example.com"}`, "", nil),
		"call_jose_eddsa_500.txt":       callReport(t, validEd, metaEd, 500, "text/plain; charset=utf-8", "Internal Server Error", "", nil),
		"call_jose_widened_401.txt":     callReport(t, validEd, metaEd, 401, "application/json", jose, "", nil),
		"call_audience_401.txt":         callReport(t, validRS, metaRS, 401, "application/json", `{"detail":"Invalid audience"}`, "", nil),
		"call_accepted_invalid.txt":     callReport(t, expired, metaEd, 200, "application/json", `{"sub":"u1"}`, "", nil),
		"call_no_token.txt":             callReport(t, nil, metaRS, 403, "application/json", `{"detail":"Not authenticated"}`, "401,403", nil),
		"call_redirect_dropped.txt":     callReport(t, validRS, metaRS, 200, "text/plain", "ok", "", []call.Redirect{{From: "http://127.0.0.1:8000/api/redirect", To: "http://127.0.0.1:9000/final", AuthorizationDropped: true, DroppedHeaders: []string{"Authorization", "X-Api-Key"}}}),
		"call_unreachable.txt":          unreachableReport(validRS),
		"call_rejected_invalid_401.txt": callReport(t, expired, metaEd, 401, "application/json", `{"detail":"Signature has expired"}`, "401", nil),
	}
	for name, rep := range reports {
		t.Run(name, func(t *testing.T) {
			var buf bytes.Buffer
			if err := CallText(&buf, rep, Styles{}, CallTextOptions{}); err != nil {
				t.Fatal(err)
			}
			callGolden(t, name, buf.Bytes())
		})
	}
	// JSON: the schema, once.
	var buf bytes.Buffer
	if err := JSON(&buf, reports["call_jose_eddsa_500.txt"]); err != nil {
		t.Fatal(err)
	}
	callGolden(t, "call_jose_eddsa_500.json", buf.Bytes())
}

func unreachableReport(tok *verify.Result) *call.Report {
	return &call.Report{
		Request:        call.RequestInfo{Method: "GET", URL: "http://127.0.0.1:1/api/me", Headers: map[string][]string{"Authorization": {"Bearer eyJhbGci…"}}},
		Token:          tok,
		ExpectedStatus: "2xx",
		Error:          `Get "http://127.0.0.1:1/api/me": dial tcp 127.0.0.1:1: connect: connection refused`,
		Unreachable:    true,
		Diagnosis: []call.Finding{{Code: call.CodeUnreachable, Severity: call.SeverityError,
			Message: "no answer from the backend: dial tcp 127.0.0.1:1: connect: connection refused"}},
	}
}

func TestCallTextIsTerminalSafe(t *testing.T) {
	validEd, meta := realResult(t, "EdDSA", time.Minute)
	evil := "{\"detail\":\"Invalid audience \\u001b[2J\\u001b]0;pwned\\u0007 \\u202e\"}"
	rep := callReport(t, validEd, meta, 401, "application/json\x1b[31m", evil, "", nil)
	var buf bytes.Buffer
	if err := CallText(&buf, rep, Styles{}, CallTextOptions{AllHeaders: true}); err != nil {
		t.Fatal(err)
	}
	out := buf.String()
	if strings.ContainsAny(out, "\x1b\x07\u202e") {
		t.Fatalf("control characters from the backend reached the terminal:\n%q", out)
	}
	if !strings.Contains(out, `\u001b[2J`) || !strings.Contains(out, "audience_differs") {
		t.Fatalf("the escaped text is missing:\n%s", out)
	}
}

func TestCallTextBody(t *testing.T) {
	validEd, meta := realResult(t, "EdDSA", time.Minute)
	long := strings.Repeat("0123456789", 100)
	rep := callReport(t, validEd, meta, 200, "text/plain", long, "", nil)
	rep.Response.Truncated = true
	var buf bytes.Buffer
	if err := CallText(&buf, rep, Styles{}, CallTextOptions{BodyDisplay: 100}); err != nil {
		t.Fatal(err)
	}
	out := buf.String()
	if !strings.Contains(out, "(100 of 1000 bytes shown; --output json has the whole body)") || !strings.Contains(out, "(the body was cut at 1000 bytes)") {
		t.Fatalf("no truncation notes:\n%s", out)
	}
	if strings.Contains(out, "Server: uvicorn") {
		t.Fatal("Server is not a selected header")
	}
	buf.Reset()
	if err := CallText(&buf, rep, Styles{}, CallTextOptions{AllHeaders: true}); err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(buf.String(), "Server: uvicorn") {
		t.Fatal("-i does not show every header")
	}
}

func TestCallTextColour(t *testing.T) {
	validEd, meta := realResult(t, "EdDSA", time.Minute)
	rep := callReport(t, validEd, meta, 500, "text/plain", "Internal Server Error", "", nil)
	var plain, colour bytes.Buffer
	if err := CallText(&plain, rep, Styles{}, CallTextOptions{}); err != nil {
		t.Fatal(err)
	}
	if err := CallText(&colour, rep, NewStyles(&colour, true), CallTextOptions{}); err != nil {
		t.Fatal(err)
	}
	if !ansiRE.Match(colour.Bytes()) || ansiRE.Match(plain.Bytes()) {
		t.Fatal("colour only when asked for")
	}
	if ansiRE.ReplaceAllString(colour.String(), "") != plain.String() {
		t.Fatal("coloured and plain output differ beyond colour")
	}
}

func TestLoginRenderers(t *testing.T) {
	le := &betterauth.LoginError{Kind: betterauth.LoginCredentials, Step: "POST /api/auth/sign-in/email", Status: 401,
		Code: "INVALID_EMAIL_OR_PASSWORD", Message: "Invalid email or password\x1b[2J", Hint: "check --email"}
	var buf bytes.Buffer
	if err := LoginFailure(&buf, le, Styles{}); err != nil {
		t.Fatal(err)
	}
	if got := buf.String(); strings.Contains(got, "\x1b") || !strings.Contains(got, "Invalid email or password\\u001b[2J") || !strings.Contains(got, "hint: check --email") {
		t.Fatalf("%q", got)
	}
	rep := NewLoginReport(nil, le)
	if rep.OK || rep.Error == nil || rep.Error.Kind != "credentials_rejected" || rep.Error.Status != 401 || rep.Token != "" {
		t.Fatalf("%+v", rep)
	}
	if rep := NewLoginReport(nil, errors.New("other")); rep.Error.Kind != "unexpected_response" {
		t.Fatalf("%+v", rep)
	}
	res := &betterauth.LoginResult{Token: "a.b.c", Source: betterauth.SourceSessionHeader, URL: "http://127.0.0.1:3000/api/auth/get-session",
		Email: "alice@example.com", UserID: "u1", Notes: []string{"GET /api/auth/token answered 404"}}
	ok := NewLoginReport(res, nil)
	if !ok.OK || ok.Token != "a.b.c" || ok.Error != nil {
		t.Fatalf("%+v", ok)
	}
	buf.Reset()
	if err := LoginInfo(&buf, "http://127.0.0.1:3000", res, Styles{}); err != nil {
		t.Fatal(err)
	}
	if got := buf.String(); !strings.Contains(got, "set-auth-jwt header") || !strings.Contains(got, "note: GET /api/auth/token answered 404") || strings.Contains(got, "a.b.c") {
		t.Fatalf("%q", got)
	}
}
