package call

import (
	"context"
	"encoding/json"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"
	"unicode/utf8"

	"github.com/baverify/baverify/internal/httpclient"
)

// seen records what a test server received.
type seen struct {
	mu       sync.Mutex
	requests []*http.Request
	bodies   []string
}

func (s *seen) record(r *http.Request) {
	b, _ := io.ReadAll(r.Body)
	s.mu.Lock()
	defer s.mu.Unlock()
	s.requests = append(s.requests, r)
	s.bodies = append(s.bodies, string(b))
}

func (s *seen) last(t *testing.T) (*http.Request, string) {
	t.Helper()
	s.mu.Lock()
	defer s.mu.Unlock()
	if len(s.requests) == 0 {
		t.Fatal("the server received nothing")
	}
	return s.requests[len(s.requests)-1], s.bodies[len(s.bodies)-1]
}

func clientWithLog(t *testing.T) (*http.Client, *RedirectLog) {
	t.Helper()
	log := &RedirectLog{}
	c, err := httpclient.New(httpclient.Options{Timeout: 5 * time.Second, OnRedirect: log.Record})
	if err != nil {
		t.Fatal(err)
	}
	return c, log
}

func fixedClock(t time.Time) func() time.Time { return func() time.Time { return t } }

func TestDoSendsAndCollects(t *testing.T) {
	rt := loadReal(t, "EdDSA")
	now := rt.During()
	var got seen
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		got.record(r)
		w.Header().Set("Content-Type", "application/json")
		w.Header().Set("Date", now.Format(http.TimeFormat))
		w.Header().Add("X-Multi", "a")
		w.Header().Add("X-Multi", "b")
		w.WriteHeader(http.StatusCreated)
		_, _ = io.WriteString(w, `{"id": 7, "title": "x"}`)
	}))
	defer srv.Close()
	c, log := clientWithLog(t)
	exp, _ := ParseExpectation("")
	req := Request{Method: "POST", URL: srv.URL + "/api/todos", Host: "api.example.com",
		Header: http.Header{"Content-Type": {"application/json"}, "X-Trace": {"1"}}, Body: []byte(`{"title":"x"}`), Token: rt.Token}
	rep := Do(context.Background(), Options{Client: c, Redirects: log, Now: fixedClock(now), Expect: exp, UserAgent: "baverify/test"},
		req, verifyAt(t, rt, now, true))

	r, body := got.last(t)
	if r.Method != "POST" || r.URL.Path != "/api/todos" || body != `{"title":"x"}` || r.Host != "api.example.com" {
		t.Fatalf("received %s %s host %s body %q", r.Method, r.URL.Path, r.Host, body)
	}
	if r.Header.Get("Authorization") != "Bearer "+rt.Token || r.Header.Get("X-Trace") != "1" ||
		r.Header.Get("User-Agent") != "baverify/test" || r.Header.Get("Accept") != "*/*" {
		t.Fatalf("headers received: %v", r.Header)
	}
	if !rep.OK || !rep.StatusMatched || rep.Unreachable || len(rep.Diagnosis) != 0 {
		t.Fatalf("report: ok %v, diagnosis %v", rep.OK, rep.Diagnosis)
	}
	resp := rep.Response
	if resp.Status != 201 || resp.StatusText != "Created" || !resp.Body.JSON || resp.Truncated || resp.LatencyMs != 0 ||
		!slices.Equal(resp.Headers["X-Multi"], []string{"a", "b"}) || resp.Date == nil || !resp.Date.Equal(now) {
		t.Fatalf("response: %+v", resp)
	}
	// The token never appears in the report unless asked for.
	out, err := json.Marshal(rep)
	if err != nil {
		t.Fatal(err)
	}
	if strings.Contains(string(out), rt.Token) {
		t.Fatal("the report carries the whole token")
	}
	if auth := rep.Request.Headers["Authorization"]; len(auth) != 1 || auth[0] != "Bearer eyJhbGci…" {
		t.Fatalf("request Authorization = %v", auth)
	}
	if rep.Request.Headers["Host"][0] != "api.example.com" || rep.Request.BodyBytes != len(req.Body) {
		t.Fatalf("request info: %+v", rep.Request)
	}
	var doc map[string]any
	if err := json.Unmarshal(out, &doc); err != nil {
		t.Fatal(err)
	}
	if b, ok := doc["response"].(map[string]any)["body"].(map[string]any); !ok || b["title"] != "x" {
		t.Fatalf("a JSON body is a JSON value in the report: %v", doc["response"])
	}

	shown := Do(context.Background(), Options{Client: c, Now: fixedClock(now), Expect: exp, ShowToken: true}, req, nil)
	if shown.Request.Headers["Authorization"][0] != "Bearer "+rt.Token {
		t.Fatal("--show-token did not show the token")
	}
}

