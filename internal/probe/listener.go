package probe

import (
	"context"
	"errors"
	"net"
	"net/http"
	"net/url"
	"strings"
	"sync"
	"time"
)

// Paths the attacker listener serves, relative to its URL. iss_discovery
// sets iss to the listener's URL, so a backend that discovers keys from
// iss asks for <iss>/api/auth/jwks (Better Auth's default), for
// <iss>/.well-known/jwks.json, or for OpenID discovery.
const (
	PathJKU          = "/jku/jwks.json"
	PathX5U          = "/x5u/cert.pem"
	PathIssJWKS      = "/api/auth/jwks"
	PathIssWellKnown = "/.well-known/jwks.json"
	PathIssOpenID    = "/.well-known/openid-configuration"
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
// JWKS and as an X.509 certificate, and records every request.
type Listener struct {
	// URL is where the backend is told to fetch from (--attacker-url, or
	// http://<the address it listens on>).
	URL string
	// Addr is the address it listens on.
	Addr string

	srv     *http.Server
	done    chan struct{}
	mu      sync.Mutex
	fetches []Fetch
	dropped int
}

// Listen starts the listener on addr ("127.0.0.1:0" picks a free port);
// publicURL, when not "", is the URL the backend reaches it at.
func Listen(addr, publicURL string, a *Attacker) (*Listener, error) {
	ln, err := net.Listen("tcp", addr)
	if err != nil {
		return nil, err
	}
	l := &Listener{Addr: ln.Addr().String(), URL: strings.TrimSuffix(publicURL, "/"), done: make(chan struct{})}
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
	openid := []byte(`{"issuer":"` + l.URL + `","jwks_uri":"` + l.URL + PathIssWellKnown + `"}`)
	// The listener answers whoever reaches it, so every wait is bounded:
	// headers, a body nobody needs, an idle keep-alive connection.
	l.srv = &http.Server{
		ReadHeaderTimeout: 10 * time.Second,
		ReadTimeout:       10 * time.Second,
		WriteTimeout:      10 * time.Second,
		IdleTimeout:       10 * time.Second,
		MaxHeaderBytes:    64 << 10,
		Handler: http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			path := strings.TrimPrefix(r.URL.Path, base)
			l.record(r, caseOfPath(path))
			switch path {
			case PathJKU, PathIssJWKS, PathIssWellKnown:
				w.Header().Set("Content-Type", "application/json")
				w.Write(jwks)
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

func caseOfPath(path string) string {
	switch path {
	case PathJKU:
		return CaseJKU
	case PathX5U:
		return CaseX5U
	case PathIssJWKS, PathIssWellKnown, PathIssOpenID:
		return CaseIssDiscovery
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
	l.fetches = append(l.fetches, Fetch{Case: c, Method: r.Method, Path: clipText(r.URL.RequestURI(), 200),
		UserAgent: clipText(r.UserAgent(), 200), From: r.RemoteAddr})
}

// Fetches returns the requests recorded so far, and how many more came
// than were recorded.
func (l *Listener) Fetches() ([]Fetch, int) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return append([]Fetch{}, l.fetches...), l.dropped
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
