package betterauth

import (
	"context"
	"encoding/json"
	"errors"
	"io"
	"net"
	"net/http"
	"net/http/cookiejar"
	"net/http/httptest"
	"net/url"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/baverify/baverify/internal/httpclient"
)

const testJWT = "eyJhbGciOiJFZERTQSJ9.eyJzdWIiOiJ1MSJ9.c2ln"

// fakeAuth is a stand-in for Better Auth that answers each route as told.
// The real server is exercised by the end-to-end tests; this one makes the
// faults a real server cannot be configured into (no jwt plugin in the test
// server, a changed secret, a gateway error).
type fakeAuth struct {
	signIn, token, session func(w http.ResponseWriter, r *http.Request)

	mu          sync.Mutex
	origin      string // Origin header of the sign-in
	contentType string
	creds       map[string]string
	tokenCookie string
}

func (f *fakeAuth) handler(prefix string) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		switch {
		case r.Method == http.MethodPost && r.URL.Path == prefix+"/sign-in/email":
			var body map[string]string
			_ = json.NewDecoder(r.Body).Decode(&body)
			f.mu.Lock()
			f.origin, f.contentType, f.creds = r.Header.Get("Origin"), r.Header.Get("Content-Type"), body
			f.mu.Unlock()
			f.signIn(w, r)
		case r.Method == http.MethodGet && r.URL.Path == prefix+"/token":
			f.mu.Lock()
			f.tokenCookie = r.Header.Get("Cookie")
			f.mu.Unlock()
			f.token(w, r)
		case r.Method == http.MethodGet && r.URL.Path == prefix+"/get-session":
			f.session(w, r)
		default:
			w.WriteHeader(http.StatusNotFound)
		}
	})
}

func jsonAnswer(status int, body string) func(http.ResponseWriter, *http.Request) {
	return func(w http.ResponseWriter, _ *http.Request) {
		w.Header().Set("Content-Type", "application/json")
		w.WriteHeader(status)
		_, _ = io.WriteString(w, body)
	}
}

func signedIn(w http.ResponseWriter, _ *http.Request) {
	http.SetCookie(w, &http.Cookie{Name: "better-auth.session_token", Value: "sess.sig", Path: "/", HttpOnly: true})
	w.Header().Set("Content-Type", "application/json")
	// The sign-in answer's "token" is the session token, never a JWT.
	_, _ = io.WriteString(w, `{"redirect":false,"token":"sessiontoken","user":{"id":"u1","email":"alice@example.com"}}`)
}

func withSession(next func(http.ResponseWriter, *http.Request)) func(http.ResponseWriter, *http.Request) {
	return func(w http.ResponseWriter, r *http.Request) {
		if c, err := r.Cookie("better-auth.session_token"); err != nil || c.Value != "sess.sig" {
			jsonAnswer(401, `{"message":"Unauthorized","code":"UNAUTHORIZED"}`)(w, r)
			return
		}
		next(w, r)
	}
}

func sessionWithJWT(w http.ResponseWriter, r *http.Request) {
	w.Header().Set("Set-Auth-Jwt", testJWT)
	jsonAnswer(200, `{"session":{},"user":{"id":"u1"}}`)(w, r)
}

func startFake(t *testing.T, f *fakeAuth, basePath string) (*Deployment, *httptest.Server) {
	t.Helper()
	prefix := strings.TrimRight(basePath, "/")
	if prefix == "" {
		prefix = DefaultAuthPath
	}
	srv := httptest.NewServer(f.handler(prefix))
	t.Cleanup(srv.Close)
	d, err := ParseBaseURL(srv.URL+basePath, "")
	if err != nil {
		t.Fatal(err)
	}
	return d, srv
}

func login(t *testing.T, d *Deployment) (*LoginResult, error) {
	t.Helper()
	c, err := httpclient.New(httpclient.Options{Timeout: 5 * time.Second})
	if err != nil {
		t.Fatal(err)
	}
	return Login(context.Background(), LoginOptions{Deployment: d, Email: "alice@example.com", Password: "correct horse", Client: c, UserAgent: "baverify/test"})
}

