package call

import (
	"context"
	"net/http"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/baverify/baverify/internal/keysource"
	"github.com/baverify/baverify/internal/verify"
)

func TestDiagnose(t *testing.T) {
	eddsa, rs256, ps256 := loadReal(t, "EdDSA"), loadReal(t, "RS256"), loadReal(t, "PS256")
	now := eddsa.During()
	validEd := verifyAt(t, eddsa, now, true)
	validRS := verifyAt(t, rs256, rs256.During(), true)
	validPS := verifyAt(t, ps256, ps256.During(), true)
	expired := verifyAt(t, eddsa, time.Unix(eddsa.Exp+300, 0), true)
	unverified := verifyAt(t, eddsa, now, false)
	jwksOnly := (&verify.Verifier{Now: func() time.Time { return now }, Keys: &keysource.Reader{Name: eddsa.JWKSPath}}).
		Verify(context.Background(), eddsa.Token)
	for name, r := range map[string]*verify.Result{"EdDSA": validEd, "RS256": validRS, "PS256": validPS} {
		if !r.Valid {
			t.Fatalf("%s: the real token should verify: %+v", name, r.Errors)
		}
	}
	if expired.Valid || !expired.HasError(verify.CodeExpired) || unverified.Valid || len(unverified.Errors) != 1 {
		t.Fatalf("fixtures: expired %+v, unverified %+v", expired.Errors, unverified.Errors)
	}
	joseDetail := `{"detail":"Unable to find an algorithm for key: {'alg': 'EdDSA', 'crv': 'Ed25519', 'x': 'abc', 'kty': 'OKP', 'kid': '` + eddsa.Kid + `'}"}`
	at := func(d time.Duration) *time.Time { tm := now.Add(d).Truncate(time.Second); return &tm }

	for _, tc := range []struct {
		name      string
		tok       *verify.Result
		sent      bool
		ownAuth   bool
		status    int
		body      string
		date      *time.Time
		redirects []Redirect
		localNow  time.Time // this machine's clock, when not now
		expect    string
		allow     string // the Allow header
		want      []Code
		contains  map[Code][]string // text that must appear in the finding (message, evidence or hint)
		absent    map[Code][]string
	}{
		{name: "valid, 200", tok: validEd, sent: true, status: 200, body: `{"sub":"x"}`, date: at(0), want: nil},
		{name: "EdDSA, python-jose's plain 500", tok: validEd, sent: true, status: 500, body: "Internal Server Error",
			want: []Code{CodeErrorValid, CodeAlgUnsupported, CodeBackendKeyFetch, CodeStatusMismatch},
			contains: map[Code][]string{CodeAlgUnsupported: {"likely cause (1 of 2)", "EdDSA", "python-jose", "Unable to find an algorithm for key", `"Internal Server Error"`},
				CodeBackendKeyFetch: {"possible cause (2 of 2)", "JWKS", "log"},
				CodeErrorValid:      {"HTTP 500", "verifies locally"}}},
		{name: "PS256, 500", tok: validPS, sent: true, status: 500, body: "Internal Server Error",
			want: []Code{CodeErrorValid, CodeAlgUnsupported, CodeBackendKeyFetch, CodeStatusMismatch}, contains: map[Code][]string{CodeAlgUnsupported: {"PS256"}}},
		{name: "RS256, 500: no algorithm guess", tok: validRS, sent: true, status: 500, body: "Internal Server Error",
			want: []Code{CodeErrorValid, CodeBackendKeyFetch, CodeStatusMismatch}, contains: map[Code][]string{CodeBackendKeyFetch: {"possible cause: "}}},
		{name: "widened python-jose: 401 quoting the JWK", tok: validEd, sent: true, status: 401, body: joseDetail,
			want:     []Code{CodeRejectedValid, CodeAlgUnsupported, CodeStatusMismatch},
			contains: map[Code][]string{CodeAlgUnsupported: {"cannot verify EdDSA", "python-jose"}, CodeRejectedValid: {"iss " + eddsa.Origin, "aud " + eddsa.Origin, "alg EdDSA", "kid " + eddsa.Kid, "Unable to find an algorithm"}},
			absent:   map[Code][]string{CodeAlgUnsupported: {"likely"}}},
		{name: "audience", tok: validEd, sent: true, status: 401, body: `{"detail":"Invalid audience"}`,
			want: []Code{CodeRejectedValid, CodeAudienceDiffers, CodeStatusMismatch}, contains: map[Code][]string{CodeAudienceDiffers: {"aud", eddsa.Origin, `"Invalid audience"`}}},
		{name: "issuer", tok: validRS, sent: true, status: 401, body: `{"detail":"Invalid issuer"}`,
			want: []Code{CodeRejectedValid, CodeIssuerDiffers, CodeStatusMismatch}, contains: map[Code][]string{CodeIssuerDiffers: {rs256.Origin}}},
		{name: "unknown kid", tok: validRS, sent: true, status: 401, body: `{"detail":"Unable to find a signing key that matches: \"` + rs256.Kid + `\""}`,
			want: []Code{CodeRejectedValid, CodeKeyDiffers, CodeStatusMismatch}, contains: map[Code][]string{CodeKeyDiffers: {rs256.Kid, "cached"}}},
		{name: "signature failed", tok: validRS, sent: true, status: 401, body: `{"detail":"Signature verification failed."}`,
			want: []Code{CodeRejectedValid, CodeKeyDiffers, CodeStatusMismatch}},
		{name: "RS256 401 naming the algorithm", tok: validRS, sent: true, status: 401, body: `{"detail":"The specified alg value is not allowed"}`,
			want: []Code{CodeRejectedValid, CodeAlgUnsupported, CodeStatusMismatch}, contains: map[Code][]string{CodeAlgUnsupported: {"likely", "RS256"}}},
		{name: "backend says expired, token valid here", tok: validEd, sent: true, status: 401, body: `{"detail":"Signature has expired"}`, date: at(0),
			want: []Code{CodeRejectedValid, CodeClockSkew, CodeStatusMismatch}, contains: map[Code][]string{CodeClockSkew: {"valid by this machine's clock", "Signature has expired"}}},
		{name: "backend clock past exp", tok: validEd, sent: true, status: 401, body: `{"detail":"Signature has expired"}`, date: at(20 * time.Minute),
			want: []Code{CodeRejectedValid, CodeClockSkew, CodeStatusMismatch}, contains: map[Code][]string{CodeClockSkew: {"20m ahead of", "expired", "Date header"}}},
		{name: "backend clock behind iat", tok: validEd, sent: true, status: 401, body: `{"detail":"The token is not yet valid (iat)"}`, date: at(-10 * time.Minute),
			want: []Code{CodeRejectedValid, CodeClockSkew, CodeStatusMismatch}, contains: map[Code][]string{CodeClockSkew: {"behind", "issued", "in the future"}}},
		{name: "skew on a 200 is reported, not fatal", tok: validEd, sent: true, status: 200, body: `{}`, date: at(10 * time.Minute),
			want: []Code{CodeClockSkew}},
		{name: "3s of skew is nothing", tok: validEd, sent: true, status: 200, body: `{}`, date: at(3 * time.Second), want: nil},
		{name: "Not authenticated although sent", tok: validEd, sent: true, status: 403, body: `{"detail":"Not authenticated"}`,
			want: []Code{CodeRejectedValid, CodeStatusMismatch}, contains: map[Code][]string{CodeRejectedValid: {"HTTPBearer", "proxy"}}},
		{name: "expired token accepted: security finding", tok: expired, sent: true, status: 200, body: `{}`, expect: "200", localNow: time.Unix(eddsa.Exp+300, 0),
			want: []Code{CodeAcceptedInvalid}, contains: map[Code][]string{CodeAcceptedInvalid: {"SECURITY", "expired"}}},
		{name: "expired token, 200 after a redirect to a login page: not proven accepted", tok: expired, sent: true, status: 200, body: `please sign in`, expect: "200", localNow: time.Unix(eddsa.Exp+300, 0),
			redirects: []Redirect{{From: "http://127.0.0.1:1/api/me", To: "http://127.0.0.1:1/login?next=/api/me"}},
			want:      []Code{CodeRedirectedInvalid}, contains: map[Code][]string{CodeRedirectedInvalid: {"http://127.0.0.1:1/login?next=/api/me", "login page", "expired"}},
			absent: map[Code][]string{CodeRedirectedInvalid: {"SECURITY"}}},
		{name: "expired token, 200 after a trailing-slash redirect: security finding", tok: expired, sent: true, status: 200, body: `{}`, expect: "200", localNow: time.Unix(eddsa.Exp+300, 0),
			redirects: []Redirect{{From: "http://127.0.0.1:1/api/me", To: "http://127.0.0.1:1/api/me/"}},
			want:      []Code{CodeAcceptedInvalid}, contains: map[Code][]string{CodeAcceptedInvalid: {"SECURITY", "expired"}}},
		{name: "expired token rejected: the backend was right", tok: expired, sent: true, status: 401, body: `{"detail":"Signature has expired"}`, expect: "401",
			want: []Code{CodeRejectedInvalid}, contains: map[Code][]string{CodeRejectedInvalid: {"right", "expired", "Signature has expired"}}},
		{name: "invalid EdDSA token, 500", tok: expired, sent: true, status: 500, body: "Internal Server Error",
			want: []Code{CodeBackendError, CodeAlgUnsupported, CodeStatusMismatch}},
		{name: "unverified, 401", tok: unverified, sent: true, status: 401, body: `{"detail":"Invalid audience"}`,
			want: []Code{CodeRejectedUnverified, CodeAudienceDiffers, CodeStatusMismatch}},
		{name: "unverified, 200: no verdict", tok: unverified, sent: true, status: 200, body: `{}`, want: nil},
		{name: "no token, 200, 401 expected", status: 200, body: `[]`, expect: "401",
			want: []Code{CodeAnonymousAccepted, CodeStatusMismatch}, contains: map[Code][]string{CodeStatusMismatch: {"answers without a token"}}},
		{name: "no token, 403, 401 or 403 expected", status: 403, body: `{"detail":"Not authenticated"}`, expect: "401,403",
			want: []Code{CodeAnonymousRejected}},
		{name: "own Authorization, 200: no verdict", ownAuth: true, status: 200, body: `{}`, want: nil},
		{name: "own Authorization, 401", ownAuth: true, status: 401, body: `{}`, want: []Code{CodeStatusMismatch}},
		{name: "no token, 500", status: 500, body: "", want: []Code{CodeBackendError, CodeStatusMismatch}, contains: map[Code][]string{CodeBackendError: {"empty body"}}},
		{name: "token dropped on a redirect", tok: validEd, sent: true, status: 403, body: `{"detail":"Not authenticated"}`,
			redirects: []Redirect{{From: "http://127.0.0.1:1/a", To: "http://127.0.0.1:2/b", AuthorizationDropped: true}},
			want:      []Code{CodeAuthDropped, CodeStatusMismatch}, contains: map[Code][]string{CodeAuthDropped: {"http://127.0.0.1:2/b", "HTTP 403"}}},
		{name: "same-origin redirect: nothing to say", tok: validEd, sent: true, status: 200, body: `{}`,
			redirects: []Redirect{{From: "http://127.0.0.1:1/a", To: "http://127.0.0.1:1/b"}}, want: nil},
		{name: "404: the route, not the token", tok: validEd, sent: true, status: 404, body: `{"detail":"Not Found"}`, want: []Code{CodeRouteNotFound, CodeStatusMismatch},
			contains: map[Code][]string{CodeRouteNotFound: {"no route at /", "says nothing about the token", "openapi.json"}}},
		{name: "405: the methods it takes", tok: validEd, sent: true, status: 405, body: `{"detail":"Method Not Allowed"}`, allow: "GET, HEAD", want: []Code{CodeMethodNotAllowed, CodeStatusMismatch},
			contains: map[Code][]string{CodeMethodNotAllowed: {"Allow: GET, HEAD", "-X"}}},
		{name: "404 without a token", status: 404, body: `{"detail":"Not Found"}`, expect: "401", want: []Code{CodeRouteNotFound, CodeStatusMismatch}},
		{name: "valid token, generic 401: every cause that fits, ranked, none claimed", tok: validEd, sent: true, status: 401, body: `{"detail":"Invalid token"}`, date: at(0),
			want: []Code{CodeRejectedValid, CodeAudienceDiffers, CodeIssuerDiffers, CodeKeyDiffers, CodeAlgUnsupported, CodeClaimRequired, CodeStatusMismatch},
			contains: map[Code][]string{CodeAudienceDiffers: {"possible cause (1 of 5)", "another audience", "localhost:", "byte for byte"},
				CodeIssuerDiffers: {"possible cause (2 of 5)"}, CodeKeyDiffers: {"possible cause (3 of 5)", "baverify jwks"},
				CodeAlgUnsupported: {"possible cause (4 of 5)", "refuses EdDSA"}, CodeClaimRequired: {"possible cause (5 of 5)", "simplejwt", `"token_type"`}},
			absent: map[Code][]string{CodeAlgUnsupported: {"likely"}}},
		{name: "valid token, generic 401 without Date: the clock is one more cause", tok: validEd, sent: true, status: 401, body: `{"detail":"Invalid token"}`,
			want:     []Code{CodeRejectedValid, CodeAudienceDiffers, CodeIssuerDiffers, CodeKeyDiffers, CodeAlgUnsupported, CodeClaimRequired, CodeClockSkew, CodeStatusMismatch},
			contains: map[Code][]string{CodeClockSkew: {"possible cause (6 of 6)", "no Date header"}}},
		{name: "simplejwt's refusal names the missing claims", tok: validEd, sent: true, status: 401, date: at(0),
			body:     `{"detail":"Given token not valid for any token type","code":"token_not_valid","messages":[{"message":"Token has no type"}]}`,
			want:     []Code{CodeRejectedValid, CodeClaimRequired, CodeStatusMismatch},
			contains: map[Code][]string{CodeClaimRequired: {"requires a claim the token lacks", "TOKEN_TYPE_CLAIM"}}, absent: map[Code][]string{CodeClaimRequired: {"possible cause"}}},
		{name: "500 after the token was dropped: no guess about the token", tok: validEd, sent: true, status: 500, body: "Internal Server Error",
			redirects: []Redirect{{From: "http://127.0.0.1:1/a", To: "http://127.0.0.1:2/b", AuthorizationDropped: true}},
			want:      []Code{CodeAuthDropped, CodeBackendError, CodeStatusMismatch}, contains: map[Code][]string{CodeBackendError: {"never received the token"}}},
		{name: "500, verified with --jwks alone: says what was not checked", tok: jwksOnly, sent: true, status: 500, body: "Internal Server Error",
			want: []Code{CodeErrorValid, CodeAlgUnsupported, CodeBackendKeyFetch, CodeStatusMismatch}, contains: map[Code][]string{CodeErrorValid: {"not checked: iss, aud"}}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			exp, err := ParseExpectation(tc.expect)
			if err != nil {
				t.Fatal(err)
			}
			resp := response(tc.status, tc.body, tc.date)
			if tc.allow != "" {
				resp.Headers["Allow"] = []string{tc.allow}
			}
			resp.Redirects = tc.redirects
			if len(tc.redirects) > 0 {
				resp.URL = tc.redirects[len(tc.redirects)-1].To
			}
			local := now
			if !tc.localNow.IsZero() {
				local = tc.localNow
			}
			got := Diagnose(Facts{Token: tc.tok, TokenSent: tc.sent, OwnAuthorization: tc.ownAuth, Response: resp, Expect: exp, Now: local, BaseURL: eddsa.Origin})
			var codes []Code
			for _, f := range got {
				codes = append(codes, f.Code)
				if f.Message == "" {
					t.Errorf("%s has no message", f.Code)
				}
			}
			if !slices.Equal(codes, tc.want) {
				t.Fatalf("codes %v, want %v\n%s", codes, tc.want, dump(got))
			}
			for code, subs := range tc.contains {
				text := findingText(got, code)
				for _, s := range subs {
					if !strings.Contains(text, s) {
						t.Errorf("%s does not say %q:\n%s", code, s, text)
					}
				}
			}
			for code, subs := range tc.absent {
				text := findingText(got, code)
				for _, s := range subs {
					if strings.Contains(text, s) {
						t.Errorf("%s says %q:\n%s", code, s, text)
					}
				}
			}
		})
	}
}

