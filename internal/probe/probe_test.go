package probe

import (
	"context"
	"encoding/base64"
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/baverify/baverify/internal/call"
	"github.com/baverify/baverify/internal/httpclient"
	"github.com/baverify/baverify/internal/keysource"
	"github.com/baverify/baverify/internal/verify"
)

func expectation(t *testing.T, s string) call.Expectation {
	t.Helper()
	e, err := call.ParseExpectation(s)
	if err != nil {
		t.Fatal(err)
	}
	return e
}

func TestJudge(t *testing.T) {
	t.Parallel()
	genuine := Case{Name: CaseGenuine, Genuine: true}
	forged := Case{Name: CaseAlgNone}
	answer := func(status int, redirects ...call.Redirect) *call.Report {
		final := "http://127.0.0.1/x"
		if redirects == nil {
			redirects = []call.Redirect{}
		} else {
			final = redirects[len(redirects)-1].To
		}
		return &call.Report{Request: call.RequestInfo{URL: "http://127.0.0.1/x"},
			Response: &call.ResponseInfo{Status: status, URL: final, Redirects: redirects,
				Body: call.Body{Raw: []byte(`{"detail":"Invalid token"}`), JSON: true}}}
	}
	loop := func() *call.Report {
		rep := answer(302, call.Redirect{From: "http://127.0.0.1/a", To: "http://127.0.0.1/b"}, call.Redirect{From: "http://127.0.0.1/b", To: "http://127.0.0.1/a"})
		rep.Response.RedirectLimit = true
		return rep
	}
	incomplete := func() *call.Report {
		rep := answer(200)
		rep.Incomplete, rep.Response.BodyError = true, "timed out while reading the body"
		return rep
	}
	tests := []struct {
		name   string
		c      Case
		rep    *call.Report
		expect string
		want   Outcome
		msg    string
		// genuineURL is where the genuine request ended ("" unknown).
		genuineURL string
	}{
		{"genuine accepted", genuine, answer(200), "", Pass, "accepted (HTTP 200)", ""},
		{"genuine refused", genuine, answer(401), "", Fail, "HTTP 401, expected 2xx", ""},
		{"genuine gets the expected 403", genuine, answer(403), "403", Pass, "accepted (HTTP 403)", ""},
		{"genuine fails the backend", genuine, answer(500), "", Fail, "HTTP 500", ""},
		{"forgery refused with 401", forged, answer(401), "", Pass, "refused (HTTP 401)", ""},
		{"forgery refused with 403", forged, answer(403), "", Pass, "refused (HTTP 403)", ""},
		{"forgery accepted", forged, answer(200), "", Fail, "ACCEPTED (HTTP 200)", ""},
		{"forgery answered 304", forged, answer(304), "", Warn, "answered 304 to a forged token: neither accepted nor refused", ""},
		{"forgery answered 302 that was not followed", forged, answer(302), "", Warn, "answered 302 to a forged token", ""},
		{"forgery crashes the backend", forged, answer(500), "", Warn, "HTTP 500: the forgery made the backend fail, not refuse it: an unhandled error (it said", ""},
		{"forgery refused with 400", forged, answer(400), "", Warn, "refused with HTTP 400", ""},
		{"forgery accepted after a trailing-slash redirect", forged, answer(200, call.Redirect{From: "http://127.0.0.1/x", To: "http://127.0.0.1/x/"}), "", Fail, "ACCEPTED", ""},
		{"forgery accepted after a same-origin redirect, where the genuine one went", forged, answer(200, call.Redirect{From: "http://127.0.0.1/x", To: "http://127.0.0.1/v2/x"}), "", Fail, "ACCEPTED", "http://127.0.0.1/v2/x"},
		{"forgery redirected to a login page, the genuine one not", forged, answer(200, call.Redirect{From: "http://127.0.0.1/x", To: "http://127.0.0.1/login?next=/x"}), "", Warn,
			"redirected to /login?next=/x (the genuine request was not): a login page, not an acceptance?", "http://127.0.0.1/x"},
		{"forgery redirected to a login page, the genuine one elsewhere", forged, answer(200, call.Redirect{From: "http://127.0.0.1/x", To: "http://127.0.0.1/login"}), "", Warn,
			"(the genuine request ended at /v2/x)", "http://127.0.0.1/v2/x"},
		{"forgery redirected to another path, no genuine answer to compare", forged, answer(200, call.Redirect{From: "http://127.0.0.1/x", To: "http://127.0.0.1/login"}), "", Warn, "(the request was for /x)", ""},
		{"forgery accepted without a redirect, the genuine one redirected", forged, answer(200), "", Fail, "ACCEPTED", "http://127.0.0.1/v2/x"},
		{"forgery accepted after a trailing-slash redirect, the genuine one not", forged, answer(200, call.Redirect{From: "http://127.0.0.1/x", To: "http://127.0.0.1/x/"}), "", Fail, "ACCEPTED", "http://127.0.0.1/x"},
		{"forgery redirected to another origin", forged, answer(200, call.Redirect{From: "http://127.0.0.1/x", To: "http://127.0.0.2/login", AuthorizationDropped: true}), "", Inconclusive, "redirected to another origin", ""},
		{"no_token redirected to an SSO login page", Case{Name: CaseNoToken}, answer(200, call.Redirect{From: "http://127.0.0.1/x", To: "https://sso.example/login"}), "", Inconclusive, "redirected to another origin, https://sso.example/login", ""},
		{"forgery in a redirect loop", forged, loop(), "", Inconclusive, "too many redirects", ""},
		{"genuine in a redirect loop", genuine, loop(), "", Fail, "too many redirects", ""},
		{"forgery answered 200 with a body cut short", forged, incomplete(), "", Unanswered, "body could not be read to the end (timed out", ""},
		{"genuine redirected to another origin", genuine, answer(200, call.Redirect{From: "http://127.0.0.1/x", To: "http://127.0.0.2/login", AuthorizationDropped: true}), "", Fail, "without the token", ""},
		{"no answer", forged, &call.Report{Unreachable: true, Error: "connection refused"}, "", Unanswered, "no answer: connection refused", ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			var res Result
			judge(&res, tt.c, tt.rep, expectation(t, tt.expect), tt.genuineURL)
			if res.Outcome != tt.want || !strings.Contains(res.Message, tt.msg) {
				t.Errorf("outcome %s %q, want %s containing %q", res.Outcome, res.Message, tt.want, tt.msg)
			}
			if tt.rep.Response != nil && res.BackendSaid != "Invalid token" {
				t.Errorf("backendSaid = %q", res.BackendSaid)
			}
		})
	}
}

