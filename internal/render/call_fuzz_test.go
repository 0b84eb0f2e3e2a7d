package render

import (
	"bytes"
	"context"
	"encoding/json"
	"io"
	"net/http"
	"strings"
	"testing"
	"time"
	"unicode"
	"unicode/utf8"

	"github.com/baverify/baverify/internal/call"
)

// hostileBackend answers every request with the fuzzed response, without a
// network.
type hostileBackend struct {
	status      int
	contentType string
	date        string
	extra       string // one more header value, shown with -i
	body        []byte
}

func (h hostileBackend) RoundTrip(r *http.Request) (*http.Response, error) {
	resp := &http.Response{StatusCode: h.status, Header: http.Header{}, Request: r, ProtoMajor: 1, ProtoMinor: 1,
		Body: io.NopCloser(bytes.NewReader(h.body))}
	resp.Header.Set("Content-Type", h.contentType)
	resp.Header.Set("Date", h.date)
	resp.Header.Set("Www-Authenticate", h.extra)
	return resp, nil
}

// FuzzCallAnswer runs a whole call against whatever a backend could
// answer: status, headers, body. Neither the diagnosis nor the renderers may
// panic; the plain text must carry no control character from the backend
// (a body or header is server text and must not drive the terminal); the
// JSON must be valid.
func FuzzCallAnswer(f *testing.F) {
	f.Add(401, "application/json", "Thu, 26 Nov 2026 19:50:00 GMT", `Bearer error="invalid_token"`, []byte(`{"detail":"Invalid token"}`), true)
	f.Add(500, "text/plain", "", "", []byte("Internal Server Error"), true)
	f.Add(200, "application/json", "garbage", "", []byte(`{"items":[1,2,3]}`), false)
	f.Add(403, "text/html", "Mon, 01 Jan 0001 00:00:00 GMT", "", []byte("<h1>Forbidden</h1>"), true)
	f.Add(401, "application/json", "", "\x1b]8;;http://evil\x07", []byte("{\"detail\":\"\x1b[2J\u202eowned\"}"), true)
	f.Add(204, "", "", "", []byte{0xff, 0xfe, 0x00, '\r', 0x9b}, false)
	// A real Better Auth token, valid at the time of the call.
	result, meta := realResult(f, "EdDSA", time.Minute)
	token := strings.TrimSpace(string(readRepoFile(f, "testdata/real/EdDSA/token.jwt")))
	f.Fuzz(func(t *testing.T, status int, contentType, date, extra string, body []byte, sendToken bool) {
		if status < 100 || status > 599 {
			status = 200
		}
		// net/http refuses these header values on the wire; a real client
		// never sees them.
		for _, v := range []string{contentType, date, extra} {
			if strings.ContainsAny(v, "\r\n\x00") {
				return
			}
		}
		req := call.Request{Method: "GET", URL: "http://127.0.0.1:8000/api/me", Header: http.Header{}}
		tok := result
		if sendToken {
			req.Token = token
		} else {
			tok = nil
		}
		now := time.Unix(meta.Iat+60, 0).UTC()
		rep := call.Do(context.Background(), call.Options{
			Client: &http.Client{Transport: hostileBackend{status, contentType, date, extra, body}},
			Now:    func() time.Time { return now }, BaseURL: meta.Origin, MaxBody: 4096,
		}, req, tok)
		var text bytes.Buffer
		if err := CallText(&text, rep, NewStyles(&text, false), CallTextOptions{AllHeaders: true}); err != nil {
			t.Fatal(err)
		}
		for _, r := range text.String() {
			if r == utf8.RuneError && !utf8.ValidString(text.String()) || unicode.IsControl(r) && r != '\n' || r == '\u202e' {
				t.Fatalf("the text output carries %U from the backend:\n%q", r, text.String())
			}
		}
		var js bytes.Buffer
		if err := JSON(&js, rep); err != nil {
			t.Fatal(err)
		}
		if !json.Valid(js.Bytes()) {
			t.Fatalf("invalid JSON: %s", js.String())
		}
	})
}
