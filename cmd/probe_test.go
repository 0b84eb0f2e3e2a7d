package cmd

import (
	"context"
	"encoding/json"
	"encoding/xml"
	"net/http"
	"net/http/httptest"
	"os"
	"regexp"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/baverify/baverify/internal/keysource"
	"github.com/baverify/baverify/internal/verify"
)

// probeBackend is an API whose token check is given; its Date header is
// the test clock, the time the probe runs at.
func probeBackend(t *testing.T, date time.Time, check func(authorization string) int) string {
	t.Helper()
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		status := check(r.Header.Get("Authorization"))
		w.Header().Set("Date", date.Format(http.TimeFormat))
		w.Header().Set("Content-Type", "application/json")
		w.WriteHeader(status)
		if status == http.StatusUnauthorized {
			w.Write([]byte(`{"detail":"Invalid token"}`))
		} else {
			w.Write([]byte(`{"sub":"me"}`))
		}
	}))
	t.Cleanup(srv.Close)
	return srv.URL
}

// probeGolden replaces the backend's URL and the attacker listener's
// port, which change on every run.
func probeGolden(out, url string) string {
	out = strings.ReplaceAll(out, url, "http://127.0.0.1:PORT")
	return listenerPort.ReplaceAllString(out, "${1}LPORT")
}

var listenerPort = regexp.MustCompile(`(listener  http://127\.0\.0\.1:)\d+`)

// soundCheck verifies like a correct backend, at the real token's time.
func soundCheck(rt realToken, at time.Time) func(string) int {
	v := &verify.Verifier{Now: func() time.Time { return at }, Keys: &keysource.Reader{Name: rt.JWKSPath},
		Policy: verify.Policy{Issuer: rt.Origin, Audiences: []string{rt.Origin}}}
	return func(a string) int {
		tok, ok := strings.CutPrefix(a, "Bearer ")
		if !ok {
			return http.StatusForbidden
		}
		if !v.Verify(context.Background(), tok).Valid {
			return http.StatusUnauthorized
		}
		return http.StatusOK
	}
}

// presenceCheck is the bug: any Bearer token will do.
func presenceCheck(a string) int {
	if strings.HasPrefix(a, "Bearer ") {
		return http.StatusOK
	}
	return http.StatusUnauthorized
}

func TestProbeText(t *testing.T) {
	t.Parallel()
	rt := loadReal(t, "EdDSA")
	at := time.Unix(rt.Iat+60, 0).UTC()
	for _, tc := range []struct {
		golden string
		check  func(string) int
		code   int
	}{
		{"probe_sound.txt", soundCheck(rt, at), ExitOK},
		{"probe_fooled.txt", presenceCheck, ExitNegative},
		{"probe_genuine_refused.txt", func(string) int { return http.StatusUnauthorized }, ExitNegative},
	} {
		t.Run(tc.golden, func(t *testing.T) {
			t.Parallel()
			url := probeBackend(t, at, tc.check)
			r := run(t, runConfig{now: at}, "probe", "--jwks", rt.JWKSPath, "--issuer", rt.Origin, "--audience", rt.Origin,
				"--token", rt.Token, url+"/api/me")
			if r.code != tc.code {
				t.Fatalf("exit %d, want %d\n%s\n%s", r.code, tc.code, r.stdout, r.stderr)
			}
			golden(t, tc.golden, probeGolden(r.stdout, url))
		})
	}
}

// A terminal gets colour; the text is the golden one once it is stripped.
func TestProbeTextColour(t *testing.T) {
	t.Parallel()
	rt := loadReal(t, "EdDSA")
	at := time.Unix(rt.Iat+60, 0).UTC()
	url := probeBackend(t, at, soundCheck(rt, at))
	args := []string{"probe", "--jwks", rt.JWKSPath, "--issuer", rt.Origin, "--audience", rt.Origin, "--token", rt.Token, url + "/api/me"}
	r := run(t, runConfig{now: at, tty: true}, args...)
	if !ansi.MatchString(r.stdout) {
		t.Fatal("no colour on a terminal")
	}
	golden(t, "probe_sound.txt", probeGolden(stripANSI(r.stdout), url))
	r = run(t, runConfig{now: at, tty: true, env: map[string]string{"NO_COLOR": "1"}}, args...)
	if ansi.MatchString(r.stdout) {
		t.Fatal("colour with NO_COLOR set")
	}
}

