package httpclient

import (
	"crypto/tls"
	"errors"
	"io"
	"log"
	"net"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
)

// listen serves each accepted connection with serve, on 127.0.0.1.
func listen(t *testing.T, serve func(net.Conn)) string {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { ln.Close() })
	go func() {
		for {
			c, err := ln.Accept()
			if err != nil {
				return
			}
			go func() { defer c.Close(); serve(c) }()
		}
	}()
	return ln.Addr().String()
}

// Issue 16.14: an answer in the other protocol is a *WrongProtocol naming
// the URL to use, for each way servers give it; a server that only closes
// the connection and does not speak TLS is not one.
func TestWrongProtocol(t *testing.T) {
	plain := httptest.NewServer(http.HandlerFunc(func(http.ResponseWriter, *http.Request) {}))
	t.Cleanup(plain.Close)
	goTLS := httptest.NewUnstartedServer(http.HandlerFunc(func(http.ResponseWriter, *http.Request) {}))
	goTLS.Config.ErrorLog = log.New(io.Discard, "", 0)
	goTLS.StartTLS()
	t.Cleanup(goTLS.Close)
	cert := goTLS.TLS.Certificates
	// Node's TLS server: a plain request fails the handshake and the
	// connection is closed without a word.
	silentTLS := listen(t, func(c net.Conn) {
		_ = tls.Server(c, &tls.Config{Certificates: cert}).Handshake()
	})
	// OpenSSL-style servers answer with a TLS alert record.
	alert := listen(t, func(c net.Conn) {
		_, _ = c.Read(make([]byte, 512))
		_, _ = c.Write([]byte("\x15\x03\x01\x00\x02\x02\x46"))
	})
	closes := listen(t, func(c net.Conn) { _, _ = c.Read(make([]byte, 512)) })

	c, err := New(Options{})
	if err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct {
		name, url, use string
		tls            bool
	}{
		{"https to a plain-HTTP server", strings.Replace(plain.URL, "http://", "https://", 1) + "/jwks?x=1", strings.Replace(plain.URL, "https://", "http://", 1) + "/jwks?x=1", false},
		{"http to a Go TLS server (400 page)", strings.Replace(goTLS.URL, "https://", "http://", 1) + "/jwks", goTLS.URL + "/jwks", true},
		{"http to a TLS server that closes", "http://" + silentTLS + "/jwks", "https://" + silentTLS + "/jwks", true},
		{"http to a TLS server that sends an alert", "http://" + alert + "/jwks", "https://" + alert + "/jwks", true},
		{"a plain server that closes is not one", "http://" + closes + "/jwks", "", false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			resp, err := c.Get(tc.url)
			if resp != nil {
				resp.Body.Close()
			}
			var wp *WrongProtocol
			if tc.use == "" {
				if err == nil || errors.As(err, &wp) {
					t.Fatalf("err %v", err)
				}
				return
			}
			if !errors.As(err, &wp) || wp.URL != tc.use || wp.TLS != tc.tls {
				t.Fatalf("err %v (%+v), want use %s", err, wp, tc.use)
			}
			if !strings.Contains(wp.Error(), "use "+tc.use) || wp.Hint() == "" {
				t.Errorf("message %q, hint %q", wp.Error(), wp.Hint())
			}
		})
	}
}

// A 400 from a plain-HTTP server that is not a TLS port's page keeps its
// body whole.
func TestWrongProtocolLeavesOther400sAlone(t *testing.T) {
	body := strings.Repeat("bad request, for its own reasons. ", 10)
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) {
		http.Error(w, body, http.StatusBadRequest)
	}))
	t.Cleanup(srv.Close)
	c, err := New(Options{})
	if err != nil {
		t.Fatal(err)
	}
	resp, err := c.Get(srv.URL)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	got, err := io.ReadAll(resp.Body)
	if err != nil || string(got) != body+"\n" {
		t.Fatalf("body %q, %v", got, err)
	}
}
