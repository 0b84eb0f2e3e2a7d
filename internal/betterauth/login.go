package betterauth

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/http/cookiejar"
	"net/url"
	"strings"

	"github.com/baverify/baverify/internal/httpclient"
	"github.com/baverify/baverify/internal/humanize"
)

// maxServerText bounds a message quoted from a server.
const maxServerText = 300

// MaxLoginBody bounds every body the sign-in flow reads. A token can be
// large (Better Auth puts the whole user, avatar included, in the payload),
// so this is well above a megabyte.
const MaxLoginBody = 2 << 20

// Token sources, as LoginResult.Source reports them.
const (
	SourceTokenEndpoint = "token endpoint"
	SourceSessionHeader = "set-auth-jwt header"
)

// LoginErrorKind classifies a failed sign-in; each kind has its own message
// and hint, and commands map Unreachable to "could not check".
type LoginErrorKind string

const (
	// LoginUnreachable: no answer (network, TLS, timeout) or a gateway
	// error (502, 503, 504) in front of Better Auth.
	LoginUnreachable LoginErrorKind = "unreachable"
	// LoginCredentials: Better Auth refused the email or password (400/401).
	LoginCredentials LoginErrorKind = "credentials_rejected"
	// LoginOrigin: Better Auth's CSRF check refused the Origin (403 *_ORIGIN).
	LoginOrigin LoginErrorKind = "origin_rejected"
	// LoginRejected: sign-in refused for another reason (403
	// EMAIL_NOT_VERIFIED, ...), with Better Auth's message.
	LoginRejected LoginErrorKind = "sign_in_rejected"
	// LoginNoRoute: POST /sign-in/email is 404: email and password sign-in
	// is off, or the base URL (its path) is not Better Auth's.
	LoginNoRoute LoginErrorKind = "no_sign_in_route"
	// LoginNoJWTPlugin: GET /token is 404 and get-session carries no
	// set-auth-jwt header: the jwt plugin is not enabled.
	LoginNoJWTPlugin LoginErrorKind = "no_jwt_plugin"
	// LoginCannotSign: GET /token answered 5xx: Better Auth could not sign.
	LoginCannotSign LoginErrorKind = "cannot_sign"
	// LoginNoSession: signed in, but /token answered 401: the session
	// cookie did not come back.
	LoginNoSession LoginErrorKind = "no_session"
	// LoginUnexpected: any other answer.
	LoginUnexpected LoginErrorKind = "unexpected_response"
)

// LoginError is a failed sign-in, with the HTTP facts and Better Auth's own
// message and code when its body had them. Message and Code are server
// text: renderers must pass them through render.SafeLine.
type LoginError struct {
	Kind    LoginErrorKind
	Step    string // "POST /api/auth/sign-in/email"
	URL     string
	Status  int    // 0 when there was no answer
	Code    string // Better Auth's "code", e.g. INVALID_EMAIL_OR_PASSWORD
	Message string // Better Auth's "message", e.g. "Invalid email or password"
	Hint    string
	Err     error // the network error, for LoginUnreachable
	// RedirectTo is the other origin a redirect of the sign-in pointed at.
	RedirectTo string
}

func (e *LoginError) Error() string {
	var b strings.Builder
	b.WriteString(loginHeads[e.Kind])
	if errors.As(e.Err, new(*httpclient.WrongProtocol)) {
		b.Reset()
		b.WriteString("Better Auth answered in the other protocol")
	}
	if b.Len() == 0 {
		b.WriteString(loginHeads[LoginUnexpected])
	}
	if says := e.BetterAuthSays(); says != "" {
		b.WriteString(": " + says)
	}
	switch {
	case e.Status != 0:
		fmt.Fprintf(&b, "; %s answered HTTP %d", e.Step, e.Status)
		if e.RedirectTo != "" {
			fmt.Fprintf(&b, ", a redirect to another origin (%s)", e.RedirectTo)
		}
	case e.Err != nil:
		where := e.Step
		if u, err := url.Parse(e.URL); err == nil && u.Host != "" {
			where += " (" + Origin(u) + ")"
		}
		fmt.Fprintf(&b, ": %s: %v", where, e.Err)
	}
	return b.String()
}