func TestProbeJSON(t *testing.T) {
	t.Parallel()
	rt := loadReal(t, "ES256")
	at := time.Unix(rt.Iat+60, 0).UTC()
	url := probeBackend(t, at, presenceCheck)
	r := run(t, runConfig{now: at}, "probe", "-o", "json", "--jwks", rt.JWKSPath, "--token", rt.Token, url+"/api/me")
	if r.code != ExitNegative {
		t.Fatalf("exit %d\n%s", r.code, r.stderr)
	}
	var out map[string]json.RawMessage
	if err := json.Unmarshal([]byte(r.stdout), &out); err != nil {
		t.Fatal(err)
	}
	for _, field := range []string{"method", "url", "token", "probes", "diagnosis", "coverage", "attacker", "passed", "failed", "warned",
		"inconclusive", "notTested", "unanswered", "ok", "forgeryAccepted", "genuineAccepted", "fetchedFromToken", "strict", "requireAll"} {
		if _, ok := out[field]; !ok {
			t.Errorf("no %q in %s", field, r.stdout)
		}
	}
	var probes []map[string]any
	// An ES256 token: every one of the 39 cases applies, and each is listed.
	if err := json.Unmarshal(out["probes"], &probes); err != nil || len(probes) != 39 {
		t.Fatalf("probes: %v %s", err, out["probes"])
	}
	for _, field := range []string{"name", "attack", "expect", "status", "latencyMs", "outcome", "message", "redirects"} {
		if _, ok := probes[0][field]; !ok {
			t.Errorf("no %q in a probe: %v", field, probes[0])
		}
	}
	if probes[3]["name"] != "signature_tampered" || probes[3]["outcome"] != "fail" || probes[3]["expect"] != "401,403" {
		t.Errorf("signature_tampered: %v", probes[3])
	}
	// The forged and genuine tokens never appear whole in the output.
	if strings.Contains(r.stdout, rt.Token) {
		t.Error("the genuine token is in the output")
	}
}

func TestProbeRefusesAnInvalidToken(t *testing.T) {
	t.Parallel()
	rt := loadReal(t, "EdDSA")
	after := time.Unix(rt.Exp+1, 0).UTC()
	var hits atomic.Int32
	url := probeBackend(t, after, func(string) int { hits.Add(1); return 200 })
	r := run(t, runConfig{now: after}, "probe", "--jwks", rt.JWKSPath, "--token", rt.Token, url)
	if r.code != ExitNegative || !strings.Contains(r.stdout, "Result: NOT RUN") || !strings.Contains(r.stdout, "expired") || hits.Load() != 0 {
		t.Fatalf("exit %d, %d requests\n%s", r.code, hits.Load(), r.stdout)
	}
	r = run(t, runConfig{now: after}, "probe", "-o", "json", "--jwks", rt.JWKSPath, "--token", rt.Token, url)
	if !strings.Contains(r.stdout, `"notRun":`) || hits.Load() != 0 {
		t.Fatalf("JSON: %s", r.stdout)
	}
}

func TestProbeUsage(t *testing.T) {
	t.Parallel()
	rt := loadReal(t, "EdDSA")
	for _, tc := range []struct {
		name string
		args []string
		want string
	}{
		{"no token", []string{"probe", "http://127.0.0.1:1/x"}, "no token"},
		{"no URL", []string{"probe"}, "missing URL"},
		{"own Authorization", []string{"probe", "--token", rt.Token, "-H", "Authorization: Bearer x", "http://127.0.0.1:1/x"}, "sets Authorization itself"},
		{"two token sources", []string{"probe", "--token", rt.Token, "--login", "http://127.0.0.1:1/x"}, "one way"},
		{"a password in a flag", []string{"probe", "--token", rt.Token, "--password", "hunter2", "http://127.0.0.1:1/x"}, "never put a password in a flag"},
		{"email without login", []string{"probe", "--token", rt.Token, "--email", "a@b.c", "http://127.0.0.1:1/x"}, "go with --login"},
		{"bad expect-status", []string{"probe", "--token", rt.Token, "--expect-status", "abc", "http://127.0.0.1:1/x"}, "--expect-status"},
		{"not a URL", []string{"probe", "--token", rt.Token, "ftp://x"}, "http"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			r := run(t, runConfig{}, tc.args...)
			if r.code != ExitUsage || !strings.Contains(r.stderr, tc.want) {
				t.Fatalf("exit %d, stderr %q, want %q", r.code, r.stderr, tc.want)
			}
		})
	}
}

