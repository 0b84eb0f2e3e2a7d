package betterauth

import (
	"context"
	"encoding/json"
	"errors"
	"net/http"
	"net/http/cookiejar"
	"net/url"
	"strings"

	"github.com/baverify/baverify/internal/httpclient"
)

// Session is a signed-in Better Auth session: the cookie jar the sign-in
// filled, kept to the deployment's origin. Login uses it to get one token;
// doctor asks each route that mints a token.
type Session struct {
	fl  *flow
	res LoginResult
}

// SignIn signs in with email and password (POST {auth}/sign-in/email, with
// the Origin header Better Auth's CSRF check wants) and returns the session.
// Failures are *LoginError.
func SignIn(ctx context.Context, opts LoginOptions) (*Session, error) {
	d := opts.Deployment
	if d == nil || opts.Client == nil {
		return nil, errors.New("login: no deployment or client")
	}
	inner, err := cookiejar.New(nil)
	if err != nil {
		return nil, err
	}
	client := *opts.Client
	client.Jar = &originJar{origin: d.Origin(), inner: inner}
	// A sign-in POST redirected to another origin is not followed, not even
	// as the GET net/http makes of a 302 or 303: that origin's answer is not
	// Better Auth's sign-in answer. signInError names the redirect.
	next := client.CheckRedirect
	client.CheckRedirect = func(req *http.Request, via []*http.Request) error {
		if via[0].Method == http.MethodPost && !httpclient.SameOrigin(via[0].URL, req.URL) {
			return http.ErrUseLastResponse
		}
		if next != nil {
			return next(req, via)
		}
		return nil
	}
	fl := &flow{ctx: ctx, client: &client, d: d, ua: opts.UserAgent}

	signIn := fl.route("/sign-in/email")
	body, _ := json.Marshal(map[string]string{"email": opts.Email, "password": opts.Password})
	ans, err := fl.do(http.MethodPost, signIn, body, nil)
	if err != nil {
		return nil, err
	}
	if ans.status != http.StatusOK {
		return nil, signInError(ans, d)
	}
	s := &Session{fl: fl, res: LoginResult{Email: opts.Email}}
	var user struct {
		User struct {
			ID    string `json:"id"`
			Email string `json:"email"`
		} `json:"user"`
	}
	if json.Unmarshal(ans.body, &user) == nil {
		s.res.UserID = user.User.ID
		if user.User.Email != "" {
			s.res.Email = user.User.Email
		}
	}
	u, _ := url.Parse(signIn.url)
	if len(client.Jar.Cookies(u)) == 0 {
		s.res.Notes = append(s.res.Notes, "the sign-in answer set no cookie this client could keep "+cookieNames(ans.header))
	}
	return s, nil
}

// Result is what the sign-in told: the user and the notes, no token yet.
func (s *Session) Result() *LoginResult {
	r := s.res
	r.Notes = append([]string(nil), s.res.Notes...)
	return &r
}

// Answer is one answer of a route that may mint a JWT. Header is the
// server's (text from outside: renderers pass it through render.SafeLine).
type Answer struct {
	Step   string // "GET /api/auth/token"
	URL    string
	Status int
	Header http.Header
	// Token is the JWT the answer carried: the token endpoint's body, or
	// get-session's set-auth-jwt header; "" when none.
	Token string
	// Code and Message are Better Auth's error body, when it had one.
	Code, Message string

	answer *answer
}

// TokenEndpoint asks GET {auth}/token for a JWT.
func (s *Session) TokenEndpoint() (*Answer, error) {
	a, err := s.fl.do(http.MethodGet, s.fl.route("/token"), nil, nil)
	if err != nil {
		return nil, err
	}
	out := newAnswer(a)
	if a.status == http.StatusOK {
		var tb struct {
			Token string `json:"token"`
		}
		if json.Unmarshal(a.body, &tb) == nil && looksLikeJWT(tb.Token) {
			out.Token = tb.Token
		}
	}
	return out, nil
}

// GetSession asks GET {auth}/get-session, which mints a JWT in its
// set-auth-jwt header on every call with a session. origin, when not "",
// is sent as the Origin header, as a browser on that origin does: the
// answer's Access-Control-* headers are then what that browser sees.
func (s *Session) GetSession(origin string) (*Answer, error) {
	var h http.Header
	if origin != "" {
		h = http.Header{"Origin": {origin}}
	}
	a, err := s.fl.do(http.MethodGet, s.fl.route("/get-session"), nil, h)
	if err != nil {
		return nil, err
	}
	out := newAnswer(a)
	if tok := strings.TrimSpace(a.header.Get("Set-Auth-Jwt")); a.status == http.StatusOK && looksLikeJWT(tok) {
		out.Token = tok
	}
	return out, nil
}

func newAnswer(a *answer) *Answer {
	return &Answer{Step: a.step, URL: a.url, Status: a.status, Header: a.header, Code: a.code, Message: a.message, answer: a}
}
