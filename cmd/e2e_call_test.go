package cmd

import (
	"context"
	"encoding/json"
	"flag"
	"io"
	"net/http"
	"net/http/httptest"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/baverify/baverify/internal/testenv"
)

// -e2e-show logs the text output of some end-to-end call runs (the
// walkthrough in docs/backend-401.md is taken from it).
var e2eShow = flag.Bool("e2e-show", false, "log the text output of the end-to-end login and call runs")

const (
	e2eEmail    = "alice@example.com"
	e2ePassword = "correct-horse-battery"
)

// runLive runs baverify with the real clock: the servers sign and date
// their answers with it.
func runLive(t *testing.T, stdin string, env map[string]string, args ...string) testRun {
	t.Helper()
	f, out, errOut := newTestFactory(t, runConfig{stdin: stdin, env: env})
	f.Now = time.Now
	code := Execute(context.Background(), f, args)
	return testRun{code: code, stdout: out.String(), stderr: errOut.String()}
}

// callOutput is the part of `call --output json` the tests read.
type callOutput struct {
	Request struct {
		Headers map[string][]string
	}
	Response *struct {
		Status    int
		Body      json.RawMessage
		Redirects []struct {
			From, To             string
			AuthorizationDropped bool
		}
	}
	Token *struct {
		Valid  bool
		Header map[string]any
	}
	Diagnosis []struct {
		Code, Severity, Message, Hint, HowToTell string
		Evidence                                 []string
		Rank                                     int
	}
	OK bool
}

func (c callOutput) codes() []string {
	out := []string{}
	for _, d := range c.Diagnosis {
		out = append(out, d.Code)
	}
	return out
}

// text is everything a finding says.
func (c callOutput) text(code string) string {
	for _, d := range c.Diagnosis {
		if d.Code == code {
			return d.Message + "\n" + strings.Join(d.Evidence, "\n") + "\n" + d.Hint
		}
	}
	return ""
}

func callJSON(t *testing.T, env map[string]string, stdin string, args ...string) (callOutput, testRun) {
	t.Helper()
	r := runLive(t, stdin, env, append([]string{"call", "-o", "json", "--no-cache"}, args...)...)
	var out callOutput
	if err := json.Unmarshal([]byte(r.stdout), &out); err != nil {
		t.Fatalf("call: not JSON (%v), exit %d\nstdout:\n%s\nstderr:\n%s", err, r.code, r.stdout, r.stderr)
	}
	return out, r
}

// e2eLogin signs in with baverify login and checks that baverify token
// verifies what it printed.
func e2eLogin(t *testing.T, ba *testenv.BetterAuth, alg string) string {
	t.Helper()
	r := runLive(t, e2ePassword+"\n", nil, "login", "--base-url", ba.BaseURL, "--email", e2eEmail, "--password-stdin")
	if r.code != ExitOK || strings.Count(r.stdout, "\n") != 1 || !strings.Contains(r.stderr, "signed in") {
		t.Fatalf("login: exit %d\nstdout:\n%s\nstderr:\n%s", r.code, r.stdout, r.stderr)
	}
	tok := strings.TrimSuffix(r.stdout, "\n")
	v := runLive(t, "", nil, "token", "-o", "json", "--no-cache", "--base-url", ba.BaseURL, tok)
	res := decodeResult(t, v)
	if v.code != ExitOK || !res.Valid || !res.IssuerPinned || res.Header["alg"] != alg {
		t.Fatalf("token does not verify what login printed: exit %d\n%s\n%s", v.code, v.stdout, v.stderr)
	}
	return tok
}

// recordingServer is the target of a cross-origin redirect; it records the
// Authorization header of every request it receives.
type recordingServer struct {
	*httptest.Server
	mu   sync.Mutex
	auth []string
}

func newRecordingServer(t *testing.T) *recordingServer {
	rs := &recordingServer{}
	rs.Server = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		rs.mu.Lock()
		rs.auth = append(rs.auth, r.Header.Get("Authorization"))
		rs.mu.Unlock()
		w.Header().Set("Content-Type", "application/json")
		_, _ = io.WriteString(w, `{"landed":true}`)
	}))
	t.Cleanup(rs.Close)
	return rs
}

func (rs *recordingServer) received() []string {
	rs.mu.Lock()
	defer rs.mu.Unlock()
	return append([]string(nil), rs.auth...)
}