func TestProbeUnreachable(t *testing.T) {
	t.Parallel()
	rt := loadReal(t, "EdDSA")
	at := time.Unix(rt.Iat+60, 0).UTC()
	r := run(t, runConfig{now: at}, "probe", "--timeout", "2s", "--jwks", rt.JWKSPath, "--token", rt.Token, closedURL(t))
	if r.code != ExitUnavailable || !strings.Contains(r.stdout, "COULD NOT CHECK") ||
		!strings.Contains(r.stdout, "[ ?? ] 33 more cases not sent: the genuine request got no answer") || strings.Contains(r.stdout, "no_token") {
		t.Fatalf("exit %d\n%s\n%s", r.code, r.stdout, r.stderr)
	}
}

// A JWKS that cannot be read does not let an invalid token through: an
// expired token is not probed with, whether or not its keys could be read.
func TestProbeRefusesAnExpiredTokenWhenTheJWKSIsDown(t *testing.T) {
	t.Parallel()
	rt := loadReal(t, "EdDSA")
	after := time.Unix(rt.Exp+1, 0).UTC()
	var hits atomic.Int32
	url := probeBackend(t, after, func(string) int { hits.Add(1); return 200 })
	r := run(t, runConfig{now: after}, "probe", "--timeout", "2s", "--jwks", closedURL(t)+"/jwks", "--token", rt.Token, url)
	if r.code != ExitNegative || !strings.Contains(r.stdout, "Result: NOT RUN") || !strings.Contains(r.stdout, "expired") || hits.Load() != 0 {
		t.Fatalf("exit %d, %d requests\n%s\n%s", r.code, hits.Load(), r.stdout, r.stderr)
	}
}

// A route that redirects (307) to another path of the same origin, where
// any bearer token is accepted: the token travels with the redirect, so the
// final 2xx is the backend accepting the forgery (issue 13, item 2).
func TestProbeSameOriginRedirectIsAnAcceptance(t *testing.T) {
	t.Parallel()
	rt := loadReal(t, "EdDSA")
	at := time.Unix(rt.Iat+60, 0).UTC()
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Path == "/api/me" {
			http.Redirect(w, r, "/api/v2/me", http.StatusTemporaryRedirect)
			return
		}
		if !strings.HasPrefix(r.Header.Get("Authorization"), "Bearer ") {
			w.WriteHeader(http.StatusUnauthorized)
			return
		}
		w.Write([]byte(`{"sub":"me"}`))
	}))
	t.Cleanup(srv.Close)
	r := run(t, runConfig{now: at}, "probe", "-o", "json", "--jwks", rt.JWKSPath, "--token", rt.Token, srv.URL+"/api/me")
	var out struct {
		ForgeryAccepted bool
		Probes          []struct{ Name, Outcome string }
	}
	if err := json.Unmarshal([]byte(r.stdout), &out); err != nil {
		t.Fatalf("%v\n%s\n%s", err, r.stdout, r.stderr)
	}
	if r.code != ExitNegative || !out.ForgeryAccepted {
		t.Fatalf("exit %d, forgeryAccepted %v\n%s", r.code, out.ForgeryAccepted, r.stdout)
	}
	for _, p := range out.Probes {
		if p.Name == "signature_tampered" && p.Outcome != "fail" {
			t.Errorf("signature_tampered: %s, want fail", p.Outcome)
		}
	}
}

