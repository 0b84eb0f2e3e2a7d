package cmd

import (
	"context"
	"encoding/json"
	"errors"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/spf13/cobra"

	"github.com/baverify/baverify/internal/httpclient"
)

func TestLoginFlagParsing(t *testing.T) {
	for _, tc := range []struct {
		name  string
		args  []string
		check func(t *testing.T, c *cobra.Command, o *loginOptions)
	}{
		{"flags", []string{"--base-url", "https://app.example.com", "--email", "a@example.com", "--password-stdin", "--timeout", "3s", "-o", "json"},
			func(t *testing.T, _ *cobra.Command, o *loginOptions) {
				if o.baseURL != "https://app.example.com" || o.login.email != "a@example.com" || !o.login.passwordStdin ||
					o.net.timeout != 3*time.Second || !o.out.json() {
					t.Fatalf("%+v", o)
				}
			}},
		{"the hidden --password is parsed only to be refused", []string{"--password", "hunter2"},
			func(t *testing.T, c *cobra.Command, o *loginOptions) {
				if !c.Flags().Changed("password") || !c.Flags().Lookup("password").Hidden {
					t.Fatal("--password must exist, hidden, so that it can be refused with a clear message")
				}
			}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			f, _, _ := newTestFactory(t, runConfig{})
			var got *loginOptions
			var cmd *cobra.Command
			c := newLoginCmdWith(f, func(c *cobra.Command, o *loginOptions) error { cmd, got = c, o; return nil })
			c.SetArgs(append([]string{}, tc.args...))
			if err := c.Execute(); err != nil {
				t.Fatal(err)
			}
			tc.check(t, cmd, got)
		})
	}
}

// fakeBetterAuth answers the three routes of the sign-in flow; tokenStatus
// picks the /token answer. The real server is in the end-to-end tests;
// this one makes the faults a real one cannot be configured into.
type fakeBetterAuth struct {
	token       string
	tokenStatus int // 0 = 200
	mu          sync.Mutex
	origins     []string
}

func (b *fakeBetterAuth) start(t *testing.T) *httptest.Server {
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "application/json")
		switch r.URL.Path {
		case "/api/auth/sign-in/email":
			b.mu.Lock()
			b.origins = append(b.origins, r.Header.Get("Origin"))
			b.mu.Unlock()
			var body map[string]string
			_ = json.NewDecoder(r.Body).Decode(&body)
			if body["password"] != "correct horse" {
				w.WriteHeader(401)
				_, _ = io.WriteString(w, `{"message":"Invalid email or password","code":"INVALID_EMAIL_OR_PASSWORD"}`)
				return
			}
			http.SetCookie(w, &http.Cookie{Name: "better-auth.session_token", Value: "s", Path: "/"})
			_, _ = io.WriteString(w, `{"token":"session","user":{"id":"u1","email":"`+body["email"]+`"}}`)
		case "/api/auth/token":
			switch b.tokenStatus {
			case 0:
				_, _ = io.WriteString(w, `{"token":"`+b.token+`"}`)
			case 404:
				w.WriteHeader(404)
			default:
				w.WriteHeader(b.tokenStatus)
				_, _ = io.WriteString(w, `{"message":"Failed to decrypt private key"}`)
			}
		case "/api/auth/get-session":
			if b.tokenStatus >= 500 {
				w.WriteHeader(b.tokenStatus)
				return
			}
			_, _ = io.WriteString(w, `null`)
		default:
			w.WriteHeader(404)
		}
	}))
	t.Cleanup(srv.Close)
	return srv
}

func closedURL(t *testing.T) string {
	t.Helper()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := l.Addr().String()
	l.Close()
	return "http://" + addr
}