func TestLoginThroughTheTokenEndpoint(t *testing.T) {
	f := &fakeAuth{signIn: signedIn, token: withSession(jsonAnswer(200, `{"token":"`+testJWT+`"}`)), session: sessionWithJWT}
	d, srv := startFake(t, f, "")
	res, err := login(t, d)
	if err != nil {
		t.Fatal(err)
	}
	if res.Token != testJWT || res.Source != SourceTokenEndpoint || res.URL != srv.URL+"/api/auth/token" || res.UserID != "u1" || len(res.Notes) != 0 {
		t.Fatalf("%+v", res)
	}
	f.mu.Lock()
	defer f.mu.Unlock()
	if f.origin != srv.URL || f.contentType != "application/json" {
		t.Fatalf("sign-in sent Origin %q, Content-Type %q; Better Auth's CSRF check wants the baseURL origin", f.origin, f.contentType)
	}
	if f.creds["email"] != "alice@example.com" || f.creds["password"] != "correct horse" {
		t.Fatalf("credentials %v", f.creds)
	}
	if !strings.Contains(f.tokenCookie, "better-auth.session_token=sess.sig") {
		t.Fatalf("the session cookie did not come back: %q", f.tokenCookie)
	}
}

func TestLoginUnderABasePath(t *testing.T) {
	f := &fakeAuth{signIn: signedIn, token: withSession(jsonAnswer(200, `{"token":"`+testJWT+`"}`)), session: sessionWithJWT}
	d, srv := startFake(t, f, "/custom/auth")
	res, err := login(t, d)
	if err != nil || res.URL != srv.URL+"/custom/auth/token" {
		t.Fatalf("%+v %v", res, err)
	}
}

func TestLoginFallsBackToSetAuthJWT(t *testing.T) {
	f := &fakeAuth{signIn: signedIn, token: jsonAnswer(404, ``), session: withSession(sessionWithJWT)}
	d, _ := startFake(t, f, "")
	res, err := login(t, d)
	if err != nil {
		t.Fatal(err)
	}
	if res.Token != testJWT || res.Source != SourceSessionHeader || len(res.Notes) != 1 || !strings.Contains(res.Notes[0], "answered 404") {
		t.Fatalf("%+v", res)
	}
}

