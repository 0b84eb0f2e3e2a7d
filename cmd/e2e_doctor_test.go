package cmd

import (
	"context"
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"net/http/httputil"
	"net/url"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/baverify/baverify/internal/testenv"
)

// doctorOutput is the part of `doctor -o json` the tests read.
type doctorOutput struct {
	Verdict string
	Summary struct {
		Checks, Passed, Warned, Failed, CouldNotCheck, NotRun, Skipped int
	}
	Steps []struct {
		ID, Status, Backend string
		Checks              []struct {
			ID, Status, Message, Hint string
			Evidence                  []string
		}
	}
	Findings []struct {
		Step, Check, Backend, Status, Message, Hint string
	}
}

// status is "step/check=status" of every check, in order.
func (d doctorOutput) statuses() map[string]string {
	out := map[string]string{}
	for _, s := range d.Steps {
		for _, c := range s.Checks {
			key := s.ID + "/" + c.ID
			if s.Backend != "" {
				key = s.Backend + "/" + c.ID
			}
			out[key] = c.Status
		}
	}
	return out
}

// check is everything one check says.
func (d doctorOutput) check(id string) string {
	for _, s := range d.Steps {
		for _, c := range s.Checks {
			if c.ID == id {
				return c.Status + ": " + c.Message + "\n" + strings.Join(c.Evidence, "\n") + "\n" + c.Hint
			}
		}
	}
	return ""
}

func doctorJSON(t *testing.T, args ...string) (doctorOutput, testRun) {
	t.Helper()
	r := runLive(t, "", map[string]string{"BAVERIFY_PASSWORD": e2ePassword}, append([]string{"doctor", "-o", "json"}, args...)...)
	var out doctorOutput
	if err := json.Unmarshal([]byte(r.stdout), &out); err != nil {
		t.Fatalf("doctor: not JSON (%v), exit %d\nstdout:\n%s\nstderr:\n%s", err, r.code, r.stdout, r.stderr)
	}
	return out, r
}

