package issuer

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/url"
	"strings"
	"time"

	"github.com/baverify/baverify/internal/betterauth"
)

// Routes of the issuer, relative to the auth base path. JWKS, /token and
// /get-session are Better Auth's; the mint route is the issuer's own.
const (
	MintRoute       = "/baverify/mint"
	TokenRoute      = "/token"
	GetSessionRoute = "/get-session"
)

// SessionCookie is Better Auth's session cookie over http; the issuer
// takes any value of it as a session of its test user.
const SessionCookie = "better-auth.session_token"

// secureSessionCookie is its name over https.
const secureSessionCookie = "__Secure-" + SessionCookie

// maxMintBody bounds a mint request.
const maxMintBody = 64 << 10

// ServerOptions configure what the issuer says it is, as Better Auth's
// options do.
type ServerOptions struct {
	// BaseURL is Better Auth's baseURL: its origin is the default iss and
	// aud, its path (else /api/auth) prefixes the routes.
	BaseURL string
	// JWKSPath is jwks.jwksPath ("" = /jwks).
	JWKSPath string
	// Issuer and Audience are jwt.issuer and jwt.audience ("", nil = the
	// origin of BaseURL).
	Issuer   string
	Audience []string
	// Lifetime is jwt.expirationTime (0 = 15m).
	Lifetime time.Duration
	// User is the session user of /token, /get-session and the mint route;
	// zero fields take DefaultUser's.
	User User
}

// Server answers as a Better Auth deployment's jwt plugin does.
type Server struct {
	keys     *KeySet
	dep      *betterauth.Deployment
	defaults Defaults
	started  time.Time
}

// NewServer returns the issuer for keys, described by opts.
func NewServer(keys *KeySet, opts ServerOptions) (*Server, error) {
	dep, err := betterauth.ParseBaseURL(opts.BaseURL, opts.JWKSPath)
	if err != nil {
		return nil, err
	}
	origin := dep.Origin()
	d := Defaults{Issuer: opts.Issuer, Audience: opts.Audience, Lifetime: opts.Lifetime, User: opts.User}
	if d.Issuer == "" {
		d.Issuer = origin
	}
	if len(d.Audience) == 0 {
		d.Audience = []string{origin}
	}
	def := DefaultUser()
	if d.User.ID == "" {
		d.User.ID = def.ID
	}
	if d.User.Name == "" {
		d.User.Name = def.Name
	}
	if d.User.Email == "" {
		d.User.Email = def.Email
	}
	now := keys.Now()
	if d.User.CreatedAt.IsZero() {
		// The user row exists before any token: it was made when the
		// issuer started, to the millisecond, as a database stores it.
		d.User.CreatedAt = now.Truncate(time.Millisecond)
	}
	if d.User.UpdatedAt.IsZero() {
		d.User.UpdatedAt = d.User.CreatedAt
	}
	return &Server{keys: keys, dep: dep, defaults: d, started: now}, nil
}

// Defaults are the claims the issuer puts in a token unless asked.
func (s *Server) Defaults() Defaults { return s.defaults }

// Keys is the issuer's key set.
func (s *Server) Keys() *KeySet { return s.keys }

// Ready describes a serving issuer: the line it prints once it listens.
type Ready struct {
	Ready bool `json:"ready"`
	Port  int  `json:"port"`
	// BaseURL is Better Auth's baseURL for this issuer: what a backend's
	// test config and baverify --base-url take.
	BaseURL  string   `json:"baseURL"`
	JWKSURL  string   `json:"jwksURL"`
	Issuer   string   `json:"issuer"`
	Audience []string `json:"audience"`
	MintURL  string   `json:"mintURL"`
	TokenURL string   `json:"tokenURL"`
	Alg      string   `json:"alg"`
	// Kids are the keys loaded or made at start; none when the first key
	// is made on first use, as Better Auth makes it.
	Kids []string `json:"kids,omitempty"`
}