// --now moves only baverify's own verdict: a backend that accepts a token
// that is valid at its own time is not a security finding, and one that
// accepts a token expired at its own time is, whatever --now says.
func TestDiagnoseBackendClockNotNow(t *testing.T) {
	eddsa := loadReal(t, "EdDSA")
	during, exp := eddsa.During(), time.Unix(eddsa.Exp, 0).UTC()
	afterExp := verifyAt(t, eddsa, exp.Add(time.Hour), true) // --now after exp
	beforeExp := verifyAt(t, eddsa, during, true)            // --now inside the lifetime
	if afterExp.Valid || !afterExp.HasError(verify.CodeExpired) || !beforeExp.Valid {
		t.Fatalf("fixtures: %v %v", afterExp.Errors, beforeExp.Errors)
	}
	ok, _ := ParseExpectation("")
	duringDate := during.Truncate(time.Second)
	for _, tc := range []struct {
		name     string
		tok      *verify.Result
		date     *time.Time
		machine  time.Time
		want     []Code
		contains string
	}{
		{"--now after exp, backend's Date inside the lifetime", afterExp, &duringDate, during, nil, ""},
		{"--now after exp, no Date, machine clock inside the lifetime", afterExp, nil, during, nil, ""},
		{"--now inside the lifetime, backend's Date after exp", beforeExp, ptr(exp.Add(time.Hour)), exp.Add(time.Hour),
			[]Code{CodeAcceptedInvalid}, "expired by the backend's clock (its Date header)"},
		{"--now inside the lifetime, no Date, machine clock after exp", beforeExp, nil, exp.Add(time.Hour),
			[]Code{CodeAcceptedInvalid}, "this machine's clock (the backend's answer has no Date header)"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			got := Diagnose(Facts{Token: tc.tok, TokenSent: true, Response: response(200, `{"sub":"x"}`, tc.date),
				Expect: ok, Now: tc.machine, LocalClockMoved: true})
			var codes []Code
			for _, f := range got {
				codes = append(codes, f.Code)
			}
			if !slices.Equal(codes, tc.want) {
				t.Fatalf("codes %v, want %v\n%s", codes, tc.want, dump(got))
			}
			if tc.contains != "" && !strings.Contains(findingText(got, CodeAcceptedInvalid), tc.contains) {
				t.Fatalf("the finding does not name the clock:\n%s", dump(got))
			}
		})
	}
}