func TestLoginRun(t *testing.T) {
	rt := loadReal(t, "EdDSA")
	good := (&fakeBetterAuth{token: rt.Token}).start(t)
	noPlugin := (&fakeBetterAuth{tokenStatus: 404}).start(t)
	cannotSign := (&fakeBetterAuth{tokenStatus: 500}).start(t)
	down := closedURL(t)
	creds := map[string]string{"BAVERIFY_PASSWORD": "correct horse"}

	for _, tty := range []bool{false, true} {
		for _, tc := range []struct {
			name   string
			env    map[string]string
			stdin  string
			args   []string
			code   int
			stdout string   // exact, when set
			stderr []string // substrings
		}{
			{name: "password from stdin", stdin: "correct horse\n", args: []string{"--base-url", good.URL, "--email", "alice@example.com", "--password-stdin"},
				code: 0, stdout: rt.Token + "\n", stderr: []string{"signed in", good.URL, "alice@example.com", "/api/auth/token"}},
			{name: "everything from the environment", env: map[string]string{"BAVERIFY_PASSWORD": "correct horse", "BAVERIFY_EMAIL": "alice@example.com", "BAVERIFY_BASE_URL": good.URL},
				code: 0, stdout: rt.Token + "\n"},
			{name: "wrong password", stdin: "wrong\n", args: []string{"--base-url", good.URL, "--email", "alice@example.com", "--password-stdin"},
				code: 1, stdout: "", stderr: []string{"Invalid email or password", "INVALID_EMAIL_OR_PASSWORD", "hint:"}},
			{name: "no jwt plugin", env: creds, args: []string{"--base-url", noPlugin.URL, "--email", "a@example.com"},
				code: 1, stdout: "", stderr: []string{"enable the jwt() plugin"}},
			{name: "Better Auth cannot sign", env: creds, args: []string{"--base-url", cannotSign.URL, "--email", "a@example.com"},
				code: 1, stdout: "", stderr: []string{"could not sign", "BETTER_AUTH_SECRET", "Failed to decrypt private key"}},
			{name: "unreachable", env: creds, args: []string{"--base-url", down, "--email", "a@example.com"},
				code: 3, stdout: "", stderr: []string{"could not reach Better Auth"}},
			{name: "a password flag is refused", args: []string{"--base-url", good.URL, "--email", "a@example.com", "--password", "hunter2"},
				code: 2, stdout: "", stderr: []string{"never put a password in a flag"}},
			{name: "no password", args: []string{"--base-url", good.URL, "--email", "a@example.com"},
				code: 2, stderr: []string{"no password", "--password-stdin", "BAVERIFY_PASSWORD"}},
			{name: "empty stdin", stdin: "", args: []string{"--base-url", good.URL, "--email", "a@example.com", "--password-stdin"},
				code: 2, stderr: []string{"held no password"}},
			{name: "no email", env: creds, args: []string{"--base-url", good.URL}, code: 2, stderr: []string{"no email"}},
			{name: "no base URL", env: creds, args: []string{"--email", "a@example.com"}, code: 2, stderr: []string{"--base-url"}},
			{name: "arguments are refused", env: creds, args: []string{"--base-url", good.URL, "--email", "a@example.com", "extra"}, code: 2},
		} {
			if tty && slices.Contains(tc.args, "--password-stdin") {
				continue // a terminal cannot pipe a password: TestLoginPasswordStdinRefusesATerminal
			}
			name := tc.name
			if tty {
				name += " (terminal)"
			}
			t.Run(name, func(t *testing.T) {
				r := run(t, runConfig{env: tc.env, stdin: tc.stdin, tty: tty}, append([]string{"login"}, tc.args...)...)
				if r.code != tc.code {
					t.Fatalf("exit %d, want %d\nstdout: %s\nstderr: %s", r.code, tc.code, r.stdout, r.stderr)
				}
				if tc.stdout != "" || tc.code != 0 {
					if r.stdout != tc.stdout {
						t.Fatalf("stdout %q, want %q", r.stdout, tc.stdout)
					}
				}
				for _, s := range tc.stderr {
					if !strings.Contains(stripANSI(r.stderr), s) {
						t.Errorf("stderr does not say %q:\n%s", s, r.stderr)
					}
				}
				if strings.Contains(r.stderr, "correct horse") || strings.Contains(r.stdout, "correct horse") {
					t.Fatal("the password was printed")
				}
				if tty && tc.code == 0 && !ansi.MatchString(r.stderr) {
					t.Error("no colour on a terminal's stderr")
				}
				if ansi.MatchString(r.stdout) {
					t.Error("the token on stdout must never be styled")
				}
			})
		}
	}
}