var loginHeads = map[LoginErrorKind]string{
	LoginUnreachable: "could not reach Better Auth",
	LoginCredentials: "Better Auth refused the email or password",
	LoginOrigin:      "Better Auth's CSRF check refused the Origin of the sign-in",
	LoginRejected:    "Better Auth refused the sign-in",
	LoginNoRoute:     "no email and password sign-in at this base URL",
	LoginNoJWTPlugin: "the jwt plugin is not enabled: no token endpoint and no set-auth-jwt header",
	LoginCannotSign:  "Better Auth could not sign a token",
	LoginNoSession:   "signed in, but the token endpoint saw no session",
	LoginUnexpected:  "unexpected answer from Better Auth",
}

// BetterAuthSays is Better Auth's own message and code, "Invalid email or
// password (INVALID_EMAIL_OR_PASSWORD)", or "".
func (e *LoginError) BetterAuthSays() string { return Says(e.Message, e.Code) }

// Says joins Better Auth's error message and code as they are shown:
// "Invalid email or password (INVALID_EMAIL_OR_PASSWORD)", the code alone,
// the message alone, or "".
func Says(message, code string) string {
	switch {
	case message != "" && code != "":
		return message + " (" + code + ")"
	case code != "":
		return code
	}
	return message
}

func (e *LoginError) Unwrap() error { return e.Err }

// otherSchemeOf is u with the other of http and https, password masked.
func otherSchemeOf(u *url.URL) string {
	c := *u
	if c.Scheme == "https" {
		c.Scheme = "http"
	} else {
		c.Scheme = "https"
	}
	return c.Redacted()
}

// Unavailable reports whether Better Auth could not be reached at all; the
// commands then exit "could not check" (3).
func (e *LoginError) Unavailable() bool { return e.Kind == LoginUnreachable }

// LoginOptions are the inputs of Login.
type LoginOptions struct {
	Deployment *Deployment
	Email      string
	Password   string
	// Client is the shared client (httpclient.New). Login uses a copy of
	// it with its own cookie jar, which only ever sends cookies back to the
	// deployment's origin.
	Client    *http.Client
	UserAgent string
}

// LoginResult is a JWT obtained by signing in.
type LoginResult struct {
	Token  string
	Source string // SourceTokenEndpoint or SourceSessionHeader
	URL    string // the URL the token came from
	UserID string // from the sign-in answer, when it had one
	Email  string
	// Notes are facts worth telling the user (the fallback was used, ...).
	Notes []string
}

// Login signs in with email and password (POST {auth}/sign-in/email, with
// the Origin header Better Auth's CSRF check wants) and gets a JWT from GET
// {auth}/token, falling back to the set-auth-jwt header of GET
// {auth}/get-session. The sign-in answer's own "token" is the session
// token, not a JWT, and is never used as one.
func Login(ctx context.Context, opts LoginOptions) (*LoginResult, error) {
	sess, err := SignIn(ctx, opts)
	if err != nil {
		return nil, err
	}
	res := sess.Result()
	tokAns, err := sess.TokenEndpoint()
	if err != nil {
		return nil, err
	}
	if tokAns.Token != "" {
		res.Token, res.Source, res.URL = tokAns.Token, SourceTokenEndpoint, tokAns.URL
		return res, nil
	}
	if tokAns.Status >= 502 && tokAns.Status <= 504 {
		return nil, unreachableStatus(tokAns.answer)
	}

	// Fallback: get-session mints a JWT in set-auth-jwt on every call.
	sessAns, err := sess.GetSession("")
	if err != nil {
		return nil, err
	}
	if sessAns.Token != "" {
		res.Token, res.Source, res.URL = sessAns.Token, SourceSessionHeader, sessAns.URL
		res.Notes = append(res.Notes, fmt.Sprintf("%s answered %d; the token came from the set-auth-jwt header of %s",
			tokAns.answer.step, tokAns.Status, sessAns.answer.step))
		return res, nil
	}
	return nil, tokenError(tokAns.answer, sessAns.answer, res)
}

// flow carries one sign-in's client and deployment.
type flow struct {
	ctx    context.Context
	client *http.Client
	d      *Deployment
	ua     string
}

type route struct{ url, step string }

func (f *flow) route(r string) route {
	return route{url: f.d.RouteURL(r), step: f.d.AuthPath + r}
}

type answer struct {
	route
	status int
	header http.Header
	body   []byte
	// Better Auth's error body: {"message": "...", "code": "..."}
	message, code string
	// truncated: the body was larger than MaxLoginBody and was cut.
	truncated bool
}