func TestDoBoundsTheBody(t *testing.T) {
	big := strings.Repeat("x", 5000)
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) {
		w.Header().Set("Content-Type", "application/json")
		_, _ = io.WriteString(w, `{"a":"`+big+`"}`)
	}))
	defer srv.Close()
	c, log := clientWithLog(t)
	exp, _ := ParseExpectation("")
	rep := Do(context.Background(), Options{Client: c, Redirects: log, Expect: exp, MaxBody: 1000}, Request{Method: "GET", URL: srv.URL}, nil)
	resp := rep.Response
	if !resp.Truncated || resp.BodyBytes != 1000 || resp.Body.JSON {
		t.Fatalf("truncated %v, %d bytes, json %v", resp.Truncated, resp.BodyBytes, resp.Body.JSON)
	}
	b, err := json.Marshal(resp.Body)
	if err != nil || b[0] != '"' {
		t.Fatalf("a truncated JSON body is a string: %s %v", b, err)
	}
}

func TestDoNeverCarriesTheTokenToAnotherOrigin(t *testing.T) {
	var target seen
	other := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		target.record(r)
		_, _ = io.WriteString(w, "ok")
	}))
	defer other.Close()
	var origin seen
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		origin.record(r)
		switch r.URL.Path {
		case "/same":
			http.Redirect(w, r, "/final", http.StatusTemporaryRedirect)
		case "/cross":
			http.Redirect(w, r, other.URL+"/final", http.StatusTemporaryRedirect)
		default:
			_, _ = io.WriteString(w, "final")
		}
	}))
	defer srv.Close()
	exp, _ := ParseExpectation("")

	c, log := clientWithLog(t)
	rep := Do(context.Background(), Options{Client: c, Redirects: log, Expect: exp}, Request{Method: "GET", URL: srv.URL + "/same", Token: "tok.en.value"}, nil)
	if r, _ := origin.last(t); r.URL.Path != "/final" || r.Header.Get("Authorization") != "Bearer tok.en.value" {
		t.Fatalf("a same-origin redirect keeps the token: %s %q", r.URL.Path, r.Header.Get("Authorization"))
	}
	if len(rep.Response.Redirects) != 1 || rep.Response.Redirects[0].AuthorizationDropped {
		t.Fatalf("redirects %+v", rep.Response.Redirects)
	}

	c, log = clientWithLog(t)
	rep = Do(context.Background(), Options{Client: c, Redirects: log, Expect: exp}, Request{Method: "GET", URL: srv.URL + "/cross", Token: "tok.en.value",
		Header: http.Header{"Cookie": {"a=b"}}}, nil)
	r, _ := target.last(t)
	if r.Header.Get("Authorization") != "" || r.Header.Get("Cookie") != "" {
		t.Fatalf("another port received credentials: %v", r.Header)
	}
	if rep.Response.URL != other.URL+"/final" || len(rep.Response.Redirects) != 1 || !rep.Response.Redirects[0].AuthorizationDropped {
		t.Fatalf("response %s, redirects %+v", rep.Response.URL, rep.Response.Redirects)
	}
	if len(rep.Diagnosis) != 1 || rep.Diagnosis[0].Code != CodeAuthDropped || !rep.OK {
		t.Fatalf("diagnosis %v ok %v: a dropped token is information, not a failure", rep.Diagnosis, rep.OK)
	}
}