// Ready returns the issuer's URLs for the port it listens on.
func (s *Server) Ready(port int) Ready {
	var kids []string
	for _, k := range s.keys.Keys() {
		kids = append(kids, k.Kid)
	}
	base := strings.TrimRight(s.dep.BaseURL.String(), "/")
	return Ready{
		Ready: true, Port: port, BaseURL: base,
		JWKSURL: s.dep.JWKSURL(), Issuer: s.defaults.Issuer, Audience: s.defaults.Audience,
		MintURL: s.dep.RouteURL(MintRoute), TokenURL: s.dep.RouteURL(TokenRoute),
		Alg: s.keys.Alg(), Kids: kids,
	}
}

// Line is the ready line in text: one line, its URLs as words.
func (r Ready) Line() string {
	return fmt.Sprintf("baverify issuer ready: base URL %s  jwks %s  mint POST %s  iss %s  aud %s  alg %s",
		r.BaseURL, r.JWKSURL, r.MintURL, r.Issuer, strings.Join(r.Audience, ","), r.Alg)
}

// Handler routes requests as Better Auth does: only GET on the JWKS (HEAD
// is 404), /token and /get-session, POST on the mint route, 404 otherwise.
func (s *Server) Handler() http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		route, ok := strings.CutPrefix(r.URL.Path, s.dep.AuthPath)
		switch {
		case !ok:
			http.NotFound(w, r)
		case r.Method == http.MethodGet && route == s.dep.JWKSPath:
			s.serveJWKS(w)
		case r.Method == http.MethodGet && route == TokenRoute:
			s.serveToken(w, r)
		case r.Method == http.MethodGet && route == GetSessionRoute:
			s.serveGetSession(w, r)
		case r.Method == http.MethodPost && route == MintRoute:
			s.serveMint(w, r)
		default:
			w.WriteHeader(http.StatusNotFound)
		}
	})
}

func writeJSON(w http.ResponseWriter, status int, body []byte) {
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(status)
	_, _ = w.Write(body)
}

// apiError is Better Auth's error body.
func apiError(w http.ResponseWriter, status int, code, message string) {
	b, _ := json.Marshal(struct {
		Message string `json:"message"`
		Code    string `json:"code"`
	}{message, code})
	writeJSON(w, status, b)
}

func (s *Server) serveJWKS(w http.ResponseWriter) {
	body, err := s.keys.JWKS()
	if err != nil {
		apiError(w, http.StatusInternalServerError, "INTERNAL_SERVER_ERROR", err.Error())
		return
	}
	// application/json and nothing else: Better Auth sends no
	// Cache-Control, ETag or CORS header on the JWKS.
	writeJSON(w, http.StatusOK, body)
}

// session reports whether r carries a session cookie: any value counts as
// a session of the issuer's test user.
func session(r *http.Request) (string, bool) {
	for _, name := range []string{SessionCookie, secureSessionCookie} {
		if c, err := r.Cookie(name); err == nil && c.Value != "" {
			tok, _, _ := strings.Cut(c.Value, ".")
			return tok, true
		}
	}
	return "", false
}

func (s *Server) mintDefault() (string, error) {
	return s.keys.MintRequest(MintRequest{}, s.defaults)
}

func (s *Server) serveToken(w http.ResponseWriter, r *http.Request) {
	if _, ok := session(r); !ok {
		apiError(w, http.StatusUnauthorized, "UNAUTHORIZED", "Unauthorized")
		return
	}
	tok, err := s.mintDefault()
	if err != nil {
		apiError(w, http.StatusInternalServerError, "INTERNAL_SERVER_ERROR", err.Error())
		return
	}
	b, _ := json.Marshal(struct {
		Token string `json:"token"`
	}{tok})
	writeJSON(w, http.StatusOK, b)
}

