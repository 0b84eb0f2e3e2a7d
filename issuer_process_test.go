package main

import (
	"bytes"
	"encoding/base64"
	"encoding/json"
	"errors"
	"io"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/baverify/baverify/internal/issuer"
	"github.com/baverify/baverify/internal/testenv"
)

// startIssuer runs `baverify issuer serve -o json ARGS` (this test binary
// running main) until the test ends, and returns its ready line.
func startIssuer(t *testing.T, args ...string) issuer.Ready {
	t.Helper()
	readyc := make(chan issuer.Ready, 1)
	testenv.StartProcess(t, testenv.ProcessSpec{
		Name: "baverify issuer serve",
		Path: os.Args[0],
		Args: append([]string{"issuer", "serve", "-o", "json"}, args...),
		Env:  []string{"BAVERIFY_RUN_MAIN=1"},
		Ready: func(line string) bool {
			var r issuer.Ready
			if json.Unmarshal([]byte(line), &r) != nil || !r.Ready {
				return false
			}
			select {
			case readyc <- r:
			default:
			}
			return true
		},
	})
	return <-readyc
}

// mint runs `baverify issuer mint ARGS` and returns stdout: the token alone.
func mint(t *testing.T, args ...string) string {
	t.Helper()
	cmd := baverify(append([]string{"issuer", "mint"}, args...)...)
	var stdout, stderr bytes.Buffer
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	if err := cmd.Run(); err != nil {
		t.Fatalf("issuer mint %v: %v\n%s", args, err, stderr.String())
	}
	out := stdout.String()
	if strings.Count(out, "\n") != 1 || strings.Count(out, ".") != 2 || stderr.Len() != 0 {
		t.Fatalf("issuer mint %v: stdout is not the token alone: %q, stderr %q", args, out, stderr.String())
	}
	return strings.TrimSpace(out)
}

var direct = &http.Client{Timeout: 10 * time.Second, Transport: &http.Transport{Proxy: nil}}

func status(t *testing.T, url, tok string) int {
	t.Helper()
	req, _ := http.NewRequest("GET", url, nil)
	req.Header.Set("Authorization", "Bearer "+tok)
	resp, err := direct.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	_, _ = io.Copy(io.Discard, resp.Body)
	return resp.StatusCode
}

// tamper changes one character of the payload: the signature no longer
// matches.
func tamper(tok string) string {
	parts := strings.Split(tok, ".")
	p := []byte(parts[1])
	i := len(p) / 2
	if p[i] == 'A' {
		p[i] = 'B'
	} else {
		p[i] = 'A'
	}
	return parts[0] + "." + string(p) + "." + parts[2]
}

// The FastAPI PyJWT backend, pointed at `baverify issuer serve` as it would
// be at Better Auth, accepts a minted token and refuses every invalid kind,
// for each of the five algorithms. The tokens come from `baverify issuer
// mint` run as a user runs it.
func TestE2EIssuerServeWithPyJWTBackend(t *testing.T) {
	otherKeys := filepath.Join(t.TempDir(), "other.json")
	cmd := baverify("issuer", "keys")
	out, err := cmd.Output()
	if err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(otherKeys, out, 0o600); err != nil {
		t.Fatal(err)
	}
	for _, alg := range issuer.Algs() {
		t.Run(alg, func(t *testing.T) {
			t.Parallel()
			keysFile := filepath.Join(t.TempDir(), "keys.json")
			r := startIssuer(t, "--alg", alg, "--write-keys", keysFile)
			if r.Alg != alg || r.Issuer != strings.TrimSuffix(r.BaseURL, "/") || r.JWKSURL != r.BaseURL+"/api/auth/jwks" {
				t.Fatalf("ready line %+v", r)
			}
			b := testenv.StartBackend(t, testenv.BackendOptions{
				Kind: "pyjwt", JWKSURL: r.JWKSURL, Issuer: r.Issuer, Audience: r.Audience[0],
				Require: []string{"exp", "iss", "aud", "sub"},
			})
			api := b.URL + "/api/me"
			base := []string{"--base-url", r.BaseURL}
			valid := mint(t, base...)
			if got := status(t, api, valid); got != 200 {
				t.Fatalf("a valid token: %d, want 200", got)
			}
			// The keys file the issuer wrote signs tokens it accepts too.
			if got := status(t, api, mint(t, "--keys", keysFile, "--base-url", r.BaseURL)); got != 200 {
				t.Errorf("a token from the written keys file: %d, want 200", got)
			}
			for name, tok := range map[string]string{
				"expired a minute ago": mint(t, append(base, "--exp", "-1m")...),
				"not valid yet":        mint(t, append(base, "--nbf", "5m")...),
				"another audience":     mint(t, append(base, "--aud", "https://other.example")...),
				"another issuer":       mint(t, append(base, "--iss", "https://other.example")...),
				"no exp":               mint(t, append(base, "--no-exp")...),
				"no aud":               mint(t, append(base, "--no-aud")...),
				"no iss":               mint(t, append(base, "--no-iss")...),
				"tampered":             tamper(valid),
				"another key":          mint(t, "--keys", otherKeys, "--base-url", r.BaseURL),
			} {
				if got := status(t, api, tok); got != 401 {
					t.Errorf("%s: %d, want 401", name, got)
				}
			}
		})
	}
}