func TestLoginFailures(t *testing.T) {
	for _, tc := range []struct {
		name        string
		f           *fakeAuth
		kind        LoginErrorKind
		status      int
		code        string
		unavailable bool
		says        []string // in Error() or Hint
	}{
		{"wrong credentials", &fakeAuth{signIn: jsonAnswer(401, `{"message":"Invalid email or password","code":"INVALID_EMAIL_OR_PASSWORD"}`)},
			LoginCredentials, 401, "INVALID_EMAIL_OR_PASSWORD", false, []string{"Invalid email or password", "POST /api/auth/sign-in/email answered HTTP 401"}},
		{"invalid email", &fakeAuth{signIn: jsonAnswer(400, `{"message":"Invalid email","code":"INVALID_EMAIL"}`)},
			LoginCredentials, 400, "INVALID_EMAIL", false, []string{"Invalid email"}},
		{"untrusted origin", &fakeAuth{signIn: jsonAnswer(403, `{"message":"Invalid origin","code":"INVALID_ORIGIN"}`)},
			LoginOrigin, 403, "INVALID_ORIGIN", false, []string{"CSRF", "trustedOrigins", "Invalid origin"}},
		{"missing origin", &fakeAuth{signIn: jsonAnswer(403, `{"message":"Missing or null Origin","code":"MISSING_OR_NULL_ORIGIN"}`)},
			LoginOrigin, 403, "MISSING_OR_NULL_ORIGIN", false, []string{"CSRF"}},
		{"email not verified", &fakeAuth{signIn: jsonAnswer(403, `{"message":"Email not verified","code":"EMAIL_NOT_VERIFIED"}`)},
			LoginRejected, 403, "EMAIL_NOT_VERIFIED", false, []string{"Email not verified"}},
		{"no sign-in route", &fakeAuth{signIn: jsonAnswer(404, ``)},
			LoginNoRoute, 404, "", false, []string{"emailAndPassword"}},
		{"gateway", &fakeAuth{signIn: jsonAnswer(503, `<html>down</html>`)},
			LoginUnreachable, 503, "", true, []string{"HTTP 503"}},
		{"no jwt plugin", &fakeAuth{signIn: signedIn, token: jsonAnswer(404, ``), session: jsonAnswer(200, `{"session":{}}`)},
			LoginNoJWTPlugin, 404, "", false, []string{"enable the jwt() plugin", "jwt plugin is not enabled"}},
		{"cannot sign: changed secret", &fakeAuth{signIn: signedIn,
			token:   jsonAnswer(500, `{"message":"Failed to decrypt private key","code":"INTERNAL_SERVER_ERROR"}`),
			session: jsonAnswer(500, `{"message":"Failed to decrypt private key"}`)},
			LoginCannotSign, 500, "INTERNAL_SERVER_ERROR", false, []string{"could not sign", "BETTER_AUTH_SECRET", "Failed to decrypt private key"}},
		{"no session cookie came back", &fakeAuth{signIn: jsonAnswer(200, `{"user":{"id":"u1"}}`),
			token: withSession(jsonAnswer(200, `{"token":"`+testJWT+`"}`)), session: jsonAnswer(200, `null`)},
			LoginNoSession, 401, "UNAUTHORIZED", false, []string{"session cookie", "sent no Set-Cookie"}},
		{"token endpoint answers garbage", &fakeAuth{signIn: signedIn, token: jsonAnswer(200, `{"token":"not a jwt"}`), session: jsonAnswer(200, `null`)},
			LoginUnexpected, 200, "", false, []string{"no set-auth-jwt header"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			d, _ := startFake(t, tc.f, "")
			res, err := login(t, d)
			var le *LoginError
			if !errors.As(err, &le) {
				t.Fatalf("result %+v, err %v", res, err)
			}
			if le.Kind != tc.kind || le.Status != tc.status || le.Code != tc.code || le.Unavailable() != tc.unavailable {
				t.Fatalf("kind %s status %d code %q unavailable %v: %v", le.Kind, le.Status, le.Code, le.Unavailable(), err)
			}
			text := err.Error() + "\n" + le.Hint
			for _, s := range tc.says {
				if !strings.Contains(text, s) {
					t.Errorf("does not say %q:\n%s", s, text)
				}
			}
			if strings.Contains(text, "correct horse") {
				t.Error("the password leaked into the error")
			}
		})
	}
}

func TestLoginUnreachable(t *testing.T) {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := l.Addr().String()
	l.Close()
	d, err := ParseBaseURL("http://"+addr, "")
	if err != nil {
		t.Fatal(err)
	}
	_, err = login(t, d)
	var le *LoginError
	if !errors.As(err, &le) || !le.Unavailable() || le.Status != 0 || !strings.Contains(err.Error(), "could not reach Better Auth") ||
		!strings.Contains(err.Error(), "http://"+addr) {
		t.Fatalf("%v", err)
	}
}