func TestDoUnreachable(t *testing.T) {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := l.Addr().String()
	l.Close()
	c, log := clientWithLog(t)
	exp, _ := ParseExpectation("")
	rep := Do(context.Background(), Options{Client: c, Redirects: log, Expect: exp}, Request{Method: "GET", URL: "http://" + addr + "/x"}, nil)
	if !rep.Unreachable || rep.OK || rep.Response != nil || rep.Error == "" ||
		len(rep.Diagnosis) != 1 || rep.Diagnosis[0].Code != CodeUnreachable {
		t.Fatalf("%+v", rep)
	}
	b, _ := json.Marshal(rep)
	if !strings.Contains(string(b), `"response":null`) || !strings.Contains(string(b), `"token":null`) {
		t.Fatalf("JSON: %s", b)
	}
}

func TestDoTimeout(t *testing.T) {
	release := make(chan struct{})
	srv := httptest.NewServer(http.HandlerFunc(func(http.ResponseWriter, *http.Request) { <-release }))
	defer srv.Close()
	defer close(release)
	log := &RedirectLog{}
	c, err := httpclient.New(httpclient.Options{Timeout: 200 * time.Millisecond, OnRedirect: log.Record})
	if err != nil {
		t.Fatal(err)
	}
	exp, _ := ParseExpectation("")
	rep := Do(context.Background(), Options{Client: c, Redirects: log, Expect: exp}, Request{Method: "GET", URL: srv.URL}, nil)
	if !rep.Unreachable || !strings.Contains(rep.Error, "timed out") {
		t.Fatalf("%+v", rep)
	}
}

func TestParseExpectation(t *testing.T) {
	for _, tc := range []struct {
		in    string
		match []int
		miss  []int
		str   string
	}{
		{"", []int{200, 201, 204}, []int{301, 401, 500}, "2xx"},
		{"401", []int{401}, []int{200, 403}, "401"},
		{"401,403", []int{401, 403}, []int{200}, "401,403"},
		{"4XX", []int{400, 401, 499}, []int{200, 500}, "4xx"},
		{" 2xx , 404 ", []int{200, 404}, []int{401}, "2xx,404"},
	} {
		e, err := ParseExpectation(tc.in)
		if err != nil {
			t.Fatalf("%q: %v", tc.in, err)
		}
		for _, s := range tc.match {
			if !e.Match(s) {
				t.Errorf("%q does not match %d", tc.in, s)
			}
		}
		for _, s := range tc.miss {
			if e.Match(s) {
				t.Errorf("%q matches %d", tc.in, s)
			}
		}
		if e.String() != tc.str {
			t.Errorf("%q: String %q", tc.in, e.String())
		}
	}
	for _, bad := range []string{"abc", "99", "600", "6xx", "2x", "401,", "200;201"} {
		if _, err := ParseExpectation(bad); err == nil {
			t.Errorf("%q accepted", bad)
		}
	}
}

func TestParseHeader(t *testing.T) {
	for in, want := range map[string][2]string{
		"X-Trace: 1":           {"X-Trace", "1"},
		"Accept:application/x": {"Accept", "application/x"},
		"X-Empty:":             {"X-Empty", ""},
		"X-Colon: a:b":         {"X-Colon", "a:b"},
	} {
		n, v, err := ParseHeader(in)
		if err != nil || n != want[0] || v != want[1] {
			t.Errorf("%q: %q %q %v", in, n, v, err)
		}
	}
	for _, bad := range []string{"no colon", ": value", "Bad Name: x", "X: a\r\nInjected: y", "X(y): z"} {
		if _, _, err := ParseHeader(bad); err == nil {
			t.Errorf("%q accepted", bad)
		}
	}
}