func (f *flow) do(method string, r route, body []byte, extra http.Header) (*answer, error) {
	var rd io.Reader
	if body != nil {
		rd = bytes.NewReader(body)
	}
	step := method + " " + r.step
	req, err := http.NewRequestWithContext(f.ctx, method, r.url, rd)
	if err != nil {
		return nil, &LoginError{Kind: LoginUnexpected, Step: step, URL: r.url, Err: err}
	}
	for k, v := range extra {
		req.Header[k] = v
	}
	req.Header.Set("Accept", "application/json")
	if f.ua != "" {
		req.Header.Set("User-Agent", f.ua)
	}
	if body != nil {
		req.Header.Set("Content-Type", "application/json")
		// Better Auth's CSRF check refuses a POST whose Origin is not its
		// baseURL origin or a trusted origin.
		req.Header.Set("Origin", f.d.Origin())
	}
	resp, err := f.client.Do(req)
	if err != nil {
		if f.ctx.Err() != nil {
			return nil, f.ctx.Err()
		}
		le := &LoginError{Kind: LoginUnreachable, Step: step, URL: r.url, Err: httpclient.Describe(err)}
		var wp *httpclient.WrongProtocol
		if errors.As(err, &wp) {
			// Better Auth answered, in the other protocol: the fix is the
			// scheme of --base-url.
			le.Hint = "use --base-url " + otherSchemeOf(f.d.BaseURL)
		}
		return nil, le
	}
	defer resp.Body.Close()
	data, err := httpclient.ReadBody(resp.Body, MaxLoginBody)
	if err != nil && !errors.Is(err, httpclient.ErrTooLarge) {
		if f.ctx.Err() != nil {
			return nil, f.ctx.Err()
		}
		return nil, &LoginError{Kind: LoginUnreachable, Step: step, URL: r.url, Err: fmt.Errorf("reading the answer: %w", err)}
	}
	a := &answer{route: route{url: r.url, step: step}, status: resp.StatusCode, header: resp.Header, body: data,
		truncated: errors.Is(err, httpclient.ErrTooLarge)}
	var eb struct {
		Message string `json:"message"`
		Code    string `json:"code"`
	}
	if json.Unmarshal(data, &eb) == nil {
		a.message, a.code = humanize.Clip(eb.Message, maxServerText), humanize.Clip(eb.Code, maxServerText)
	}
	return a, nil
}

func signInError(a *answer, d *Deployment) error {
	e := &LoginError{Step: a.step, URL: a.url, Status: a.status, Code: a.code, Message: a.message}
	switch {
	case a.status >= 502 && a.status <= 504:
		return unreachableStatus(a)
	case a.status >= 300 && a.status < 400:
		e.Kind = LoginUnexpected
		loc := a.header.Get("Location")
		e.Hint = fmt.Sprintf("the sign-in was redirected to %q; baverify sends the password to another origin never, and follows no redirect with it there: give --base-url the URL Better Auth itself serves", loc)
		from, err1 := url.Parse(a.url)
		to, err2 := url.Parse(loc)
		if err1 == nil && err2 == nil {
			if to = from.ResolveReference(to); !httpclient.SameOrigin(from, to) {
				e.RedirectTo = Origin(to)
				e.Hint = fmt.Sprintf("the sign-in was redirected to another origin, %s (%q); baverify never sends the password there nor takes that origin's answer for the sign-in: give --base-url the URL Better Auth itself serves", Origin(to), loc)
			}
		}
	case a.status == http.StatusNotFound:
		e.Kind = LoginNoRoute
		e.Hint = "enable email and password sign-in (emailAndPassword: { enabled: true }), and give --base-url the deployment's baseURL, with its path when it has one (Better Auth serves its routes there, or under /api/auth)"
	case a.status == http.StatusForbidden && strings.Contains(strings.ToUpper(a.code), "ORIGIN"):
		e.Kind = LoginOrigin
		e.Hint = "baverify sends Origin " + d.Origin() + " (the --base-url origin); Better Auth accepts only its own baseURL origin and its trustedOrigins. --base-url must be the deployment's baseURL exactly (localhost and 127.0.0.1 are different origins), or add this origin to trustedOrigins"
	case a.status == http.StatusBadRequest || a.status == http.StatusUnauthorized:
		e.Kind = LoginCredentials
		e.Hint = "check --email (or BAVERIFY_EMAIL) and the password (--password-stdin or BAVERIFY_PASSWORD)"
	case a.status >= 400 && a.status < 500:
		e.Kind = LoginRejected
	default:
		e.Kind = LoginUnexpected
		if a.status >= 500 {
			e.Hint = "Better Auth failed while signing in; its server log says why (a database that cannot be reached, a changed BETTER_AUTH_SECRET, ...)"
		}
	}
	return e
}