// Keys from an earlier run (the cache, a stale copy) cannot judge the
// backend: a refusal is not blamed on it, an acceptance is not a security
// finding.
func TestDiagnoseCachedKeysCannotJudge(t *testing.T) {
	eddsa := loadReal(t, "EdDSA")
	now := eddsa.During()
	age := int64(3600)
	for _, from := range []string{"cache", "stale_cache"} {
		valid := verifyAt(t, eddsa, now, true)
		valid.JWKS = &verify.KeysOrigin{Location: "https://a/jwks", From: from, AgeSeconds: &age, StaleReason: "connection refused"}
		notFound := verifyAt(t, eddsa, now, true)
		notFound.Valid, notFound.JWKS = false, valid.JWKS
		notFound.Errors = []verify.Problem{{Code: verify.CodeKeyNotFound, Message: "no key"}}
		ok, _ := ParseExpectation("")
		got := Diagnose(Facts{Token: valid, TokenSent: true, Response: response(401, `{"detail":"Invalid token"}`, nil), Expect: ok, Now: now})
		if findingText(got, CodeRejectedValid) != "" || !strings.Contains(findingText(got, CodeRejectedUnverified), "cannot judge") {
			t.Fatalf("%s, 401: %s", from, dump(got))
		}
		got = Diagnose(Facts{Token: notFound, TokenSent: true, Response: response(200, `{}`, nil), Expect: ok, Now: now})
		if findingText(got, CodeAcceptedInvalid) != "" {
			t.Fatalf("%s, 200: %s", from, dump(got))
		}
	}
}