func TestReadData(t *testing.T) {
	file := filepath.Join(t.TempDir(), "body.json")
	if err := os.WriteFile(file, []byte("{\"a\":1}\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	for spec, want := range map[string]string{"literal": "literal", "@" + file: "{\"a\":1}\n", "@-": "from stdin"} {
		got, err := ReadData(spec, strings.NewReader("from stdin"))
		if err != nil || string(got) != want {
			t.Errorf("%s: %q %v", spec, got, err)
		}
	}
	if _, err := ReadData("@", nil); err == nil {
		t.Error("@ accepted")
	}
	if _, err := ReadData("@"+filepath.Join(t.TempDir(), "missing"), nil); err == nil {
		t.Error("a missing file accepted")
	}
	if _, err := ReadData("@-", io.LimitReader(zeros{}, MaxRequestBody+10)); err == nil || !strings.Contains(err.Error(), "more than") {
		t.Errorf("an oversize body: %v", err)
	}
}

type zeros struct{}

func (zeros) Read(p []byte) (int, error) {
	clear(p)
	return len(p), nil
}

func TestParseTarget(t *testing.T) {
	if _, err := ParseTarget("https://api.example.com/api/me?x=1"); err != nil {
		t.Fatal(err)
	}
	for _, bad := range []string{"api.example.com/x", "ftp://a/b", "https://", "https://u:p@api.example.com/"} {
		if _, err := ParseTarget(bad); err == nil {
			t.Errorf("%q accepted", bad)
		}
	}
}

func TestRedact(t *testing.T) {
	for _, tc := range []struct{ name, in, want string }{
		{"Authorization", "Bearer eyJhbGciOiJFZERTQSJ9.x.y", "Bearer eyJhbGci…"},
		// A prefix of base64 "user:password" would give the user away.
		{"Authorization", "Basic YWxpY2U6aHVudGVyMg==", "Basic …"},
		{"Authorization", "Bearer opaque-session-token-123", "Bearer …"},
		{"Cookie", "session=s3cr3tvalue; theme=dark", "session=…; theme=…"},
		{"X-Api-Key", "sk_live_1234567890", "…"},
		{"X-Api-Key", "eyJhbGciOiJIUzI1NiJ9.e30.x", "eyJhbGci…"},
		{"Cf-Access-Jwt-Assertion", "eyJhbGciOiJSUzI1NiJ9.e30.x", "eyJhbGci…"},
		{"X-Goog-Iap-Jwt-Assertion", "eyJhbGciOiJFUzI1NiJ9.e30.x", "eyJhbGci…"},
		{"X-Client-Assertion", "abc", "…"},
		{"X-Jwt", "eyJhbGciOiJFUzI1NiJ9.e30.x", "eyJhbGci…"},
	} {
		if !httpclient.CredentialHeader(tc.name) {
			t.Errorf("%s is not treated as sensitive", tc.name)
		}
		if got := RedactHeaderValue(tc.name, tc.in); got != tc.want {
			t.Errorf("RedactHeaderValue(%s, %q) = %q, want %q", tc.name, tc.in, got, tc.want)
		}
	}
	for _, name := range []string{"Accept", "Content-Type", "User-Agent", "X-Request-Id"} {
		if httpclient.CredentialHeader(name) {
			t.Errorf("%s is treated as sensitive", name)
		}
	}
}

func TestBuild(t *testing.T) {
	for _, tc := range []struct {
		name                  string
		spec                  Spec
		method, ctype, accept string
		host, body            string
	}{
		{"GET by default", Spec{URL: "https://api.example.com/x"}, "GET", "", "", "", ""},
		{"-d means POST, form encoded", Spec{URL: "https://a.example/x", Data: "a=1"}, "POST", "application/x-www-form-urlencoded", "", "", "a=1"},
		{"--json", Spec{URL: "https://a.example/x", JSON: `{"a":1}`, Method: "PUT"}, "PUT", "application/json", "application/json", "", `{"a":1}`},
		{"-H wins, Host is the Host", Spec{URL: "https://a.example/x", Data: "x", Headers: []string{"Content-Type: text/plain", "Host: api.example.com"}}, "POST", "text/plain", "", "api.example.com", "x"},
	} {
		req, err := Build(tc.spec, nil)
		if err != nil {
			t.Fatalf("%s: %v", tc.name, err)
		}
		if req.Method != tc.method || req.Header.Get("Content-Type") != tc.ctype || req.Header.Get("Accept") != tc.accept ||
			req.Host != tc.host || string(req.Body) != tc.body || req.Header.Get("Host") != "" {
			t.Errorf("%s: %+v", tc.name, req)
		}
	}
	for _, bad := range []Spec{
		{URL: "https://a.example/x", Data: "a", JSON: "{}"},
		{URL: "https://a.example/x", JSON: "{nope"},
		{URL: "https://a.example/x", Method: "GE T"},
		{URL: "https://a.example/x", Headers: []string{"bad"}},
		{URL: "a.example/x"},
	} {
		if _, err := Build(bad, nil); err == nil {
			t.Errorf("%+v accepted", bad)
		}
	}
}

// A body that is JSON but not valid UTF-8 is reported as a string, so that
// the report (call --output json) stays valid UTF-8.
func TestDoBodyNotUTF8IsAString(t *testing.T) {
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) {
		w.Header().Set("Content-Type", "application/json")
		io.WriteString(w, "{\"detail\":\"\xff\"}")
	}))
	t.Cleanup(srv.Close)
	c, log := clientWithLog(t)
	rep := Do(context.Background(), Options{Client: c, Redirects: log}, Request{Method: "GET", URL: srv.URL, Header: http.Header{}}, nil)
	if rep.Response == nil || rep.Response.Body.JSON {
		t.Fatalf("body taken as JSON: %+v", rep.Response)
	}
	out, err := json.Marshal(rep)
	if err != nil || !utf8.Valid(out) {
		t.Fatalf("the report is not valid UTF-8: %q %v", out, err)
	}
}

