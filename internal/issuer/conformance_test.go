package issuer

import (
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/baverify/baverify/internal/testenv"
)

// answer is what a conformance check compares of one HTTP answer.
type answer struct {
	Status  int
	Headers map[string]string // the headers in conformanceHeaders, "" when absent
	Body    []byte
}

// conformanceHeaders are the response headers a backend or a frontend
// reads; the issuer must send each exactly when Better Auth does.
var conformanceHeaders = []string{"Content-Type", "Cache-Control", "Pragma", "Etag", "Last-Modified", "Expires",
	"Access-Control-Allow-Origin", "Access-Control-Expose-Headers"}

func fetch(t *testing.T, method, url, cookie string) answer {
	t.Helper()
	req, _ := http.NewRequest(method, url, nil)
	if cookie != "" {
		req.Header.Set("Cookie", cookie)
	}
	resp, err := loopback.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(io.LimitReader(resp.Body, 1<<20))
	a := answer{Status: resp.StatusCode, Headers: map[string]string{}, Body: b}
	for _, h := range conformanceHeaders {
		a.Headers[h] = resp.Header.Get(h)
	}
	if resp.Header.Get("Set-Auth-Jwt") != "" {
		a.Headers["Set-Auth-Jwt"] = "(a JWT)"
	}
	return a
}

// sessionCookie is the session cookie of a signed-up user of the real server.
func sessionCookie(t *testing.T, ba *testenv.BetterAuth, sess *testenv.Session) string {
	t.Helper()
	u, _ := http.NewRequest("GET", ba.AuthURL, nil)
	for _, c := range sess.Client.Jar.Cookies(u.URL) {
		if c.Name == SessionCookie {
			return c.Name + "=" + c.Value
		}
	}
	t.Fatal("no session cookie")
	return ""
}