func ptr[T any](v T) *T { return &v }

// A token that expires between this machine's check and the backend's is
// not a clock problem when the clocks agree within the threshold.
func TestDiagnoseExpiryInFlightIsNotSkew(t *testing.T) {
	eddsa := loadReal(t, "EdDSA")
	exp := time.Unix(eddsa.Exp, 0).UTC()
	local := exp.Add(-1500 * time.Millisecond)
	tok := verifyAt(t, eddsa, local, true)
	if !tok.Valid {
		t.Fatalf("valid 1.5s before exp: %+v", tok.Errors)
	}
	date := exp.Add(time.Second) // 2.5s ahead: within the 5s threshold
	resp := response(401, `{"detail":"Invalid token"}`, &date)
	got := Diagnose(Facts{Token: tok, TokenSent: true, Response: resp, Expect: Expectation{classes: []int{2}}, Now: local})
	if text := findingText(got, CodeClockSkew); text != "" {
		t.Fatalf("clock_skew for clocks 2.5s apart:\n%s", text)
	}
	// Beyond the threshold it is one.
	date = exp.Add(10 * time.Second)
	got = Diagnose(Facts{Token: tok, TokenSent: true, Response: response(401, `{"detail":"Invalid token"}`, &date), Expect: Expectation{classes: []int{2}}, Now: local})
	if text := findingText(got, CodeClockSkew); !strings.Contains(text, "ahead of") || !strings.Contains(text, "expired") {
		t.Fatalf("clock_skew for clocks 11.5s apart:\n%s", text)
	}
}