// backend is an httptest API whose token check is given; it records the
// Authorization headers it saw.
type backend struct {
	mu   sync.Mutex
	seen []string
	srv  *httptest.Server
}

func newBackend(t *testing.T, check func(authorization string) int) *backend {
	b := &backend{}
	b.srv = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		a := r.Header.Get("Authorization")
		b.mu.Lock()
		b.seen = append(b.seen, a)
		b.mu.Unlock()
		status := check(a)
		w.Header().Set("Content-Type", "application/json")
		w.WriteHeader(status)
		if status == http.StatusUnauthorized {
			w.Write([]byte(`{"detail":"Invalid token"}`))
		} else {
			w.Write([]byte(`{"ok":true}`))
		}
	}))
	t.Cleanup(b.srv.Close)
	return b
}

func runProbe(t *testing.T, rt realToken, url string) *Report {
	t.Helper()
	cases, err := Forge(Inputs{Token: rt.token, Key: rt.key.Public, JWK: rt.key.Raw, AttackerSkip: "no listener in this test"})
	if err != nil {
		t.Fatal(err)
	}
	at := time.Unix(rt.Iat+60, 0)
	genuine := rt.verify(t, rt.token)
	return Run(context.Background(), Options{
		Method: "GET", URL: url, Expect: expectation(t, ""), Now: func() time.Time { return at },
		NewClient: func(log *call.RedirectLog) (*http.Client, error) {
			return httpclient.New(httpclient.Options{Timeout: 5 * time.Second, OnRedirect: log.Record})
		},
	}, cases, genuine)
}