func TestLoginPasswordStdinRefusesATerminal(t *testing.T) {
	r := run(t, runConfig{tty: true}, "login", "--base-url", "http://127.0.0.1:1", "--email", "a@example.com", "--password-stdin")
	if r.code != 2 || !strings.Contains(r.stderr, "stdin is a terminal") {
		t.Fatalf("exit %d: %s", r.code, r.stderr)
	}
}

func TestLoginSendsTheDeploymentOrigin(t *testing.T) {
	fake := &fakeBetterAuth{token: loadReal(t, "EdDSA").Token}
	srv := fake.start(t)
	r := run(t, runConfig{env: map[string]string{"BAVERIFY_PASSWORD": "correct horse"}}, "login", "--base-url", srv.URL+"/", "--email", "a@example.com")
	if r.code != 0 {
		t.Fatalf("exit %d: %s", r.code, r.stderr)
	}
	fake.mu.Lock()
	origins := append([]string(nil), fake.origins...)
	fake.mu.Unlock()
	if len(origins) != 1 || origins[0] != srv.URL {
		t.Fatalf("Origin %v, want the base URL's origin %s", origins, srv.URL)
	}
}

func TestLoginJSON(t *testing.T) {
	rt := loadReal(t, "EdDSA")
	good := (&fakeBetterAuth{token: rt.Token}).start(t)
	env := map[string]string{"BAVERIFY_PASSWORD": "correct horse"}
	r := run(t, runConfig{env: env}, "login", "-o", "json", "--base-url", good.URL, "--email", "alice@example.com")
	var ok struct {
		OK                      bool
		Token, Source, TokenURL string
		Email, UserID           string
		Error                   any
	}
	if err := json.Unmarshal([]byte(r.stdout), &ok); err != nil || r.code != 0 {
		t.Fatalf("exit %d, %v:\n%s", r.code, err, r.stdout)
	}
	if !ok.OK || ok.Token != rt.Token || ok.Source != "token endpoint" || ok.TokenURL != good.URL+"/api/auth/token" ||
		ok.Email != "alice@example.com" || ok.UserID != "u1" || ok.Error != nil {
		t.Fatalf("%+v", ok)
	}
	// Exactly the documented members, notes always there (docs/login.md),
	// and written as every other JSON report is: indented.
	if got := jsonKeys(t, r.stdout); got != "email notes ok source token tokenUrl userId" ||
		!strings.Contains(r.stdout, "\n  \"notes\": []") || !strings.HasPrefix(r.stdout, "{\n  \"ok\": true,\n") {
		t.Fatalf("success members %q:\n%s", got, r.stdout)
	}

	env["BAVERIFY_PASSWORD"] = "wrong"
	r = run(t, runConfig{env: env}, "login", "-o", "json", "--base-url", good.URL, "--email", "alice@example.com")
	var bad struct {
		OK    bool
		Token string
		Error struct {
			Kind, Code, Message, Hint string
			Status                    int
		}
	}
	if err := json.Unmarshal([]byte(r.stdout), &bad); err != nil || r.code != 1 {
		t.Fatalf("exit %d, %v:\n%s", r.code, err, r.stdout)
	}
	if bad.OK || bad.Token != "" || bad.Error.Kind != "credentials_rejected" || bad.Error.Status != 401 ||
		bad.Error.Code != "INVALID_EMAIL_OR_PASSWORD" || !strings.Contains(bad.Error.Message, "Invalid email or password") {
		t.Fatalf("%+v", bad)
	}
	if got := jsonKeys(t, r.stdout); got != "error ok" || !strings.HasPrefix(r.stdout, "{\n  \"ok\": false,\n") {
		t.Fatalf("failure members %q:\n%s", got, r.stdout)
	}
}

// jsonKeys is the sorted member names of a JSON object.
func jsonKeys(t *testing.T, s string) string {
	t.Helper()
	var m map[string]json.RawMessage
	if err := json.Unmarshal([]byte(s), &m); err != nil {
		t.Fatalf("%v:\n%s", err, s)
	}
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	slices.Sort(keys)
	return strings.Join(keys, " ")
}