func TestDiagnoseSeverities(t *testing.T) {
	seen := map[Code]bool{}
	for _, d := range Codes() {
		if seen[d.Code] || d.Meaning == "" || !strings.Contains(string(d.Code), "_") {
			t.Errorf("code %q: duplicate, undocumented or not snake_case", d.Code)
		}
		seen[d.Code] = true
		switch d.Severity {
		case SeverityError, SeverityWarning, SeverityInfo:
		default:
			t.Errorf("%s: severity %q", d.Code, d.Severity)
		}
	}
	if len(seen) != 23 {
		t.Errorf("%d codes documented; a new code must be added to codeDocs (and docs/call.md)", len(seen))
	}
	// Findings carry the documented severity.
	eddsa := loadReal(t, "EdDSA")
	expired := verifyAt(t, eddsa, time.Unix(eddsa.Exp+300, 0), true)
	exp, _ := ParseExpectation("")
	for _, f := range Diagnose(Facts{Token: expired, TokenSent: true, Response: response(200, "{}", nil), Expect: exp, Now: eddsa.During()}) {
		if want := severityOf(f.Code); f.Severity != want {
			t.Errorf("%s: severity %s, documented %s", f.Code, f.Severity, want)
		}
	}
}

func severityOf(c Code) Severity {
	for _, d := range codeDocs {
		if d.Code == c {
			return d.Severity
		}
	}
	return ""
}