func TestProbeNewFlagsUsage(t *testing.T) {
	t.Parallel()
	rt := loadReal(t, "EdDSA")
	at := time.Unix(rt.Iat+60, 0).UTC()
	url := probeBackend(t, at, func(string) int { return 200 })
	base := []string{"probe", "--jwks", rt.JWKSPath, "--issuer", rt.Origin, "--audience", rt.Origin, "--token", rt.Token}
	for _, tc := range []struct {
		name string
		args []string
		want string
	}{
		{"concurrency 0", []string{"--concurrency", "0"}, "--concurrency must be between 1 and 64"},
		{"attacker URL with a query", []string{"--attacker-url", "http://x.example/?a=b"}, "--attacker-url must be an http(s) URL"},
		{"attacker URL not http", []string{"--attacker-url", "ftp://x.example"}, "--attacker-url must be an http(s) URL"},
		{"listen on every address without a URL", []string{"--attacker-listen", "0.0.0.0:0"}, "give --attacker-url"},
		{"listen address without a port", []string{"--attacker-listen", "127.0.0.1"}, "--attacker-listen: must be HOST:PORT"},
		{"an expired token that has not expired", []string{"--expired-token", rt.Token}, "--expired-token: it has not expired"},
		{"an other-audience token for the same audience", []string{"--other-audience-token", rt.Token}, "is also the genuine token's"},
		{"an expired token that is not a token", []string{"--expired-token", "abc"}, "--expired-token:"},
		{"two readers of stdin", []string{"--expired-token", "-", "--other-audience-token", "-"}, "stdin can feed only one"},
		{"a not-yet-valid token that is valid", []string{"--not-yet-valid-token", rt.Token}, "--not-yet-valid-token: it is already valid"},
		{"an other-issuer token with the same iss", []string{"--other-issuer-token", rt.Token}, "--other-issuer-token: its iss"},
		{"a negative grace", []string{"--listener-grace", "-1s"}, "--listener-grace must be between 0 and 1m"},
		{"a rotated-key wait over an hour", []string{"--rotated-key-wait", "2h", "--mint-from", "http://127.0.0.1:1"}, "--rotated-key-wait must be between 0 and 1h"},
		{"a rotated-key wait with nothing to rotate", []string{"--rotated-key-wait", "1m"}, "--rotated-key-wait needs --mint-from with a running issuer's URL"},
		{"a rotated-key wait with a keys file", []string{"--rotated-key-wait", "1m", "--mint-from", "keys.json"}, "--rotated-key-wait needs --mint-from with a running issuer's URL"},
		{"no secrets file", []string{"--hmac-secrets", "/nonexistent/secrets.txt"}, "--hmac-secrets:"},
		{"junit is for probe", nil, ""},
		{"an unknown output", []string{"-o", "xml"}, "--output must be text, json or junit"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			if tc.want == "" {
				return
			}
			r := run(t, runConfig{now: at}, append(append(append([]string{}, base...), tc.args...), url)...)
			if r.code != ExitUsage || !strings.Contains(r.stderr, tc.want) {
				t.Fatalf("exit %d, stderr %q, want %q", r.code, r.stderr, tc.want)
			}
		})
	}
	// Other commands keep text and json only.
	if r := run(t, runConfig{}, "token", "-o", "junit", rt.Token); r.code != ExitUsage || !strings.Contains(r.stderr, "text or json") {
		t.Errorf("token -o junit: exit %d, %s", r.code, r.stderr)
	}
}

// --require-all turns a case not tested into a failure.
func TestProbeRequireAll(t *testing.T) {
	t.Parallel()
	rt := loadReal(t, "EdDSA")
	at := time.Unix(rt.Iat+60, 0).UTC()
	url := probeBackend(t, at, soundCheck(rt, at))
	args := []string{"probe", "--jwks", rt.JWKSPath, "--issuer", rt.Origin, "--audience", rt.Origin, "--token", rt.Token, url}
	if r := run(t, runConfig{now: at}, args...); r.code != ExitOK {
		t.Fatalf("without --require-all: exit %d\n%s", r.code, r.stdout)
	}
	r := run(t, runConfig{now: at}, append([]string{"probe", "--require-all"}, args[1:]...)...)
	if r.code != ExitNegative || !strings.Contains(r.stdout, "Result: FAIL (34 passed, 4 not tested): --require-all, and 4 cases were not tested; not tested: expired_token, not_yet_valid_token, other_audience_token, other_issuer_token") {
		t.Fatalf("exit %d\n%s", r.code, r.stdout)
	}
}