func (s *Server) serveGetSession(w http.ResponseWriter, r *http.Request) {
	w.Header().Set("Cache-Control", "no-store")
	w.Header().Set("Pragma", "no-cache")
	sessTok, ok := session(r)
	if !ok {
		writeJSON(w, http.StatusOK, []byte("null"))
		return
	}
	tok, err := s.mintDefault()
	if err != nil {
		apiError(w, http.StatusInternalServerError, "INTERNAL_SERVER_ERROR", err.Error())
		return
	}
	u := s.defaults.User
	now := s.keys.Now().UTC().Truncate(time.Millisecond)
	type user struct {
		Name          string `json:"name"`
		Email         string `json:"email"`
		EmailVerified bool   `json:"emailVerified"`
		Image         string `json:"image,omitempty"`
		CreatedAt     string `json:"createdAt"`
		UpdatedAt     string `json:"updatedAt"`
		ID            string `json:"id"`
	}
	type sess struct {
		ExpiresAt string `json:"expiresAt"`
		Token     string `json:"token"`
		CreatedAt string `json:"createdAt"`
		UpdatedAt string `json:"updatedAt"`
		IPAddress string `json:"ipAddress"`
		UserAgent string `json:"userAgent"`
		UserID    string `json:"userId"`
		ID        string `json:"id"`
	}
	body, _ := json.Marshal(struct {
		Session sess `json:"session"`
		User    user `json:"user"`
	}{
		Session: sess{
			ExpiresAt: isoMillis(now.Add(7 * 24 * time.Hour)), Token: sessTok,
			CreatedAt: isoMillis(now), UpdatedAt: isoMillis(now),
			UserAgent: r.UserAgent(), UserID: u.ID, ID: sessTok,
		},
		User: user{
			Name: u.Name, Email: u.Email, EmailVerified: u.EmailVerified, Image: u.Image,
			CreatedAt: isoMillis(u.CreatedAt), UpdatedAt: isoMillis(u.UpdatedAt), ID: u.ID,
		},
	})
	w.Header().Set("Set-Auth-Jwt", tok)
	w.Header().Set("Access-Control-Expose-Headers", "set-auth-jwt")
	writeJSON(w, http.StatusOK, body)
}

func (s *Server) serveMint(w http.ResponseWriter, r *http.Request) {
	var req MintRequest
	dec := json.NewDecoder(io.LimitReader(r.Body, maxMintBody))
	dec.DisallowUnknownFields()
	if err := dec.Decode(&req); err != nil && !errors.Is(err, io.EOF) {
		apiError(w, http.StatusBadRequest, "BAD_REQUEST", "mint request: "+err.Error())
		return
	}
	tok, err := s.keys.MintRequest(req, s.defaults)
	if err != nil {
		apiError(w, http.StatusBadRequest, "BAD_REQUEST", err.Error())
		return
	}
	b, _ := json.Marshal(struct {
		Token string `json:"token"`
	}{tok})
	writeJSON(w, http.StatusOK, b)
}

// IsLoopback reports whether host (a name or an IP, no port) can only be
// reached from this machine: localhost, 127.0.0.0/8 or ::1.
func IsLoopback(host string) bool {
	if strings.EqualFold(host, "localhost") {
		return true
	}
	ip := net.ParseIP(strings.Trim(host, "[]"))
	return ip != nil && ip.IsLoopback()
}

// Listen opens addr ("127.0.0.1:0" when empty). Anything but a loopback
// address is refused unless allowRemote: the issuer mints tokens for anyone
// who can reach it.
func Listen(ctx context.Context, addr string, allowRemote bool) (net.Listener, error) {
	if addr == "" {
		addr = "127.0.0.1:0"
	}
	host, _, err := net.SplitHostPort(addr)
	if err != nil {
		return nil, fmt.Errorf("listen address %q: want HOST:PORT, e.g. 127.0.0.1:0", addr)
	}
	if !allowRemote && !IsLoopback(host) {
		return nil, fmt.Errorf("listen address %q is not loopback: anyone who reaches the issuer can mint tokens; give --allow-remote to listen there anyway", addr)
	}
	var lc net.ListenConfig
	network := "tcp"
	if strings.EqualFold(host, "localhost") {
		network = "tcp4" // one address, 127.0.0.1, as the base URL says
		addr = net.JoinHostPort("127.0.0.1", addrPort(addr))
	}
	return lc.Listen(ctx, network, addr)
}