func TestBackendMessage(t *testing.T) {
	long := strings.Repeat("é", 400)
	for _, tc := range []struct{ body, want string }{
		{`{"detail":"Invalid audience"}`, "Invalid audience"},
		{`{"detail":[{"loc":["body"],"msg":"field required"}]}`, `[{"loc":["body"],"msg":"field required"}]`},
		{`{"message":"Unauthorized","code":"UNAUTHORIZED"}`, "Unauthorized"},
		{`{"error":"invalid_token","error_description":"expired"}`, "expired"},
		{`{"other": 1}`, `{"other":1}`},
		{"Internal Server Error", "Internal Server Error"},
		{"line one\nline two", "line one ..."},
		{"<html><body>Bad gateway</body></html>", ""},
		{"", ""},
		{`{"detail":"` + long + `"}`, strings.Repeat("é", 150) + "…"},
	} {
		if got := BackendMessage(response(401, tc.body, nil)); got != tc.want {
			t.Errorf("%q: got %q, want %q", tc.body, got, tc.want)
		}
	}
}

func response(status int, body string, date *time.Time) *ResponseInfo {
	h := map[string][]string{}
	if date != nil {
		h["Date"] = []string{date.UTC().Format(http.TimeFormat)}
	}
	b := Body{Raw: []byte(body)}
	b.JSON = len(strings.TrimSpace(body)) > 0 && jsonValid(body)
	return &ResponseInfo{Status: status, StatusText: http.StatusText(status), Headers: h, Body: b, BodyBytes: len(body), Date: date, Redirects: []Redirect{}}
}

func findingText(list []Finding, code Code) string {
	for _, f := range list {
		if f.Code == code {
			return f.Message + "\n" + strings.Join(f.Evidence, "\n") + "\n" + f.Hint + "\n" + f.HowToTell
		}
	}
	return ""
}

func dump(list []Finding) string {
	var b strings.Builder
	for _, f := range list {
		b.WriteString(string(f.Code) + ": " + f.Message + "\n")
		for _, e := range f.Evidence {
			b.WriteString("  - " + e + "\n")
		}
	}
	return b.String()
}
