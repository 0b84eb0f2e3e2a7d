package httpclient

import (
	"bytes"
	"context"
	"crypto/tls"
	"errors"
	"io"
	"net"
	"net/http"
	"net/url"
	"strings"
	"syscall"
	"time"
)

// WrongProtocol means the server answered in the other protocol than the
// URL's scheme asked for: plain HTTP to an https:// URL, or TLS to an
// http:// one. The server is up; only the scheme is wrong.
type WrongProtocol struct {
	// URL is the request's URL with the scheme the server speaks (its
	// password masked): what to use instead.
	URL string
	// TLS: the server speaks TLS and the URL said http://.
	TLS bool
	// Err is what net/http reported, or nil for an answer that was a
	// TLS server's "HTTP request to an HTTPS port" page.
	Err error
}

func (e *WrongProtocol) Error() string {
	if e.TLS {
		return "the server speaks HTTPS (TLS), not plain HTTP: use " + e.URL
	}
	return "the server speaks plain HTTP, not HTTPS: use " + e.URL
}

func (e *WrongProtocol) Unwrap() error { return e.Err }

// Hint is the one line of advice for a WrongProtocol, whatever the
// command: the flag or argument takes the other scheme.
func (e *WrongProtocol) Hint() string {
	if e.TLS {
		return "the server answered in TLS: write https:// in the URL you gave (--base-url, --jwks or the argument)"
	}
	return "the server answered in plain HTTP: write http:// in the URL you gave (--base-url, --jwks or the argument), or put TLS in front of it"
}

// plainHTTPAnswer reports whether a TLS handshake met an HTTP answer
// (net/http's client turns that into http.ErrSchemeMismatch above the
// transport).
func plainHTTPAnswer(err error) bool {
	var rh tls.RecordHeaderError
	return errors.Is(err, http.ErrSchemeMismatch) || (errors.As(err, &rh) && string(rh.RecordHeader[:]) == "HTTP/")
}

// otherScheme is u with the other of http and https, password masked.
func otherScheme(u *url.URL) string {
	c := *u
	if strings.EqualFold(c.Scheme, "https") {
		c.Scheme = "http"
	} else {
		c.Scheme = "https"
	}
	return c.Redacted()
}

// protocolTransport recognises an answer in the wrong protocol and turns
// it into a *WrongProtocol error, so that every command says it the same
// way instead of "no answer".
type protocolTransport struct {
	base    http.RoundTripper
	timeout time.Duration
	tls     *tls.Config
}

// tlsPortPages are in the 400 answers TLS servers give a plain HTTP
// request: Go's net/http, then nginx.
var tlsPortPages = [][]byte{
	[]byte("Client sent an HTTP request to an HTTPS server"),
	[]byte("The plain HTTP request was sent to HTTPS port"),
}

func (t *protocolTransport) RoundTrip(req *http.Request) (*http.Response, error) {
	resp, err := t.base.RoundTrip(req)
	plain := strings.EqualFold(req.URL.Scheme, "http")
	if err != nil {
		switch {
		case !plain && plainHTTPAnswer(err):
			return nil, &WrongProtocol{URL: otherScheme(req.URL), Err: err}
		case plain && strings.Contains(err.Error(), `malformed HTTP response "\x15\x03`):
			// A TLS alert record (content type 21, version 3.x).
			return nil, &WrongProtocol{URL: otherScheme(req.URL), TLS: true, Err: err}
		case plain && (errors.Is(err, io.EOF) || errors.Is(err, io.ErrUnexpectedEOF) || errors.Is(err, syscall.ECONNRESET)) &&
			req.Context().Err() == nil && t.speaksTLS(req.Context(), req.URL):
			// Node's TLS server closes the connection without a word.
			return nil, &WrongProtocol{URL: otherScheme(req.URL), TLS: true, Err: err}
		}
		return resp, err
	}
	if plain && resp.StatusCode == http.StatusBadRequest {
		head := make([]byte, 256)
		n, _ := io.ReadFull(resp.Body, head)
		head = head[:n]
		for _, page := range tlsPortPages {
			if bytes.Contains(head, page) {
				resp.Body.Close()
				return nil, &WrongProtocol{URL: otherScheme(req.URL), TLS: true}
			}
		}
		resp.Body = struct {
			io.Reader
			io.Closer
		}{io.MultiReader(bytes.NewReader(head), resp.Body), resp.Body}
	}
	return resp, nil
}

// speaksTLS reports whether the server at u completes a TLS handshake:
// one connection, no request sent, within the client's timeout. The
// certificate is not checked; only the protocol is being asked about.
func (t *protocolTransport) speaksTLS(ctx context.Context, u *url.URL) bool {
	if proxy, err := http.ProxyFromEnvironment(&http.Request{URL: u}); err != nil || proxy != nil {
		return false // the request went through a proxy: its EOF says nothing about the server
	}
	host := u.Hostname()
	port := u.Port()
	if port == "" {
		port = "80"
	}
	ctx, cancel := context.WithTimeout(ctx, min(t.timeout, 5*time.Second))
	defer cancel()
	cfg := &tls.Config{MinVersion: tls.VersionTLS12, InsecureSkipVerify: true} //nolint:gosec // only asks whether the server speaks TLS; nothing is sent over it
	if t.tls != nil {
		cfg.MinVersion = t.tls.MinVersion
	}
	if net.ParseIP(host) == nil {
		cfg.ServerName = host
	}
	d := tls.Dialer{Config: cfg}
	conn, err := d.DialContext(ctx, "tcp", net.JoinHostPort(host, port))
	if err != nil {
		return false
	}
	conn.Close()
	return true
}
