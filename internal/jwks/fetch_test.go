package jwks

import (
	"context"
	"errors"
	"io"
	"log"
	"net"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"
)

// Every failure to read a JWKS gets a hint for its cause, never one
// generic line for all.
func TestFailureHintPerCause(t *testing.T) {
	tlsSrv := httptest.NewUnstartedServer(http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) {}))
	tlsSrv.Config.ErrorLog = log.New(io.Discard, "", 0) // the refused handshake is the point
	tlsSrv.StartTLS()
	defer tlsSrv.Close()
	huge := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) {
		_, _ = io.WriteString(w, strings.Repeat(" ", MaxBytes+10))
	}))
	defer huge.Close()
	release := make(chan struct{})
	defer close(release)
	slow := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		select {
		case <-release:
		case <-r.Context().Done():
		}
	}))
	defer slow.Close()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	refused := "http://" + l.Addr().String()
	l.Close()

	for _, tc := range []struct {
		name, url, hint string
		timeout         time.Duration
	}{
		{"refused", refused, "connection refused", 10 * time.Second},
		{"TLS, unknown CA", tlsSrv.URL, "--cacert", 10 * time.Second},
		{"too large", huge.URL, "larger than", 10 * time.Second},
		{"timeout", slow.URL, "--timeout", 300 * time.Millisecond},
		{"DNS", "http://baverify-test.invalid", "does not resolve", 10 * time.Second},
	} {
		t.Run(tc.name, func(t *testing.T) {
			f := &Fetcher{Client: &http.Client{Timeout: tc.timeout}, Now: time.Now}
			_, err := f.Get(context.Background(), tc.url, nil)
			var se *SourceError
			if !errors.As(err, &se) || !strings.Contains(se.Hint, tc.hint) {
				t.Fatalf("err %v, hint %q; want %q", err, hintOf(err), tc.hint)
			}
		})
	}
	for _, tc := range []struct {
		name, body, msg, hint string
	}{
		{"empty", "", "empty response, 0 bytes", "empty body"},
		{"BOM", "\xef\xbb\xbf{\"keys\":[]}", "starts with a byte order mark", "byte order mark"},
		{"HTML", "<html>", "not valid JSON", "HTML page"},
		{"not a JWKS", `{"a":1}`, "not a JWKS", "not a JWKS"},
	} {
		_, err := Parse([]byte(tc.body))
		if err == nil || !strings.Contains(err.Error(), tc.msg) || !strings.Contains(FailureHint(err), tc.hint) {
			t.Errorf("%s: %v, hint %q", tc.name, err, FailureHint(err))
		}
	}
	for status, hint := range map[int]string{404: "jwt() plugin", 401: "must be public", 503: "logs", 429: "rate-limits"} {
		if !strings.Contains(StatusHint(status), hint) {
			t.Errorf("HTTP %d: %q", status, StatusHint(status))
		}
	}
}

func hintOf(err error) string {
	var se *SourceError
	if errors.As(err, &se) {
		return se.Hint
	}
	return ""
}
