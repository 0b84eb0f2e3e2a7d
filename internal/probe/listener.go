package probe

import (
	"context"
	"encoding/json"
	"errors"
	"net"
	"net/http"
	"net/url"
	"strings"
	"sync"
	"time"
)

// Paths the attacker listener serves, under its base URL (Listener.Base:
// its URL and a secret of this run). The first segment is the case that
// handed the URL out. iss_discovery sets iss to <base>/iss_discovery, so a
// backend that discovers keys from iss asks for <iss>/api/auth/jwks
// (Better Auth's default), for <iss>/.well-known/jwks.json, or for OpenID
// discovery.
const (
	PathJKU          = "/" + CaseJKU + "/jwks.json"
	PathX5U          = "/" + CaseX5U + "/cert.pem"
	PathKidURL       = "/" + CaseKidURL + "/jwks.json"
	PathKidCommand   = "/" + CaseKidCommandInjection
	PathURLInjection = "/" + CaseURLInjection
	PathIss          = "/" + CaseIssDiscovery
	PathIssJWKS      = PathIss + "/api/auth/jwks"
	PathIssWellKnown = PathIss + "/.well-known/jwks.json"
	PathIssOpenID    = PathIss + "/.well-known/openid-configuration"
)

// maxFetches bounds the requests a listener records: the evidence is in the
// first few, and a backend stuck in a loop must not grow the report.
const maxFetches = 100

// Fetch is one request that reached the attacker listener: the backend
// fetched a URL it took from a forged token.
type Fetch struct {
	// Case is the case whose token carried the URL ("" when the path is
	// none the probe handed out).
	Case      string `json:"case"`
	Method    string `json:"method"`
	Path      string `json:"path"`
	UserAgent string `json:"userAgent"`
	// From is the address the request came from.
	From string `json:"from"`
}

// Listener is the attacker's HTTP server: it serves the attacker key as a
// JWKS and as an X.509 certificate, and records every request whose path
// carries this run's secret. A request without it is counted, never a
// finding: anyone who can reach the listener could send one.
type Listener struct {
	// URL is where the backend reaches the listener (--attacker-url, or
	// http://<the address it listens on>).
	URL string
	// Addr is the address it listens on.
	Addr string

	secret  string
	srv     *http.Server
	done    chan struct{}
	mu      sync.Mutex
	fetches []Fetch
	dropped int
	foreign int
}

// Base is the URL the cases hand out: URL and this run's secret. Only
// requests under it are findings.
func (l *Listener) Base() string { return l.URL + "/" + l.secret }

// Listen starts the listener on addr ("127.0.0.1:0" picks a free port);
// publicURL, when not "", is the URL the backend reaches it at.
func Listen(addr, publicURL string, a *Attacker) (*Listener, error) {
	ln, err := net.Listen("tcp", addr)
	if err != nil {
		return nil, err
	}
	l := &Listener{Addr: ln.Addr().String(), URL: strings.TrimSuffix(publicURL, "/"), done: make(chan struct{}),
		secret: randomHex(nil, 16)}
	if l.URL == "" {
		l.URL = "http://" + l.Addr
	}
	// A public URL with a path (a tunnel that maps a prefix): the URLs
	// handed out carry it, and the listener strips it.
	base := ""
	if u, err := url.Parse(l.URL); err == nil {
		base = strings.TrimSuffix(u.Path, "/")
	}
	jwks := a.JWKS()
	kidURL := a.JWKSWithKid(l.Base() + PathKidURL)
	iss, _ := json.Marshal(l.Base() + PathIss)
	jwksURI, _ := json.Marshal(l.Base() + PathIssWellKnown)
	openid := []byte(`{"issuer":` + string(iss) + `,"jwks_uri":` + string(jwksURI) + `}`)
	// The listener answers whoever reaches it, so every wait is bounded:
	// headers, a body nobody needs, an idle keep-alive connection.
	l.srv = &http.Server{
		ReadHeaderTimeout: 10 * time.Second,
		ReadTimeout:       10 * time.Second,
		WriteTimeout:      10 * time.Second,
		IdleTimeout:       10 * time.Second,
		MaxHeaderBytes:    64 << 10,
		Handler: http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			path, ours := strings.CutPrefix(strings.TrimPrefix(r.URL.Path, base), "/"+l.secret)
			if !ours || (path != "" && path[0] != '/') {
				l.mu.Lock()
				l.foreign++
				l.mu.Unlock()
				http.NotFound(w, r)
				return
			}
			l.record(r, caseOfPath(path))
			switch path {
			case PathJKU, PathIssJWKS, PathIssWellKnown:
				w.Header().Set("Content-Type", "application/json")
				w.Write(jwks)
			case PathKidURL:
				w.Header().Set("Content-Type", "application/json")
				w.Write(kidURL)
			case PathIssOpenID:
				w.Header().Set("Content-Type", "application/json")
				w.Write(openid)
			case PathX5U:
				w.Header().Set("Content-Type", "application/x-pem-file")
				w.Write(a.CertPEM)
			default:
				http.NotFound(w, r)
			}
		}),
	}
	go func() {
		defer close(l.done)
		if err := l.srv.Serve(ln); err != nil && !errors.Is(err, http.ErrServerClosed) {
			return
		}
	}()
	return l, nil
}

// caseOfPath is the case whose URL this is: the first segment, when it
// names a case that hands out listener URLs.
func caseOfPath(path string) string {
	first, _, _ := strings.Cut(strings.TrimPrefix(path, "/"), "/")
	switch first {
	case CaseJKU, CaseX5U, CaseIssDiscovery, CaseKidURL, CaseKidCommandInjection, CaseURLInjection:
		return first
	}
	return ""
}

func (l *Listener) record(r *http.Request, c string) {
	l.mu.Lock()
	defer l.mu.Unlock()
	if len(l.fetches) >= maxFetches {
		l.dropped++
		return
	}
	// The path is shown without the run's secret.
	path := strings.Replace(r.URL.RequestURI(), "/"+l.secret, "", 1)
	l.fetches = append(l.fetches, Fetch{Case: c, Method: r.Method, Path: clipText(path, 200),
		UserAgent: clipText(r.UserAgent(), 200), From: r.RemoteAddr})
}

// Fetches returns the requests recorded so far, and how many more came
// than were recorded.
func (l *Listener) Fetches() ([]Fetch, int) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return append([]Fetch{}, l.fetches...), l.dropped
}

// Foreign counts the requests without this run's secret: not findings.
func (l *Listener) Foreign() int {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.foreign
}

// Close stops the listener; requests under way get a second to finish,
// then their connections are closed.
func (l *Listener) Close() error {
	ctx, cancel := context.WithTimeout(context.Background(), time.Second)
	defer cancel()
	err := l.srv.Shutdown(ctx)
	if err != nil {
		err = l.srv.Close()
	}
	<-l.done
	return err
}

func clipText(s string, n int) string {
	if len(s) <= n {
		return s
	}
	return s[:n] + "…"
}