// --output junit: a testcase per case, failures for accepted forgeries,
// skipped for cases not tested; well-formed XML.
func TestProbeJUnit(t *testing.T) {
	t.Parallel()
	rt := loadReal(t, "EdDSA")
	at := time.Unix(rt.Iat+60, 0).UTC()
	url := probeBackend(t, at, presenceCheck)
	r := run(t, runConfig{now: at}, "probe", "-o", "junit", "--jwks", rt.JWKSPath, "--issuer", rt.Origin, "--audience", rt.Origin,
		"--token", rt.Token, url+"/api/me")
	if r.code != ExitNegative {
		t.Fatalf("exit %d\n%s", r.code, r.stderr)
	}
	var doc struct {
		Suite struct {
			Tests    int `xml:"tests,attr"`
			Failures int `xml:"failures,attr"`
			Skipped  int `xml:"skipped,attr"`
			Cases    []struct {
				Name    string    `xml:"name,attr"`
				Failure *struct{} `xml:"failure"`
				Skipped *struct{} `xml:"skipped"`
			} `xml:"testcase"`
		} `xml:"testsuite"`
	}
	if err := xml.Unmarshal([]byte(r.stdout), &doc); err != nil {
		t.Fatalf("not XML: %v\n%s", err, r.stdout)
	}
	s := doc.Suite
	if s.Tests != 38 || s.Failures != 32 || s.Skipped != 4 || len(s.Cases) != 38 || s.Cases[0].Name != "genuine" || s.Cases[0].Failure != nil ||
		s.Cases[3].Failure == nil || s.Cases[37].Skipped == nil {
		t.Errorf("suite: tests %d failures %d skipped %d", s.Tests, s.Failures, s.Skipped)
	}
	golden(t, "probe_fooled.junit.xml", regexp.MustCompile(`time="[0-9.]+"`).ReplaceAllString(probeGolden(r.stdout, url), `time="T"`))
}