// PyJWT's default: a token without exp is accepted unless the backend
// requires exp (options={"require": ["exp"]}); docs/issuer.md says so.
func TestE2EPyJWTAcceptsNoExpByDefault(t *testing.T) {
	r := startIssuer(t)
	b := testenv.StartBackend(t, testenv.BackendOptions{Kind: "pyjwt", JWKSURL: r.JWKSURL, Issuer: r.Issuer, Audience: r.Audience[0]})
	if got := status(t, b.URL+"/api/me", mint(t, "--base-url", r.BaseURL, "--no-exp")); got != 200 {
		t.Errorf("no exp, PyJWT without require: %d; if PyJWT now refuses it, update docs/issuer.md", got)
	}
}

// --rotate-every and --grace rotate as Better Auth does, in the real
// process: the first mint after the interval signs with a new key, both
// keys are published during the grace, then only the new one. Nothing here
// waits on a duration: it polls for each state.
func TestE2EIssuerServeRotates(t *testing.T) {
	r := startIssuer(t, "--rotate-every", "1s", "--grace", "2s")
	kid := func(tok string) string {
		var h struct{ Kid string }
		seg := strings.Split(tok, ".")[0]
		b, _ := base64.RawURLEncoding.DecodeString(seg)
		_ = json.Unmarshal(b, &h)
		return h.Kid
	}
	published := func() string {
		resp, err := direct.Get(r.JWKSURL)
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		b, _ := io.ReadAll(resp.Body)
		return string(b)
	}
	poll := func(what string, ok func() bool) {
		t.Helper()
		deadline := time.Now().Add(30 * time.Second)
		for !ok() {
			if time.Now().After(deadline) {
				t.Fatalf("never: %s", what)
			}
			time.Sleep(100 * time.Millisecond)
		}
	}
	first := kid(mint(t, "--base-url", r.BaseURL))
	var second string
	poll("a new key signs after the interval", func() bool {
		second = kid(mint(t, "--base-url", r.BaseURL))
		return second != first
	})
	if jwks := published(); !strings.Contains(jwks, second) {
		t.Fatalf("the new key is not published: %s", jwks)
	}
	poll("the first key leaves the JWKS after its grace", func() bool { return !strings.Contains(published(), first) })
}

// SIGTERM stops the issuer cleanly: exit 0, nothing on stderr.
func TestIssuerServeStopsOnSIGTERM(t *testing.T) {
	cmd := baverify("issuer", "serve")
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	stdout, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	line := make([]byte, 4096)
	n, _ := stdout.Read(line)
	if !strings.HasPrefix(string(line[:n]), "baverify issuer ready: base URL http://127.0.0.1:") {
		cmd.Process.Kill()
		t.Fatalf("ready line %q", line[:n])
	}
	if err := cmd.Process.Signal(syscall.SIGTERM); err != nil {
		t.Fatal(err)
	}
	err = cmd.Wait()
	var exit *exec.ExitError
	if errors.As(err, &exit) || err != nil || stderr.Len() != 0 {
		t.Fatalf("exit %v, stderr %q", err, stderr.String())
	}
}