// A backend that verifies properly (here: with baverify's own verifier)
// refuses every forgery.
func TestRunAgainstASoundBackend(t *testing.T) {
	t.Parallel()
	rt := loadReal(t, "RS256")
	at := time.Unix(rt.Iat+60, 0)
	v := &verify.Verifier{Now: func() time.Time { return at },
		Keys:   &keysource.Reader{Name: rt.JWKSPath},
		Policy: verify.Policy{Issuer: rt.Origin, Audiences: []string{rt.Origin}}}
	b := newBackend(t, func(a string) int {
		tok, ok := strings.CutPrefix(a, "Bearer ")
		if !ok || !v.Verify(context.Background(), tok).Valid {
			return http.StatusUnauthorized
		}
		return http.StatusOK
	})
	rep := runProbe(t, rt, b.srv.URL+"/api/me")
	// 38 cases (no psychic signature for RS256), of which 10 need what
	// this test does not give: a listener and the deployment's tokens.
	if !rep.OK || rep.AcceptedAny || !rep.GenuineAccepted || rep.Passed != 28 || rep.NotTested != 10 ||
		rep.Failed+rep.Warned+rep.Inconclusive+rep.Unanswered != 0 {
		t.Fatalf("report: %+v", rep)
	}
	if rep.Coverage.Sent != 28 || rep.Coverage.Total != 38 || len(rep.Coverage.NotTested) != 10 ||
		len(rep.Coverage.NotApplicable) != 1 || rep.Coverage.NotApplicable[0].Name != CasePsychicSignature {
		t.Errorf("coverage: %+v", rep.Coverage)
	}
	// 28 cases, of which 4 send several tokens: 30 + 2 + 9 + 9; and the
	// genuine token once more at the end.
	if len(b.seen) != 75 || b.seen[74] != "Bearer "+rt.token || b.seen[0] != "Bearer "+rt.token || !slices.Contains(b.seen, "") {
		t.Errorf("the backend saw %d requests; first %q", len(b.seen), b.seen[0])
	}
	if len(rep.Diagnosis) != 0 {
		t.Errorf("diagnosis for a passing genuine token: %+v", rep.Diagnosis)
	}
}

// A backend that only checks that a Bearer token is there accepts every
// forgery: each one is a failure, and the report says a forgery got in.
func TestRunAgainstABackendThatChecksNothing(t *testing.T) {
	t.Parallel()
	rt := loadReal(t, "EdDSA")
	b := newBackend(t, func(a string) int {
		if strings.HasPrefix(a, "Bearer ") {
			return http.StatusOK
		}
		return http.StatusUnauthorized
	})
	rep := runProbe(t, rt, b.srv.URL+"/api/me")
	if rep.OK || !rep.AcceptedAny || rep.Failed != 26 || rep.Passed != 2 {
		t.Fatalf("report: ok=%v accepted=%v passed=%d failed=%d", rep.OK, rep.AcceptedAny, rep.Passed, rep.Failed)
	}
	// One flaw: it takes any bearer string; every other acceptance is
	// explained by that.
	if len(rep.Causes) != 1 || rep.Causes[0].Case != CaseMalformed || len(rep.Causes[0].Explains) != 25 {
		t.Errorf("causes: %+v", rep.Causes)
	}
	for _, p := range rep.Probes {
		wantPass := p.Name == CaseGenuine || p.Name == CaseNoToken
		if (p.Outcome == Pass) != wantPass && p.Outcome != NotTested {
			t.Errorf("%s: %s %q", p.Name, p.Outcome, p.Message)
		}
	}
}

// When the genuine token is refused, the probe fails whatever the
// forgeries got, and carries the call diagnosis of the refusal.
func TestRunGenuineRefused(t *testing.T) {
	t.Parallel()
	rt := loadReal(t, "ES256")
	b := newBackend(t, func(string) int { return http.StatusUnauthorized })
	rep := runProbe(t, rt, b.srv.URL+"/api/me")
	if rep.OK || rep.AcceptedAny || rep.GenuineAccepted || rep.Failed != 1 || rep.Inconclusive != 28 || rep.Probes[0].Outcome != Fail {
		t.Fatalf("report: %+v", rep)
	}
	if len(rep.Diagnosis) == 0 || rep.Diagnosis[0].Code != call.CodeRejectedValid {
		t.Errorf("diagnosis: %+v", rep.Diagnosis)
	}
}