// Faults a real server makes but the test backends do not: a backend that
// refuses a bad token by redirecting it somewhere (a login page, here or
// on an SSO origin), by looping, or by a bare 302, and one that stalls
// after the headers. None of them accepted a forgery, and probe must not
// say it did; each case names what it saw.
func TestProbeRedirectsAndStalls(t *testing.T) {
	t.Parallel()
	rt := loadReal(t, "EdDSA")
	at := time.Unix(rt.Iat+60, 0).UTC()
	valid := soundCheck(rt, at)
	sso := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Write([]byte("please sign in"))
	}))
	t.Cleanup(sso.Close)
	stall := make(chan struct{})
	t.Cleanup(func() { close(stall) })
	for _, tc := range []struct {
		name string
		// refuse answers a request whose token is not valid.
		refuse   func(w http.ResponseWriter, r *http.Request)
		code     int
		outcomes map[string]string // case name -> outcome
		contains []string
	}{
		{name: "no_token sent to an SSO login page on another origin",
			refuse: func(w http.ResponseWriter, r *http.Request) {
				if r.Header.Get("Authorization") == "" {
					http.Redirect(w, r, sso.URL+"/login", http.StatusFound)
					return
				}
				w.WriteHeader(http.StatusUnauthorized)
			},
			code:     ExitNegative,
			outcomes: map[string]string{"no_token": "inconclusive", "signature_tampered": "pass"},
			contains: []string{"redirected to another origin: " + sso.URL + "/login", "Result: INCONCLUSIVE"}},
		{name: "every bad token sent to a login page on the same origin",
			refuse: func(w http.ResponseWriter, r *http.Request) {
				http.Redirect(w, r, "/login?next=/api/me", http.StatusFound)
			},
			code:     ExitOK,
			outcomes: map[string]string{"no_token": "warn", "signature_tampered": "warn", "alg_none": "warn"},
			contains: []string{"redirected to /login?next=/api/me (the genuine request was not): a login page, not an acceptance?",
				"      redirected to PROBE/login?next=/api/me", "Result: PASS with warnings"}},
		{name: "a redirect loop",
			refuse: func(w http.ResponseWriter, r *http.Request) {
				http.Redirect(w, r, map[string]string{"/api/me": "/api/me/", "/api/me/": "/api/me"}[r.URL.Path], http.StatusFound)
			},
			code:     ExitNegative,
			outcomes: map[string]string{"no_token": "inconclusive", "signature_tampered": "inconclusive"},
			contains: []string{"too many redirects (a loop?)", "Result: INCONCLUSIVE"}},
		{name: "a 302 without a Location",
			refuse: func(w http.ResponseWriter, r *http.Request) { w.WriteHeader(http.StatusFound) },
			code:   ExitOK, outcomes: map[string]string{"no_token": "warn", "signature_tampered": "warn"},
			contains: []string{"answered 302 to a forged token: neither accepted nor refused", "Result: PASS with warnings"}},
		{name: "a 200 whose body never ends",
			refuse: func(w http.ResponseWriter, r *http.Request) {
				w.Header().Set("Content-Length", "100")
				w.WriteHeader(http.StatusOK)
				w.Write([]byte(`{"sub":`))
				w.(http.Flusher).Flush()
				select {
				case <-stall:
				case <-r.Context().Done():
				}
			},
			code:     ExitUnavailable,
			outcomes: map[string]string{"no_token": "unanswered", "signature_tampered": "unanswered"},
			contains: []string{"no complete answer: HTTP 200, but the body could not be read to the end", "Result: COULD NOT CHECK"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
				if r.URL.Path == "/api/me" && valid(r.Header.Get("Authorization")) == http.StatusOK {
					w.Write([]byte(`{"sub":"me"}`))
					return
				}
				if r.URL.Path == "/login" {
					w.Write([]byte("please sign in"))
					return
				}
				tc.refuse(w, r)
			}))
			t.Cleanup(srv.Close)
			args := []string{"probe", "--timeout", "1s", "--jwks", rt.JWKSPath, "--token", rt.Token, srv.URL + "/api/me"}
			text := run(t, runConfig{now: at}, args...)
			out := strings.ReplaceAll(text.stdout, srv.URL, "PROBE")
			for _, want := range tc.contains {
				if !strings.Contains(out, want) {
					t.Errorf("text lacks %q", want)
				}
			}
			if text.code != tc.code || strings.Contains(out, "ACCEPTED") {
				t.Errorf("exit %d, want %d", text.code, tc.code)
			}
			r := run(t, runConfig{now: at}, append([]string{"probe", "-o", "json"}, args[1:]...)...)
			var rep struct {
				ForgeryAccepted bool
				Probes          []struct{ Name, Outcome string }
			}
			if err := json.Unmarshal([]byte(r.stdout), &rep); err != nil {
				t.Fatalf("%v\n%s\n%s", err, r.stdout, r.stderr)
			}
			if rep.ForgeryAccepted || r.code != tc.code {
				t.Errorf("json: exit %d, forgeryAccepted %v", r.code, rep.ForgeryAccepted)
			}
			for _, p := range rep.Probes {
				if want, ok := tc.outcomes[p.Name]; ok && p.Outcome != want {
					t.Errorf("%s: %s, want %s", p.Name, p.Outcome, want)
				}
			}
			if t.Failed() {
				t.Logf("text:\n%s", out)
			}
		})
	}
}

// --hmac-secrets: one secret a line, # comments and blank lines skipped;
// each is named by its line, never by its value.
func TestReadSecrets(t *testing.T) {
	t.Parallel()
	path := t.TempDir() + "/secrets.txt"
	if err := os.WriteFile(path, []byte("# leaked ones\nhunter2\n\nmy-real-secret\r\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	got, err := readSecrets(path)
	if err != nil || len(got) != 2 || string(got[0].Value) != "hunter2" || got[0].Label != "line 2 of --hmac-secrets" ||
		string(got[1].Value) != "my-real-secret" || got[1].Label != "line 4 of --hmac-secrets" {
		t.Fatalf("%v %+v", err, got)
	}
	if err := os.WriteFile(path, []byte(strings.Repeat("x\n", 1001)), 0o600); err != nil {
		t.Fatal(err)
	}
	if _, err := readSecrets(path); err == nil || !strings.Contains(err.Error(), "at most 1000") {
		t.Errorf("1001 secrets: %v", err)
	}
}