// The password never leaves without a warning over plain http to a host
// that is not loopback.
func TestLoginWarnsBeforeThePasswordGoesOverPlainHTTP(t *testing.T) {
	f, _, errOut := newTestFactory(t, runConfig{env: map[string]string{"BAVERIFY_PASSWORD": "x"}})
	f.HTTPClient = func(opts httpclient.Options) (*http.Client, error) {
		return &http.Client{Transport: roundTripFunc(func(*http.Request) (*http.Response, error) {
			return nil, errors.New("no network in this test")
		})}, nil
	}
	Execute(context.Background(), f, []string{"login", "--base-url", "http://app.example.com", "--email", "a@example.com"})
	if !strings.Contains(errOut.String(), "sending the password over plain http to app.example.com") {
		t.Fatalf("no warning:\n%s", errOut)
	}
	errOut.Reset()
	Execute(context.Background(), f, []string{"login", "--base-url", "http://127.0.0.1:9", "--email", "a@example.com"})
	if strings.Contains(errOut.String(), "plain http") {
		t.Fatalf("warned for loopback:\n%s", errOut)
	}
}

// A command lists only the flags it uses: login never reads a JWKS, so it
// has no --no-cache; the commands that read one do.
func TestOnlyJWKSCommandsHaveNoCache(t *testing.T) {
	f, _, _ := newTestFactory(t, runConfig{})
	root := NewRootCmd(f)
	for _, tc := range []struct {
		name string
		want bool
	}{{"login", false}, {"token", true}, {"jwks", true}, {"call", true}, {"probe", true}} {
		c, _, err := root.Find([]string{tc.name})
		if err != nil {
			t.Fatal(err)
		}
		if got := c.Flags().Lookup("no-cache") != nil; got != tc.want {
			t.Errorf("%s has --no-cache: %v, want %v", tc.name, got, tc.want)
		}
	}
}

// On a terminal, with neither --password-stdin nor BAVERIFY_PASSWORD,
// login asks for the password with echo off (as gh and step do); the
// terminal is read only then.
func TestLoginPromptsOnATerminal(t *testing.T) {
	rt := loadReal(t, "EdDSA")
	good := (&fakeBetterAuth{token: rt.Token}).start(t)
	for _, tc := range []struct {
		name   string
		tty    bool
		env    map[string]string
		typed  string
		code   int
		asked  bool
		stderr string
	}{
		{"typed at the prompt", true, nil, "correct horse", 0, true, "Password for alice@example.com at " + good.URL + ": \n"},
		{"wrong password typed", true, nil, "wrong", 1, true, "Invalid email or password"},
		{"nothing typed", true, nil, "", 2, true, "no password typed"},
		{"BAVERIFY_PASSWORD wins over the prompt", true, map[string]string{"BAVERIFY_PASSWORD": "correct horse"}, "", 0, false, "signed in"},
		{"no terminal: no prompt", false, nil, "correct horse", 2, false, "no password"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			asked := false
			typed := func(ctx context.Context) (string, error) { asked = true; return tc.typed, nil }
			r := run(t, runConfig{tty: tc.tty, env: tc.env, typed: typed}, "login", "--base-url", good.URL, "--email", "alice@example.com")
			if r.code != tc.code || asked != tc.asked || !strings.Contains(stripANSI(r.stderr), tc.stderr) {
				t.Fatalf("exit %d (want %d), asked %v (want %v)\nstdout: %s\nstderr: %s", r.code, tc.code, asked, tc.asked, r.stdout, r.stderr)
			}
			if tc.code == 0 && r.stdout != rt.Token+"\n" {
				t.Fatalf("stdout %q", r.stdout)
			}
			if strings.Contains(r.stderr+r.stdout, "correct horse") {
				t.Fatal("the password was printed")
			}
		})
	}
	// call --login prompts the same way.
	asked := false
	typed := func(ctx context.Context) (string, error) { asked = true; return "correct horse", nil }
	r := run(t, runConfig{tty: true, typed: typed}, "call", "--login", "--base-url", good.URL, "--email", "alice@example.com", good.URL+"/api/me")
	if !asked || !strings.Contains(r.stderr, "Password for alice@example.com") {
		t.Fatalf("call --login did not prompt: exit %d\n%s", r.code, r.stderr)
	}
}
