package betterauth

import (
	"bytes"
	"context"
	"errors"
	"io"
	"net/http"
	"regexp"
	"testing"
)

// scriptedTransport answers Better Auth's three routes with fuzzed
// responses, without a network: sign-in, /token, /get-session.
type scriptedTransport struct {
	signInStatus, tokenStatus, sessionStatus int
	signInBody, tokenBody                    []byte
	setCookie, setAuthJWT                    string
}

func (s *scriptedTransport) RoundTrip(r *http.Request) (*http.Response, error) {
	resp := &http.Response{Header: http.Header{}, Request: r, ProtoMajor: 1, ProtoMinor: 1}
	var body []byte
	switch r.URL.Path {
	case "/api/auth/sign-in/email":
		resp.StatusCode, body = s.signInStatus, s.signInBody
		resp.Header.Set("Set-Cookie", s.setCookie)
	case "/api/auth/token":
		resp.StatusCode, body = s.tokenStatus, s.tokenBody
	case "/api/auth/get-session":
		resp.StatusCode = s.sessionStatus
		resp.Header.Set("Set-Auth-Jwt", s.setAuthJWT)
	default:
		resp.StatusCode = http.StatusNotFound
	}
	resp.Body = io.NopCloser(bytes.NewReader(body))
	return resp, nil
}

// compactJWS is what login may print on stdout: three base64url segments,
// nothing a terminal could interpret.
var compactJWS = regexp.MustCompile(`^[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+\.[A-Za-z0-9_-]*$`)

// FuzzLogin feeds the sign-in flow whatever a server could answer. Login
// must never panic, must return a token or a *LoginError, and a token it
// returns goes to stdout as is, so it must be a plain compact JWS.
func FuzzLogin(f *testing.F) {
	f.Add(200, []byte(`{"token":"s","user":{"id":"u1","email":"a@b.c"}}`), "better-auth.session_token=x; Path=/", 200, []byte(`{"token":"`+testJWT+`"}`), 200, "")
	f.Add(200, []byte(`{}`), "", 404, []byte(`{"message":"Not Found"}`), 200, testJWT)
	f.Add(401, []byte(`{"message":"Invalid email or password","code":"INVALID_EMAIL_OR_PASSWORD"}`), "", 0, []byte(nil), 0, "")
	f.Add(403, []byte(`{"message":"Invalid origin","code":"INVALID_ORIGIN"}`), "", 0, []byte(nil), 0, "")
	f.Add(200, []byte(`{}`), "", 500, []byte(`{"message":"Failed to decrypt private key"}`), 500, "")
	f.Add(200, []byte(`{}`), "", 200, []byte(`{"token":"a.b.c\u001b]0;owned\u0007"}`), 200, "a.b.\x1b[2J")
	f.Add(502, []byte(`<html>bad gateway</html>`), "", 0, []byte(nil), 0, "")
	d, err := ParseBaseURL("https://app.example.com", "")
	if err != nil {
		f.Fatal(err)
	}
	f.Fuzz(func(t *testing.T, signInStatus int, signInBody []byte, setCookie string, tokenStatus int, tokenBody []byte, sessionStatus int, setAuthJWT string) {
		clamp := func(s int) int {
			if s < 100 || s > 599 {
				return 200
			}
			return s
		}
		tr := &scriptedTransport{signInStatus: clamp(signInStatus), tokenStatus: clamp(tokenStatus), sessionStatus: clamp(sessionStatus),
			signInBody: signInBody, tokenBody: tokenBody, setCookie: setCookie, setAuthJWT: setAuthJWT}
		res, err := Login(context.Background(), LoginOptions{Deployment: d, Email: "a@b.c", Password: "pw", Client: &http.Client{Transport: tr}})
		switch {
		case err == nil && res == nil:
			t.Fatal("no token and no error")
		case err == nil && !compactJWS.MatchString(res.Token):
			t.Fatalf("login would print %q on stdout", res.Token)
		case err != nil:
			var le *LoginError
			if !errors.As(err, &le) {
				t.Fatalf("error %v (%T) is not a *LoginError", err, err)
			}
			_ = le.Error()
		}
	})
}