func tokenError(tok, sess *answer, res *LoginResult) error {
	e := &LoginError{Step: tok.step, URL: tok.url, Status: tok.status, Code: tok.code, Message: tok.message}
	switch {
	case tok.status == http.StatusNotFound:
		e.Kind = LoginNoJWTPlugin
		e.Hint = `enable the jwt() plugin: import { jwt } from "better-auth/plugins" and add jwt() to plugins in the Better Auth config (and to the client's plugins); if it is enabled, --base-url may miss the baseURL's path`
	case tok.status >= 500:
		e.Kind = LoginCannotSign
		e.Hint = "a common cause: the private keys in the jwks table were encrypted with another BETTER_AUTH_SECRET (the secret changed since they were made); the server log then says \"Failed to decrypt private key\" while /jwks still serves the old public keys. Restore the secret, or remove the jwks rows so that Better Auth makes a new key (tokens signed with the old keys stop verifying)"
		if sess.status >= 500 && sess.message != "" && e.Message == "" {
			e.Message, e.Code = sess.message, sess.code
		}
	case tok.status == http.StatusUnauthorized:
		e.Kind = LoginNoSession
		e.Hint = "the token endpoint needs the session cookie that sign-in sets"
		for _, n := range res.Notes {
			e.Hint += "; " + n
		}
		e.Hint += " (an https deployment sets Secure cookies, which never travel over http; a proxy may drop Set-Cookie)"
	default:
		e.Kind = LoginUnexpected
		e.Hint = fmt.Sprintf("neither %s (HTTP %d) nor %s (HTTP %d, no set-auth-jwt header) gave a JWT", tok.step, tok.status, sess.step, sess.status)
		if tok.truncated {
			e.Hint += fmt.Sprintf("; the answer of %s was larger than %d MiB and was cut", tok.step, MaxLoginBody>>20)
		}
	}
	return e
}

func unreachableStatus(a *answer) error {
	return &LoginError{Kind: LoginUnreachable, Step: a.step, URL: a.url, Status: a.status, Code: a.code, Message: a.message,
		Hint: "a gateway in front of Better Auth answered; is the server up?"}
}

// looksLikeJWT accepts a compact JWS: three base64url segments (the last
// may be empty). Anything else is refused, not just odd: login prints the
// token raw on stdout, so a server must not be able to slip terminal
// control sequences through it.
func looksLikeJWT(s string) bool {
	segments := strings.Split(s, ".")
	if len(segments) != 3 || segments[0] == "" || segments[1] == "" {
		return false
	}
	for _, seg := range segments {
		for i := 0; i < len(seg); i++ {
			c := seg[i]
			if !('A' <= c && c <= 'Z' || 'a' <= c && c <= 'z' || '0' <= c && c <= '9' || c == '-' || c == '_') {
				return false
			}
		}
	}
	return true
}

// cookieNames lists the names (never the values) of the cookies an answer
// tried to set.
func cookieNames(h http.Header) string {
	var names []string
	for _, c := range (&http.Response{Header: h}).Cookies() {
		names = append(names, c.Name)
	}
	if len(names) == 0 {
		return "(it sent no Set-Cookie)"
	}
	return "(Set-Cookie: " + strings.Join(names, ", ") + ")"
}

// originJar keeps cookies like any jar but hands them back only for the
// deployment's origin: cookies are scoped by host, not port, and a session
// cookie must not reach another service on the same host.
type originJar struct {
	origin string
	inner  *cookiejar.Jar
}

func (j *originJar) SetCookies(u *url.URL, cookies []*http.Cookie) {
	if Origin(u) == j.origin {
		j.inner.SetCookies(u, cookies)
	}
}

func (j *originJar) Cookies(u *url.URL) []*http.Cookie {
	if Origin(u) != j.origin {
		return nil
	}
	return j.inner.Cookies(u)
}