// TestDoctorE2E runs doctor against a real Better Auth server (EdDSA, its
// default) and the real FastAPI backends.
func TestDoctorE2E(t *testing.T) {
	ba := testenv.StartBetterAuth(t, testenv.BetterAuthOptions{})
	ba.SignUp(t, e2eEmail, e2ePassword, "Alice")
	pyjwt := testenv.StartBackend(t, testenv.BackendOptions{Kind: "pyjwt", JWKSURL: ba.JWKSURL, Issuer: ba.Origin, Audience: ba.Origin})
	jose := testenv.StartBackend(t, testenv.BackendOptions{Kind: "jose", JWKSURL: ba.JWKSURL, Issuer: ba.Origin, Audience: ba.Origin})
	login := []string{"--base-url", ba.BaseURL, "--email", e2eEmail}

	t.Run("healthy deployment, PyJWT backend", func(t *testing.T) {
		out, r := doctorJSON(t, append(login, "--backend", pyjwt.URL+"/api/me", "--backend-library", "PyJWT")...)
		if r.code != ExitOK || out.Verdict != "pass" {
			t.Fatalf("exit %d, verdict %s, want 0 and pass; findings %+v", r.code, out.Verdict, out.Findings)
		}
		// Every check passed; the key's lifetime is the one Better Auth
		// does not publish, and says so.
		for k, st := range out.statuses() {
			if st != "pass" && !(k == "deployment/key_lifetime" && st == "skipped") {
				t.Errorf("%s is %s, want pass", k, st)
			}
		}
		for _, id := range []string{"jwks_fetch", "jwks_lint", "sign_in", "token_endpoint", "session_header", "verify_token_endpoint",
			"verify_session_header", "key_churn", "kid_published", "clock_skew", "iat_skew", "cors_expose_headers", "no_token", "valid_token", "library_alg"} {
			if !strings.HasPrefix(out.check(id), "pass") {
				t.Errorf("check %s: %s", id, out.check(id))
			}
		}
		if r.stderr != "" {
			t.Errorf("stderr in a pipe should be empty (no progress lines):\n%s", r.stderr)
		}
	})

	t.Run("python-jose backend cannot verify EdDSA", func(t *testing.T) {
		out, r := doctorJSON(t, append(login, "--backend", jose.URL+"/api/me", "--backend-library", "python-jose")...)
		if r.code != ExitNegative || out.Verdict != "fail" {
			t.Fatalf("exit %d, verdict %s, want 1 and fail", r.code, out.Verdict)
		}
		for _, id := range []string{"valid_token", "library_alg"} {
			c := out.check(id)
			if !strings.HasPrefix(c, "fail") || !strings.Contains(c, "python-jose") || !strings.Contains(c, "EdDSA") || !strings.Contains(c, "PyJWT with PyJWKClient") {
				t.Errorf("%s does not name python-jose/EdDSA and the fix:\n%s", id, c)
			}
		}
		if !strings.HasPrefix(out.check("no_token"), "pass") {
			t.Errorf("no_token: %s", out.check("no_token"))
		}
	})

	t.Run("a route that answers 200 without a token", func(t *testing.T) {
		out, r := doctorJSON(t, append(login, "--backend", pyjwt.URL+"/healthz")...)
		if r.code != ExitNegative || !strings.HasPrefix(out.check("no_token"), "fail") || !strings.Contains(out.check("no_token"), "NOT protected") {
			t.Fatalf("exit %d, no_token %s", r.code, out.check("no_token"))
		}
	})

	t.Run("junit validates", func(t *testing.T) {
		for _, tc := range []struct {
			backend  string
			code     int
			failures bool
		}{{pyjwt.URL + "/api/me", ExitOK, false}, {jose.URL + "/api/me", ExitNegative, true}} {
			r := runLive(t, "", map[string]string{"BAVERIFY_PASSWORD": e2ePassword}, append([]string{"doctor", "-o", "junit", "--backend", tc.backend}, login...)...)
			if r.code != tc.code {
				t.Fatalf("%s: exit %d, want %d\n%s", tc.backend, r.code, tc.code, r.stderr)
			}
			if err := testenv.ValidateJUnit([]byte(r.stdout)); err != nil {
				t.Fatalf("%s: not valid JUnit: %v\n%s", tc.backend, err, r.stdout)
			}
			if got := strings.Contains(r.stdout, "<failure "); got != tc.failures {
				t.Errorf("%s: failures in the JUnit: %v, want %v\n%s", tc.backend, got, tc.failures, r.stdout)
			}
		}
	})

	t.Run("no credentials: could not check, never pass", func(t *testing.T) {
		r := runLive(t, "", nil, "doctor", "-o", "json", "--base-url", ba.BaseURL, "--backend", pyjwt.URL+"/api/me")
		var out doctorOutput
		if err := json.Unmarshal([]byte(r.stdout), &out); err != nil {
			t.Fatal(err)
		}
		st := out.statuses()
		if r.code != ExitUnavailable || out.Verdict != "could_not_check" || st["sign_in/sign_in"] != "not_run" ||
			st["verify/verify_token_endpoint"] != "not_run" || st[pyjwt.URL+"/api/me/valid_token"] != "not_run" ||
			st[pyjwt.URL+"/api/me/no_token"] != "pass" || st["jwks/jwks_lint"] != "pass" {
			t.Fatalf("exit %d, verdict %s, statuses %v", r.code, out.Verdict, st)
		}
		if !strings.Contains(out.check("sign_in"), "--email") {
			t.Errorf("sign_in does not say what it needs: %s", out.check("sign_in"))
		}
	})

	t.Run("--probe", func(t *testing.T) {
		flawed := testenv.StartBackend(t, testenv.BackendOptions{Kind: "flawed", JWKSURL: ba.JWKSURL, Issuer: ba.Origin, Audience: ba.Origin})
		out, r := doctorJSON(t, append(login, "--probe", "--backend", pyjwt.URL+"/api/me", "--backend", flawed.URL+"/none/api/me")...)
		st := out.statuses()
		// PyJWT refuses every forgery (a warning when one makes it fail
		// with a 500 rather than refuse); the flawed route accepts alg none.
		if p := st[pyjwt.URL+"/api/me/probe"]; r.code != ExitNegative || (p != "pass" && p != "warn") || st[flawed.URL+"/none/api/me/probe"] != "fail" {
			t.Fatalf("exit %d, statuses %v", r.code, st)
		}
		if c := out.check("probe"); !strings.Contains(c, "forgery refused") {
			t.Errorf("the PyJWT probe: %s", c)
		}
		for _, f := range out.Findings {
			if f.Check == "probe" && f.Backend == flawed.URL+"/none/api/me" && !strings.Contains(f.Message, "ACCEPTED a forged token") {
				t.Errorf("the flawed backend's probe: %s", f.Message)
			}
		}
		// The report carries no token: not the genuine one, not a forgery.
		if jwt := regexp.MustCompile(`eyJ[A-Za-z0-9_-]{10,}\.[A-Za-z0-9_-]{10,}`).FindString(r.stdout); jwt != "" {
			t.Errorf("a token in the JSON report: %s", jwt)
		}
	})

	t.Run("a clock three minutes off", func(t *testing.T) {
		f, out, errOut := newTestFactory(t, runConfig{env: map[string]string{"BAVERIFY_PASSWORD": e2ePassword}})
		f.Now = func() time.Time { return time.Now().Add(3 * time.Minute) }
		code := Execute(context.Background(), f, append([]string{"doctor", "-o", "json"}, login...))
		var rep doctorOutput
		if err := json.Unmarshal(out.Bytes(), &rep); err != nil {
			t.Fatalf("exit %d: %v\n%s", code, err, errOut)
		}
		c := rep.check("clock_skew")
		if code != ExitOK || rep.Verdict != "pass_with_warnings" || !strings.HasPrefix(c, "warn") || !strings.Contains(c, "behind this machine's clock") || !strings.Contains(c, "NTP") {
			t.Fatalf("exit %d, verdict %s, clock_skew %s", code, rep.Verdict, c)
		}
		// No --backend: the report says no backend was checked.
		if b := rep.check("backends"); !strings.HasPrefix(b, "skipped") || !strings.Contains(b, "no --backend given") {
			t.Errorf("without --backend: backends %q", b)
		}
	})

	t.Run("a progress line per step on a terminal", func(t *testing.T) {
		f, _, errOut := newTestFactory(t, runConfig{tty: true, env: map[string]string{"BAVERIFY_PASSWORD": e2ePassword}})
		f.Now = time.Now
		code := Execute(context.Background(), f, append([]string{"doctor", "--color", "never", "--backend", pyjwt.URL + "/api/me"}, login...))
		if code != ExitOK {
			t.Fatalf("exit %d\n%s", code, errOut)
		}
		lines := strings.Split(strings.TrimSpace(errOut.String()), "\n")
		if len(lines) != 5 || !strings.HasPrefix(lines[0], "[pass] Discovery and JWKS") || !strings.HasPrefix(lines[4], "[pass] Backend ") {
			t.Errorf("progress lines:\n%s", errOut)
		}
	})
}