// TestE2ECallRealBackends runs login and call against a real Better Auth
// (one server per algorithm) and the real FastAPI backends of
// testdata/backends: python-jose as the FastAPI integration guides write it,
// the same with its error handling widened to 401, and PyJWT.
func TestE2ECallRealBackends(t *testing.T) {
	start := time.Now()
	t.Cleanup(func() { t.Logf("end-to-end call tests: %s", time.Since(start).Round(100*time.Millisecond)) })
	for _, alg := range []string{"EdDSA", "ES256", "ES512", "RS256", "PS256"} {
		t.Run(alg, func(t *testing.T) {
			t.Parallel()
			ba := testenv.StartBetterAuth(t, testenv.BetterAuthOptions{Alg: alg})
			ba.SignUp(t, e2eEmail, e2ePassword, "Alice")
			tok := e2eLogin(t, ba, alg)
			joseCannot := alg == "EdDSA" || alg == "PS256" // python-jose 3.3 has neither
			backend := func(t *testing.T, kind string, widen bool, audience, redirectTo string) *testenv.Backend {
				if audience == "" {
					audience = ba.Origin
				}
				return testenv.StartBackend(t, testenv.BackendOptions{Kind: kind, JWKSURL: ba.JWKSURL, Issuer: ba.Origin,
					Audience: audience, Widen: widen, RedirectTo: redirectTo})
			}
			call := func(t *testing.T, url string, extra ...string) (callOutput, testRun) {
				return callJSON(t, nil, "", append([]string{"--base-url", ba.BaseURL, "--token", tok, url}, extra...)...)
			}

			// The matrix: backend x algorithm -> status and diagnosis.
			for _, tc := range []struct {
				name   string
				kind   string
				widen  bool
				status int
				codes  []string
			}{
				{"pyjwt", "pyjwt", false, 200, []string{}},
				{"python-jose", "jose", false, pick(joseCannot, 500, 200),
					pickCodes(joseCannot, []string{"backend_error_valid_token", "alg_unsupported_by_backend", "backend_key_fetch_failed", "status_mismatch"})},
				{"python-jose widened to 401", "jose", true, pick(joseCannot, 401, 200),
					pickCodes(joseCannot, []string{"backend_rejected_valid_token", "alg_unsupported_by_backend", "status_mismatch"})},
			} {
				t.Run(tc.name, func(t *testing.T) {
					t.Parallel()
					b := backend(t, tc.kind, tc.widen, "", "")
					out, r := call(t, b.URL+"/api/me")
					if out.Response == nil || out.Response.Status != tc.status || !slices.Equal(out.codes(), tc.codes) {
						t.Fatalf("status %v, diagnosis %v; want %d %v\n%s", out.Response, out.codes(), tc.status, tc.codes, r.stdout)
					}
					wantExit := pick(tc.status == 200, ExitOK, ExitNegative)
					if r.code != wantExit || out.OK != (wantExit == ExitOK) || out.Token == nil || !out.Token.Valid {
						t.Fatalf("exit %d ok %v, want %d\n%s", r.code, out.OK, wantExit, r.stdout)
					}
					if tc.status != 200 {
						why := out.text("alg_unsupported_by_backend")
						if tokAlg(out) != alg || !strings.Contains(why, alg) || !strings.Contains(why, "python-jose") {
							t.Fatalf("the diagnosis does not name %s and python-jose:\n%s", alg, why)
						}
						if tc.status == 500 && !strings.Contains(why, "likely") {
							t.Fatalf("a 500 is evidence for a likely cause, not a certainty:\n%s", why)
						}
						if tc.status == 401 && !strings.Contains(why, "Unable to find an algorithm for key") {
							t.Fatalf("the 401 diagnosis should quote the backend:\n%s", why)
						}
					}
					if *e2eShow && tc.status != 200 {
						txt := runLive(t, "", nil, "call", "--no-cache", "--base-url", ba.BaseURL, "--token", tok, b.URL+"/api/me")
						t.Logf("baverify call (%s, %s):\n%s", tc.name, alg, txt.stdout)
					}
				})
			}

			switch alg {
			case "EdDSA":
				t.Run("another audience (pyjwt)", func(t *testing.T) {
					t.Parallel()
					b := backend(t, "pyjwt", false, "https://api.example.com", "")
					out, r := call(t, b.URL+"/api/me")
					want := []string{"backend_rejected_valid_token", "audience_differs", "status_mismatch"}
					if r.code != ExitNegative || out.Response.Status != 401 || !slices.Equal(out.codes(), want) {
						t.Fatalf("exit %d, diagnosis %v\n%s", r.code, out.codes(), r.stdout)
					}
					if aud := out.text("audience_differs"); !strings.Contains(aud, "aud") || !strings.Contains(aud, ba.Origin) || !strings.Contains(aud, "Invalid audience") {
						t.Fatalf("audience_differs:\n%s", aud)
					}
					if *e2eShow {
						txt := runLive(t, "", nil, "call", "--no-cache", "--base-url", ba.BaseURL, "--token", tok, b.URL+"/api/me")
						t.Logf("baverify call (another audience, %s):\n%s", alg, txt.stdout)
					}
				})
				t.Run("another audience, reason hidden (pyjwt)", func(t *testing.T) {
					// The backend says only "Invalid token": every cause
					// that fits is listed, the audience among them, and
					// the algorithm (PyJWT verifies EdDSA) is not claimed.
					t.Parallel()
					b := testenv.StartBackend(t, testenv.BackendOptions{Kind: "pyjwt", JWKSURL: ba.JWKSURL,
						Issuer: ba.Origin, Audience: "https://api.example.com", GenericErrors: true})
					out, r := call(t, b.URL+"/api/me")
					if r.code != ExitNegative || out.Response.Status != 401 || len(out.Diagnosis) < 4 || out.Diagnosis[0].Code != "backend_rejected_valid_token" {
						t.Fatalf("exit %d, diagnosis %v\n%s", r.code, out.codes(), r.stdout)
					}
					ranked := 0
					for _, f := range out.Diagnosis {
						if f.Rank > 0 {
							ranked++
							if !strings.Contains(f.Message, "possible cause") && !strings.Contains(f.Message, "likely cause") {
								t.Errorf("%s (rank %d) is not called a possible cause: %s", f.Code, f.Rank, f.Message)
							}
							if f.HowToTell == "" {
								t.Errorf("%s: no howToTell", f.Code)
							}
						}
					}
					if ranked < 3 || !strings.Contains(out.Diagnosis[0].Message, "names no cause") {
						t.Fatalf("%d ranked causes; main finding: %s\n%s", ranked, out.Diagnosis[0].Message, r.stdout)
					}
					if aud := out.text("audience_differs"); !strings.Contains(aud, "possible cause (1 of") || !strings.Contains(aud, ba.Origin) {
						t.Fatalf("audience_differs is not the first possible cause:\n%s\n%s", aud, r.stdout)
					}
					if alg := out.text("alg_unsupported_by_backend"); strings.Contains(alg, "likely") {
						t.Fatalf("the algorithm is claimed:\n%s", alg)
					}
					if *e2eShow {
						txt := runLive(t, "", nil, "call", "--no-cache", "--base-url", ba.BaseURL, "--token", tok, b.URL+"/api/me")
						t.Logf("baverify call (another audience, reason hidden, %s):\n%s", alg, txt.stdout)
					}
				})
				t.Run("redirect to another port", func(t *testing.T) {
					t.Parallel()
					target := newRecordingServer(t)
					b := backend(t, "pyjwt", false, "", target.URL+"/landing")
					out, r := call(t, b.URL+"/api/redirect")
					if got := target.received(); len(got) != 1 || got[0] != "" {
						t.Fatalf("the redirect target received Authorization %q", got)
					}
					if r.code != ExitOK || out.Response.Status != 200 || !slices.Equal(out.codes(), []string{"authorization_dropped_on_redirect"}) ||
						len(out.Response.Redirects) != 1 || !out.Response.Redirects[0].AuthorizationDropped || out.Response.Redirects[0].To != target.URL+"/landing" {
						t.Fatalf("exit %d, diagnosis %v, redirects %+v\n%s", r.code, out.codes(), out.Response.Redirects, r.stdout)
					}
				})
				t.Run("login failures", func(t *testing.T) {
					t.Parallel()
					r := runLive(t, "wrong-password\n", nil, "login", "--base-url", ba.BaseURL, "--email", e2eEmail, "--password-stdin")
					if r.code != ExitNegative || r.stdout != "" || !strings.Contains(r.stderr, "Invalid email or password (INVALID_EMAIL_OR_PASSWORD)") {
						t.Fatalf("wrong password: exit %d\n%s\n%s", r.code, r.stdout, r.stderr)
					}
					if *e2eShow {
						t.Logf("baverify login, wrong password (exit %d):\n%s", r.code, r.stderr)
					}
					// localhost and 127.0.0.1 are different origins: Better
					// Auth's CSRF check refuses the sign-in.
					other := strings.Replace(ba.BaseURL, "127.0.0.1", "localhost", 1)
					r = runLive(t, e2ePassword+"\n", nil, "login", "--base-url", other, "--email", e2eEmail, "--password-stdin")
					if r.code != ExitNegative || r.stdout != "" || !strings.Contains(r.stderr, "INVALID_ORIGIN") || !strings.Contains(r.stderr, "trustedOrigins") {
						t.Fatalf("untrusted origin: exit %d\n%s\n%s", r.code, r.stdout, r.stderr)
					}
					if *e2eShow {
						t.Logf("baverify login, another origin (exit %d):\n%s", r.code, r.stderr)
					}
					r = runLive(t, e2ePassword+"\n", nil, "login", "--base-url", closedURL(t), "--email", e2eEmail, "--password-stdin")
					if r.code != ExitUnavailable || !strings.Contains(r.stderr, "could not reach Better Auth") {
						t.Fatalf("unreachable: exit %d\n%s", r.code, r.stderr)
					}
				})
			case "RS256":
				t.Run("another audience (python-jose)", func(t *testing.T) {
					t.Parallel()
					b := backend(t, "jose", false, "https://api.example.com", "")
					out, r := call(t, b.URL+"/api/me")
					want := []string{"backend_rejected_valid_token", "audience_differs", "status_mismatch"}
					if r.code != ExitNegative || out.Response.Status != 401 || !slices.Equal(out.codes(), want) {
						t.Fatalf("exit %d, diagnosis %v\n%s", r.code, out.codes(), r.stdout)
					}
				})
				t.Run("anonymous calls", func(t *testing.T) {
					t.Parallel()
					b := backend(t, "pyjwt", false, "", "")
					out, r := callJSON(t, nil, "", "--no-token", "--expect-status", "401,403", b.URL+"/api/me")
					if r.code != ExitOK || out.Response.Status != 403 || out.Token != nil || !slices.Equal(out.codes(), []string{"anonymous_rejected"}) ||
						len(out.Request.Headers["Authorization"]) != 0 {
						t.Fatalf("exit %d, diagnosis %v\n%s", r.code, out.codes(), r.stdout)
					}
					// FastAPI's HTTPBearer answers 403, not 401, without a token.
					out, r = callJSON(t, nil, "", "--no-token", "--expect-status", "401", b.URL+"/api/me")
					if r.code != ExitNegative || out.Response.Status != 403 || !slices.Equal(out.codes(), []string{"anonymous_rejected", "status_mismatch"}) {
						t.Fatalf("exit %d, diagnosis %v\n%s", r.code, out.codes(), r.stdout)
					}
				})
			case "ES256":
				t.Run("call --login, and a backend that accepts what baverify refuses", func(t *testing.T) {
					t.Parallel()
					b := backend(t, "pyjwt", false, "", "")
					out, r := callJSON(t, map[string]string{"BAVERIFY_PASSWORD": e2ePassword}, "", "--login", "--base-url", ba.BaseURL, "--email", e2eEmail, b.URL+"/api/me")
					if r.code != ExitOK || out.Response.Status != 200 || out.Token == nil || !out.Token.Valid || !strings.Contains(r.stderr, "signed in") {
						t.Fatalf("call --login: exit %d\n%s\n%s", r.code, r.stdout, r.stderr)
					}
					// Evaluated 20 minutes from now the token is expired here,
					// while the backend (on the real clock) still accepts it,
					// rightly at its own time: --now moves only baverify's
					// verdict, and there is no security finding.
					later := time.Now().Add(20 * time.Minute).UTC().Format(time.RFC3339)
					out, r = call(t, b.URL+"/api/me", "--now", later)
					if r.code != ExitOK || out.Response.Status != 200 || out.Token.Valid || slices.Contains(out.codes(), "backend_accepted_invalid_token") {
						t.Fatalf("exit %d, diagnosis %v\n%s", r.code, out.codes(), r.stdout)
					}
				})
			}
		})
	}
}

func pick[T any](cond bool, a, b T) T {
	if cond {
		return a
	}
	return b
}

func pickCodes(cond bool, codes []string) []string {
	if cond {
		return codes
	}
	return []string{}
}

func tokAlg(out callOutput) string {
	if out.Token == nil {
		return ""
	}
	s, _ := out.Token.Header["alg"].(string)
	return s
}