func TestLoginCookiesStayWithTheOrigin(t *testing.T) {
	inner, err := cookiejar.New(nil)
	if err != nil {
		t.Fatal(err)
	}
	jar := &originJar{origin: "http://127.0.0.1:3000", inner: inner}
	mine, _ := url.Parse("http://127.0.0.1:3000/api/auth/sign-in/email")
	other, _ := url.Parse("http://127.0.0.1:8000/api/me")
	jar.SetCookies(mine, []*http.Cookie{{Name: "better-auth.session_token", Value: "s", Path: "/"}})
	jar.SetCookies(other, []*http.Cookie{{Name: "planted", Value: "x", Path: "/"}})
	if got := jar.Cookies(mine); len(got) != 1 || got[0].Name != "better-auth.session_token" {
		t.Fatalf("cookies for the origin: %v", got)
	}
	if got := jar.Cookies(other); len(got) != 0 {
		t.Fatalf("a session cookie went to another port of the same host: %v", got)
	}
}

func TestLoginBoundsTheBody(t *testing.T) {
	huge := func(w http.ResponseWriter, _ *http.Request) {
		w.Header().Set("Content-Type", "application/json")
		// A well-formed JWT, only too large: without the bound it would be
		// accepted.
		_, _ = io.WriteString(w, `{"token":"eyJhbGciOiJFZERTQSJ9.`+strings.Repeat("a", MaxLoginBody+10)+`.c2ln"}`)
	}
	f := &fakeAuth{signIn: signedIn, token: huge, session: jsonAnswer(200, `null`)}
	d, _ := startFake(t, f, "")
	_, err := login(t, d)
	var le *LoginError
	if !errors.As(err, &le) || le.Kind != LoginUnexpected || !strings.Contains(le.Hint, "larger than 2 MiB") {
		t.Fatalf("%v (%+v)", err, le)
	}
}

// A sign-in redirected to another origin does not take the password there.
func TestLoginNeverSendsThePasswordToAnotherOrigin(t *testing.T) {
	var mu sync.Mutex
	var got []string
	other := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		b, _ := io.ReadAll(r.Body)
		mu.Lock()
		got = append(got, r.Method+" "+string(b))
		mu.Unlock()
	}))
	t.Cleanup(other.Close)
	d, _ := startFake(t, &fakeAuth{signIn: func(w http.ResponseWriter, r *http.Request) {
		http.Redirect(w, r, other.URL+"/api/auth/sign-in/email", http.StatusTemporaryRedirect)
	}}, "")
	_, err := login(t, d)
	var le *LoginError
	if !errors.As(err, &le) || le.Status != http.StatusTemporaryRedirect || !strings.Contains(le.Hint, other.URL) {
		t.Fatalf("err %v", err)
	}
	mu.Lock()
	defer mu.Unlock()
	if len(got) != 0 {
		t.Fatalf("the other origin received %q", got)
	}
}

// Issue 16.4: a sign-in POST redirected to another origin with 302 or 303
// (which net/http would follow as a GET) is an error that names the
// redirect, never the other origin's 200 taken as the sign-in answer; and
// no request there carries a Referer.
func TestLoginCrossOriginRedirectOfTheSignInIsAnError(t *testing.T) {
	for _, status := range []int{http.StatusFound, http.StatusSeeOther} {
		var mu sync.Mutex
		var got []string
		other := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			mu.Lock()
			got = append(got, r.Method+" "+r.URL.Path+" referer="+r.Header.Get("Referer"))
			mu.Unlock()
			signedIn(w, r)
		}))
		t.Cleanup(other.Close)
		d, _ := startFake(t, &fakeAuth{signIn: func(w http.ResponseWriter, r *http.Request) {
			http.Redirect(w, r, other.URL+"/api/auth/sign-in/email", status)
		}, token: jsonAnswer(200, `{"token":"eyJhbGciOiJFZERTQSJ9.e30.c2ln"}`)}, "")
		_, err := login(t, d)
		var le *LoginError
		if !errors.As(err, &le) || le.Status != status || !strings.Contains(le.Hint, "another origin") || !strings.Contains(le.Hint, other.URL) {
			t.Fatalf("%d: err %v (%+v)", status, err, le)
		}
		mu.Lock()
		if len(got) != 0 {
			t.Errorf("%d: the other origin was asked %q", status, got)
		}
		mu.Unlock()
	}
}