// TestDoctorE2EKeyChurn: a Better Auth that makes a new key whenever it
// signs (rotationInterval of a millisecond) churns keys.
func TestDoctorE2EKeyChurn(t *testing.T) {
	ba := testenv.StartBetterAuth(t, testenv.BetterAuthOptions{RotationIntervalMs: 1})
	ba.SignUp(t, e2eEmail, e2ePassword, "Alice")
	out, r := doctorJSON(t, "--base-url", ba.BaseURL, "--email", e2eEmail)
	c := out.check("key_churn")
	if r.code != ExitNegative || !strings.HasPrefix(c, "fail") || !strings.Contains(c, "rotationInterval") {
		t.Fatalf("exit %d, key_churn %s", r.code, c)
	}
	// The tokens themselves verify: the JWKS is fetched again after they
	// were minted, as a backend does on an unknown kid.
	if !strings.HasPrefix(out.check("verify_token_endpoint"), "pass") || !strings.HasPrefix(out.check("kid_published"), "pass") {
		t.Errorf("verify %s\nkid_published %s", out.check("verify_token_endpoint"), out.check("kid_published"))
	}
}

// TestDoctorE2ECORS: a CORS layer that replaces Better Auth's
// Access-Control-Expose-Headers hides set-auth-jwt from the browser app.
func TestDoctorE2ECORS(t *testing.T) {
	const app = "http://localhost:5173"
	ba := testenv.StartBetterAuth(t, testenv.BetterAuthOptions{CORS: &testenv.CORSOptions{Origins: []string{app}, ExposeHeaders: []string{"X-Request-Id"}}})
	ba.SignUp(t, e2eEmail, e2ePassword, "Alice")
	args := []string{"--base-url", ba.BaseURL, "--email", e2eEmail, "--origin", app}
	out, r := doctorJSON(t, args...)
	c := out.check("cors_expose_headers")
	if r.code != ExitOK || out.Verdict != "pass_with_warnings" || !strings.HasPrefix(c, "warn") || !strings.Contains(c, "X-Request-Id") || !strings.Contains(c, "exposeHeaders") {
		t.Fatalf("exit %d, verdict %s, cors_expose_headers %s", r.code, out.Verdict, c)
	}
	if !strings.HasPrefix(out.check("cors_allow_origin"), "pass") {
		t.Errorf("cors_allow_origin: %s", out.check("cors_allow_origin"))
	}
	if _, r := doctorJSON(t, append(args, "--strict")...); r.code != ExitNegative {
		t.Errorf("--strict: exit %d, want 1", r.code)
	}
}