func addrPort(addr string) string {
	_, port, _ := net.SplitHostPort(addr)
	return port
}

// BaseURLFor is the base URL of an issuer listening on ln with no
// --base-url: http://HOST:PORT plus basePath when it is not /api/auth.
func BaseURLFor(ln net.Listener, basePath string) string {
	u := url.URL{Scheme: "http", Host: ln.Addr().String()}
	if basePath != "" && basePath != betterauth.DefaultAuthPath {
		u.Path = basePath
	}
	return u.String()
}

// Serve serves h on ln until ctx ends, then shuts down, letting requests
// in flight finish for up to two seconds.
func Serve(ctx context.Context, ln net.Listener, h http.Handler) error {
	srv := &http.Server{
		Handler:           h,
		ReadHeaderTimeout: 10 * time.Second,
		ReadTimeout:       30 * time.Second,
		WriteTimeout:      30 * time.Second,
		IdleTimeout:       60 * time.Second,
		MaxHeaderBytes:    64 << 10,
	}
	errc := make(chan error, 1)
	go func() { errc <- srv.Serve(ln) }()
	select {
	case err := <-errc:
		return err
	case <-ctx.Done():
	}
	shutdown, cancel := context.WithTimeout(context.Background(), 2*time.Second)
	defer cancel()
	err := srv.Shutdown(shutdown)
	<-errc
	return err
}

// RemoteError is a mint request to a running issuer that got no token.
type RemoteError struct {
	URL string
	// Status is the HTTP status, 0 when no answer came.
	Status int
	Err    error
}

func (e *RemoteError) Error() string {
	if e.Status != 0 {
		return fmt.Sprintf("POST %s: %d: %v", e.URL, e.Status, e.Err)
	}
	return fmt.Sprintf("POST %s: %v", e.URL, e.Err)
}

func (e *RemoteError) Unwrap() error { return e.Err }

// Unavailable says the issuer could not be asked at all, or did not answer
// as an issuer (exit 3); a 400 is a request the issuer refused (a usage
// error).
func (e *RemoteError) Unavailable() bool { return e.Status != http.StatusBadRequest }

// maxMintAnswer bounds the mint route's answer.
const maxMintAnswer = 1 << 20

// MintRemote asks the issuer at baseURL (its Better Auth baseURL) to mint
// what req asks for, through its mint route.
func MintRemote(ctx context.Context, client *http.Client, baseURL string, req MintRequest) (string, error) {
	dep, err := betterauth.ParseBaseURL(baseURL, "")
	if err != nil {
		return "", err
	}
	u := dep.RouteURL(MintRoute)
	body, err := json.Marshal(req)
	if err != nil {
		return "", err
	}
	hreq, err := http.NewRequestWithContext(ctx, http.MethodPost, u, strings.NewReader(string(body)))
	if err != nil {
		return "", err
	}
	hreq.Header.Set("Content-Type", "application/json")
	resp, err := client.Do(hreq)
	if err != nil {
		return "", &RemoteError{URL: u, Err: err}
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(io.LimitReader(resp.Body, maxMintAnswer))
	if err != nil {
		return "", &RemoteError{URL: u, Status: resp.StatusCode, Err: err}
	}
	var answer struct {
		Token   string `json:"token"`
		Message string `json:"message"`
	}
	_ = json.Unmarshal(b, &answer)
	switch {
	case resp.StatusCode == http.StatusOK && strings.Count(answer.Token, ".") == 2:
		return answer.Token, nil
	case answer.Message != "":
		return "", &RemoteError{URL: u, Status: resp.StatusCode, Err: errors.New(answer.Message)}
	case resp.StatusCode == http.StatusNotFound:
		return "", &RemoteError{URL: u, Status: resp.StatusCode, Err: errors.New("no mint route: is this a baverify issuer (baverify issuer serve), and is the base URL the one its ready line gives?")}
	}
	return "", &RemoteError{URL: u, Status: resp.StatusCode, Err: errors.New("the answer holds no token")}
}