func TestRunUnreachable(t *testing.T) {
	t.Parallel()
	rt := loadReal(t, "EdDSA")
	b := newBackend(t, func(string) int { return 200 })
	url := b.srv.URL
	b.srv.Close()
	rep := runProbe(t, rt, url+"/api/me")
	if rep.OK || rep.Unanswered != 1 || rep.Inconclusive != 27 || rep.Probes[0].Outcome != Unanswered {
		t.Fatalf("report: ok=%v unanswered=%d inconclusive=%d", rep.OK, rep.Unanswered, rep.Inconclusive)
	}
}

// Cancelling stops the probe between cases; the report is not OK.
func TestRunCancelled(t *testing.T) {
	t.Parallel()
	rt := loadReal(t, "EdDSA")
	ctx, cancel := context.WithCancel(context.Background())
	b := newBackend(t, func(string) int { cancel(); return http.StatusOK })
	cases, _ := Forge(Inputs{Token: rt.token, Key: rt.key.Public})
	rep := Run(ctx, Options{Method: "GET", URL: b.srv.URL, Expect: expectation(t, ""),
		NewClient: func(log *call.RedirectLog) (*http.Client, error) { return httpclient.New(httpclient.Options{}) }}, cases, nil)
	if rep.OK || len(b.seen) != 1 {
		t.Fatalf("ok=%v after %d requests", rep.OK, len(b.seen))
	}
}

// A backend that redirects to another origin never passes on a token,
// genuine or forged; each redirect is reported.
func TestRunNeverCarriesTokensToAnotherOrigin(t *testing.T) {
	t.Parallel()
	rt := loadReal(t, "EdDSA")
	target := newBackend(t, func(string) int { return http.StatusUnauthorized })
	redirector := httptest.NewServer(http.RedirectHandler(target.srv.URL+"/elsewhere", http.StatusTemporaryRedirect))
	t.Cleanup(redirector.Close)
	rep := runProbe(t, rt, redirector.URL+"/api/me")
	target.mu.Lock()
	defer target.mu.Unlock()
	if len(target.seen) != 74 {
		t.Fatalf("the other origin got %d requests", len(target.seen))
	}
	for i, a := range target.seen {
		if a != "" {
			t.Errorf("request %d carried Authorization %q to another origin", i, a)
		}
	}
	for _, p := range rep.Probes {
		if p.Outcome == NotTested {
			continue
		}
		if len(p.Redirects) != 1 || p.Redirects[0].AuthorizationDropped != (p.Name != CaseNoToken) {
			t.Errorf("%s: redirects %+v", p.Name, p.Redirects)
		}
	}
}

// The genuine request goes first and alone; the forgeries go at most
// Concurrency at a time; the report keeps the case order.
func TestRunConcurrency(t *testing.T) {
	t.Parallel()
	rt := loadReal(t, "EdDSA")
	var mu sync.Mutex
	inFlight, most, n := 0, 0, 0
	var firstAlone bool
	release := make(chan struct{})
	b := newBackend(t, func(a string) int {
		mu.Lock()
		n++
		me := n
		if n == 1 {
			firstAlone = a == "Bearer "+rt.token && inFlight == 0
		}
		inFlight++
		most = max(most, inFlight)
		mu.Unlock()
		if me > 1 {
			select {
			case <-release:
			case <-time.After(50 * time.Millisecond):
			}
		}
		mu.Lock()
		inFlight--
		mu.Unlock()
		return http.StatusUnauthorized
	})
	cases, err := Forge(Inputs{Token: rt.token, Key: rt.key.Public, JWK: rt.key.Raw, AttackerSkip: "x"})
	if err != nil {
		t.Fatal(err)
	}
	rep := Run(context.Background(), Options{Method: "GET", URL: b.srv.URL, Expect: expectation(t, "401"), Concurrency: 3,
		NewClient: func(log *call.RedirectLog) (*http.Client, error) { return httpclient.New(httpclient.Options{}) }}, cases, nil)
	close(release)
	if !firstAlone || most != 3 {
		t.Errorf("genuine first and alone: %v; most in flight %d, want 3", firstAlone, most)
	}
	var names []string
	for _, p := range rep.Probes {
		names = append(names, p.Name)
	}
	var want []string
	for _, c := range cases {
		if c.NotApplicable == "" {
			want = append(want, c.Name)
		}
	}
	if strings.Join(names, " ") != strings.Join(want, " ") {
		t.Errorf("order: %v", names)
	}
}