// The issuer holds to the real Better Auth 1.7.25, for each algorithm: the
// JWKS (member names and order, kid format), tokens from /token and from
// get-session's set-auth-jwt (header members, claim names, order and types,
// signature size, iss = aud = the base URL's origin, a 15-minute lifetime),
// and the HTTP answers of /jwks, HEAD /jwks, /token and /get-session with
// and without a session (status, the headers a client reads, the bodies
// that do not depend on keys or time). A difference is drift: Better Auth
// changed, or the issuer did.
func TestConformanceWithRealBetterAuth(t *testing.T) {
	for _, alg := range Algs() {
		t.Run(alg, func(t *testing.T) {
			t.Parallel()
			ba := testenv.StartBetterAuth(t, testenv.BetterAuthOptions{Alg: alg, Patience: 3})
			sess := ba.SignUp(t, "alice@example.com", "correct-horse-battery", "Alice")
			realTok := ba.TokenFromEndpoint(t, sess)
			realHeaderTok := ba.TokenFromGetSession(t, sess)
			realCookie := sessionCookie(t, ba, sess)

			k, err := GenerateKey(alg, time.Now())
			if err != nil {
				t.Fatal(err)
			}
			ks, _ := NewKeySet([]*Key{k}, KeySetOptions{})
			_, ready := serve(t, ks, ServerOptions{})
			ourAuth := strings.TrimSuffix(ready.JWKSURL, "/jwks")
			ourCookie := SessionCookie + "=anything.sig"

			// JWKS and tokens: the same shape.
			realJWKS := fetch(t, "GET", ba.JWKSURL, "")
			ourJWKS := fetch(t, "GET", ready.JWKSURL, "")
			ourTokAnswer := fetch(t, "GET", ourAuth+"/token", ourCookie)
			var ourTok struct{ Token string }
			if err := json.Unmarshal(ourTokAnswer.Body, &ourTok); err != nil {
				t.Fatalf("our /token: %s", ourTokAnswer.Body)
			}
			ourSession := fetch(t, "GET", ourAuth+"/get-session", ourCookie)
			realShape, ourShape := ShapeOf(t, realJWKS.Body, realTok), ShapeOf(t, ourJWKS.Body, ourTok.Token)
			if fmt.Sprint(realShape) != fmt.Sprint(ourShape) {
				t.Errorf("/token and /jwks shape differs\n real: %+v\n ours: %+v", realShape, ourShape)
			}
			if err := verifyWith(t, ourJWKS.Body, ourTok.Token); err != nil {
				t.Errorf("our token does not verify against our JWKS: %v", err)
			}
			if err := verifyWith(t, realJWKS.Body, realTok); err != nil {
				t.Fatalf("the real token does not verify against the real JWKS (the comparison is void): %v", err)
			}
			// set-auth-jwt is the same token shape.
			ourHeaderTok := fetchHeaderToken(t, ourAuth+"/get-session", ourCookie)
			if a, b := ShapeOf(t, realJWKS.Body, realHeaderTok), ShapeOf(t, ourJWKS.Body, ourHeaderTok); fmt.Sprint(a) != fmt.Sprint(b) {
				t.Errorf("set-auth-jwt shape differs\n real: %+v\n ours: %+v", a, b)
			}
			// iss and aud are the base URL's origin; the lifetime is 15 minutes.
			for who, c := range map[string]struct {
				tok, origin string
			}{"real": {realTok, ba.Origin}, "ours": {ourTok.Token, ready.Issuer}} {
				p := payloadOf(t, c.tok)
				if p["iss"] != c.origin || p["aud"] != c.origin || p["exp"].(float64)-p["iat"].(float64) != 900 || p["sub"] != p["id"] {
					t.Errorf("%s: iss %v aud %v exp-iat %v sub %v id %v, want iss = aud = %s, 900, sub = id", who, p["iss"], p["aud"], p["exp"].(float64)-p["iat"].(float64), p["sub"], p["id"], c.origin)
				}
			}

			// HTTP answers.
			type pair struct{ real, ours answer }
			cases := map[string]pair{
				"GET jwks":                   {realJWKS, ourJWKS},
				"HEAD jwks":                  {fetch(t, "HEAD", ba.JWKSURL, ""), fetch(t, "HEAD", ready.JWKSURL, "")},
				"GET token without session":  {fetch(t, "GET", ba.AuthURL+"/token", ""), fetch(t, "GET", ourAuth+"/token", "")},
				"GET token with a session":   {fetch(t, "GET", ba.AuthURL+"/token", realCookie), ourTokAnswer},
				"get-session without one":    {fetch(t, "GET", ba.AuthURL+"/get-session", ""), fetch(t, "GET", ourAuth+"/get-session", "")},
				"get-session with a session": {fetch(t, "GET", ba.AuthURL+"/get-session", realCookie), ourSession},
			}
			for name, c := range cases {
				if c.real.Status != c.ours.Status || fmt.Sprint(c.real.Headers) != fmt.Sprint(c.ours.Headers) {
					t.Errorf("%s: real %d %v, ours %d %v", name, c.real.Status, c.real.Headers, c.ours.Status, c.ours.Headers)
				}
			}
			for _, name := range []string{"GET token without session", "get-session without one"} {
				if c := cases[name]; string(c.real.Body) != string(c.ours.Body) {
					t.Errorf("%s: real body %s, ours %s", name, c.real.Body, c.ours.Body)
				}
			}
			// get-session's body: the same members in session and user.
			rs, ours := sessionShape(t, cases["get-session with a session"].real.Body), sessionShape(t, ourSession.Body)
			if rs != ours {
				t.Errorf("get-session body members differ\n real: %s\n ours: %s", rs, ours)
			}

			// Safe by construction: the issuer's token, even with the real
			// deployment's iss and aud, does not verify against its JWKS.
			forged, err := ks.Mint(Claims{Issuer: ba.Origin, Audience: []string{ba.Origin}}, MintOptions{})
			if err != nil {
				t.Fatal(err)
			}
			if err := verifyWith(t, realJWKS.Body, forged); err == nil {
				t.Error("an issuer token verifies against the real deployment's JWKS")
			}
		})
	}
}

func fetchHeaderToken(t *testing.T, url, cookie string) string {
	t.Helper()
	req, _ := http.NewRequest("GET", url, nil)
	req.Header.Set("Cookie", cookie)
	resp, err := loopback.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	return resp.Header.Get("Set-Auth-Jwt")
}

// sessionShape is "session: names; user: names" of a get-session body.
func sessionShape(t *testing.T, body []byte) string {
	t.Helper()
	var m map[string]json.RawMessage
	if err := json.Unmarshal(body, &m); err != nil {
		t.Fatalf("get-session body %s: %v", body, err)
	}
	top := orderedNames(t, body)
	s := fmt.Sprint(top)
	for _, k := range []string{"session", "user"} {
		if !slices.Contains(top, k) {
			continue
		}
		s += fmt.Sprintf("; %s: %v", k, orderedNames(t, m[k]))
	}
	return s
}