// A redirect to another port drops every header the redaction rules class
// as a credential, not only Authorization and Cookie, and the report names
// them; other headers follow the redirect.
func TestCrossOriginRedirectDropsCredentialHeaders(t *testing.T) {
	var target seen
	other := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		target.record(r)
		_, _ = io.WriteString(w, "final")
	}))
	defer other.Close()
	var origin seen
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		origin.record(r)
		if r.URL.Path == "/cross" {
			http.Redirect(w, r, other.URL+"/final", http.StatusFound)
			return
		}
		_, _ = io.WriteString(w, "same")
	}))
	defer srv.Close()
	exp, _ := ParseExpectation("")
	header := http.Header{
		"X-Api-Key":                {"sk_live_1234567890"},
		"Cf-Access-Jwt-Assertion":  {"eyJhbGciOiJSUzI1NiJ9.e30.sig"},
		"X-Goog-Iap-Jwt-Assertion": {"eyJhbGciOiJFUzI1NiJ9.e30.sig"},
		"X-Trace":                  {"7"},
	}
	c, log := clientWithLog(t)
	rep := Do(context.Background(), Options{Client: c, Redirects: log, Expect: exp},
		Request{Method: "GET", URL: srv.URL + "/cross", Header: header, Token: "tok.en.value"}, nil)
	got, _ := target.last(t)
	for _, name := range []string{"Authorization", "X-Api-Key", "Cf-Access-Jwt-Assertion", "X-Goog-Iap-Jwt-Assertion"} {
		if v := got.Header.Get(name); v != "" {
			t.Errorf("another port received %s: %q", name, v)
		}
	}
	if got.Header.Get("X-Trace") != "7" {
		t.Errorf("a header that is no credential was dropped: %v", got.Header)
	}
	first, _ := origin.last(t)
	if first.Header.Get("X-Api-Key") == "" || first.Header.Get("Cf-Access-Jwt-Assertion") == "" {
		t.Fatalf("the first origin did not get the headers: %v", first.Header)
	}
	want := []string{"Authorization", "Cf-Access-Jwt-Assertion", "X-Api-Key", "X-Goog-Iap-Jwt-Assertion"}
	if len(rep.Response.Redirects) != 1 || !slices.Equal(rep.Response.Redirects[0].DroppedHeaders, want) ||
		!rep.Response.Redirects[0].AuthorizationDropped {
		t.Fatalf("redirects %+v, want dropped %v", rep.Response.Redirects, want)
	}
	// The same headers are redacted in the report of the request.
	for _, name := range []string{"X-Api-Key", "Cf-Access-Jwt-Assertion", "X-Goog-Iap-Jwt-Assertion"} {
		if v := rep.Request.Headers[name][0]; strings.Contains(v, ".e30.") || strings.Contains(v, "sk_live") {
			t.Errorf("%s shown unredacted: %q", name, v)
		}
	}
	b, err := json.Marshal(rep)
	if err != nil || !strings.Contains(string(b), `"droppedHeaders":["Authorization","Cf-Access-Jwt-Assertion","X-Api-Key","X-Goog-Iap-Jwt-Assertion"]`) {
		t.Fatalf("JSON %s (%v)", b, err)
	}

	// On a same-origin redirect nothing is dropped, and the list is empty.
	srvSame := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Path == "/a" {
			http.Redirect(w, r, "/b", http.StatusFound)
			return
		}
		if r.Header.Get("X-Api-Key") == "" {
			t.Error("a same-origin redirect dropped X-Api-Key")
		}
	}))
	defer srvSame.Close()
	c, log = clientWithLog(t)
	rep = Do(context.Background(), Options{Client: c, Redirects: log, Expect: exp},
		Request{Method: "GET", URL: srvSame.URL + "/a", Header: header}, nil)
	if len(rep.Response.Redirects) != 1 || rep.Response.Redirects[0].DroppedHeaders == nil || len(rep.Response.Redirects[0].DroppedHeaders) != 0 {
		t.Fatalf("same-origin redirects %+v", rep.Response.Redirects)
	}
}