// A genuine request that gets no answer stops the probe after one
// timeout: nothing else is sent.
func TestRunStopsWhenTheGenuineRequestIsUnanswered(t *testing.T) {
	t.Parallel()
	rt := loadReal(t, "EdDSA")
	var mu sync.Mutex
	hits := 0
	stall := make(chan struct{})
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		mu.Lock()
		hits++
		mu.Unlock()
		<-stall
	}))
	t.Cleanup(srv.Close)
	t.Cleanup(func() { close(stall) }) // runs first: the server cannot close while a handler stalls
	cases, _ := Forge(Inputs{Token: rt.token, AttackerSkip: "x"})
	start := time.Now()
	rep := Run(context.Background(), Options{Method: "GET", URL: srv.URL, Expect: expectation(t, ""),
		NewClient: func(log *call.RedirectLog) (*http.Client, error) {
			return httpclient.New(httpclient.Options{Timeout: 300 * time.Millisecond})
		}}, cases, nil)
	mu.Lock()
	defer mu.Unlock()
	if hits != 1 || rep.Probes[0].Outcome != Unanswered || rep.Unanswered != 1 || rep.OK {
		t.Fatalf("%d requests, genuine %s, unanswered %d", hits, rep.Probes[0].Outcome, rep.Unanswered)
	}
	if d := time.Since(start); d > 2*time.Second {
		t.Errorf("took %s for a 300ms timeout", d)
	}
}

// A backend that follows jku fetches from the listener: the case fails
// with its own finding, even though the forgery is then refused.
func TestRunReportsListenerFetches(t *testing.T) {
	t.Parallel()
	rt, a, l := startTestListener(t, "EdDSA")
	defer l.Close()
	b := newBackend(t, func(auth string) int {
		tok, _ := strings.CutPrefix(auth, "Bearer ")
		if tok == rt.token {
			return http.StatusOK
		}
		if h, _, err := decodeHeader(tok); err == nil {
			if jku, ok := h["jku"].(string); ok {
				resp, err := http.Get(jku)
				if err == nil {
					resp.Body.Close()
				}
			}
		}
		return http.StatusUnauthorized
	})
	// Anyone else who reaches the listener, without this run's secret, is
	// no finding.
	if resp, err := http.Get(l.URL + PathJKU); err == nil {
		resp.Body.Close()
	}
	cases, err := Forge(Inputs{Token: rt.token, Key: rt.key.Public, JWK: rt.key.Raw, Attacker: a, AttackerURL: l.Base()})
	if err != nil {
		t.Fatal(err)
	}
	rep := Run(context.Background(), Options{Method: "GET", URL: b.srv.URL, Expect: expectation(t, ""), Listener: l,
		NewClient: func(log *call.RedirectLog) (*http.Client, error) { return httpclient.New(httpclient.Options{}) }}, cases, nil)
	if rep.OK || rep.AcceptedAny || !rep.FetchedFromToken || rep.Failed != 1 || rep.Attacker == nil || len(rep.Attacker.Fetches) != 1 ||
		rep.Attacker.Ignored != 1 {
		t.Fatalf("report: ok=%v accepted=%v fetched=%v failed=%d attacker=%+v", rep.OK, rep.AcceptedAny, rep.FetchedFromToken, rep.Failed, rep.Attacker)
	}
	f := rep.Attacker.Fetches[0]
	if f.Case != CaseJKU || f.Path != PathJKU || !strings.HasPrefix(f.UserAgent, "Go-http-client") {
		t.Errorf("fetch: %+v", f)
	}
	for _, p := range rep.Probes {
		if p.Name == CaseJKU && (p.Outcome != Fail || !strings.Contains(p.Message, "FETCHED /jku_header/jwks.json") || p.Status != 401) {
			t.Errorf("jku_header: %s %q", p.Outcome, p.Message)
		}
	}
}

func decodeHeader(tok string) (map[string]any, string, error) {
	seg, _, _ := strings.Cut(tok, ".")
	b, err := base64.RawURLEncoding.DecodeString(seg)
	if err != nil {
		return nil, "", err
	}
	var h map[string]any
	return h, seg, json.Unmarshal(b, &h)
}