// TestDoctorE2EForeignJWKS: a proxy in front of Better Auth serves another
// deployment's JWKS (a fault of the path, not of Better Auth: a CDN or
// route serving another key store). The token's kid is absent while the
// JWKS answers with a key the token did not use.
func TestDoctorE2EForeignJWKS(t *testing.T) {
	ba := testenv.StartBetterAuth(t, testenv.BetterAuthOptions{})
	other := testenv.StartBetterAuth(t, testenv.BetterAuthOptions{})
	ba.SignUp(t, e2eEmail, e2ePassword, "Alice")
	to, _ := url.Parse(ba.Origin)
	from, _ := url.Parse(other.Origin)
	own, foreign := httputil.NewSingleHostReverseProxy(to), httputil.NewSingleHostReverseProxy(from)
	proxy := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Path == "/api/auth/jwks" {
			foreign.ServeHTTP(w, r)
			return
		}
		if r.Header.Get("Origin") != "" {
			r.Header.Set("Origin", ba.Origin) // the proxy speaks for the deployment
		}
		own.ServeHTTP(w, r)
	}))
	t.Cleanup(proxy.Close)
	out, r := doctorJSON(t, "--base-url", proxy.URL, "--email", e2eEmail, "--issuer", ba.Origin, "--audience", ba.Origin)
	c := out.check("kid_published")
	if r.code != ExitNegative || !strings.HasPrefix(c, "fail") || !strings.Contains(c, "but not the token's kid") || !strings.Contains(c, "another key store") {
		t.Fatalf("exit %d, kid_published %s", r.code, c)
	}
	if v := out.check("verify_token_endpoint"); !strings.HasPrefix(v, "fail") || !strings.Contains(v, "not in the JWKS") {
		t.Errorf("verify_token_endpoint: %s", v)
	}
}