// A body that cannot be read to the end (a timeout after the headers, a
// reset) is "could not check", not OK: the backend's verdict may be in the
// part that never came.
func TestDoBodyCutShortIsIncomplete(t *testing.T) {
	release := make(chan struct{})
	defer close(release)
	for _, tc := range []struct {
		name    string
		handler http.HandlerFunc
		reason  string
	}{
		{"timeout after the headers", func(w http.ResponseWriter, r *http.Request) {
			w.Header().Set("Content-Type", "application/json")
			w.WriteHeader(200)
			_, _ = io.WriteString(w, `{"sub":`)
			w.(http.Flusher).Flush()
			select {
			case <-release:
			case <-r.Context().Done():
			}
		}, "timed out"},
		{"reset", func(w http.ResponseWriter, _ *http.Request) {
			w.Header().Set("Content-Length", "100")
			w.WriteHeader(200)
			_, _ = io.WriteString(w, `{"sub":`)
			w.(http.Flusher).Flush()
			conn, _, err := w.(http.Hijacker).Hijack()
			if err == nil {
				conn.Close()
			}
		}, "EOF"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			srv := httptest.NewServer(tc.handler)
			defer srv.Close()
			defer srv.CloseClientConnections()
			log := &RedirectLog{}
			c, err := httpclient.New(httpclient.Options{Timeout: 300 * time.Millisecond, OnRedirect: log.Record})
			if err != nil {
				t.Fatal(err)
			}
			exp, _ := ParseExpectation("")
			rep := Do(context.Background(), Options{Client: c, Redirects: log, Expect: exp}, Request{Method: "GET", URL: srv.URL}, nil)
			if !rep.Incomplete || rep.OK || rep.Unreachable || len(rep.Diagnosis) != 1 || rep.Diagnosis[0].Code != CodeResponseIncomplete ||
				!strings.Contains(rep.Diagnosis[0].Message, tc.reason) {
				t.Fatalf("%+v\n%+v", rep, rep.Diagnosis)
			}
		})
	}
}

// A redirect loop is an answer (redirects), not an unreachable backend.
func TestDoRedirectLoop(t *testing.T) {
	mux := http.NewServeMux()
	mux.HandleFunc("/a", func(w http.ResponseWriter, r *http.Request) { http.Redirect(w, r, "/b", http.StatusFound) })
	mux.HandleFunc("/b", func(w http.ResponseWriter, r *http.Request) { http.Redirect(w, r, "/a", http.StatusFound) })
	srv := httptest.NewServer(mux)
	defer srv.Close()
	c, log := clientWithLog(t)
	exp, _ := ParseExpectation("")
	rep := Do(context.Background(), Options{Client: c, Redirects: log, Expect: exp}, Request{Method: "GET", URL: srv.URL + "/a"}, nil)
	if rep.Unreachable || rep.OK || rep.Response == nil || rep.Response.Status != http.StatusFound || len(rep.Diagnosis) != 1 {
		t.Fatalf("%+v\n%+v", rep, rep.Diagnosis)
	}
	f := rep.Diagnosis[0]
	if f.Code != CodeTooManyRedirects || !strings.Contains(f.Message, "redirect loop") || !strings.Contains(f.Message, srv.URL+"/a") {
		t.Fatalf("%+v", f)
	}
}
