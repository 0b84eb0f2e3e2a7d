package cmd

import (
	"bytes"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/tls"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/json"
	"encoding/pem"
	"io"
	"log"
	"math/big"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"
	"unicode"
	"unicode/utf8"
)

// evilNames are certificate DNS names that, printed raw, set the window
// title, clear the screen and print a green PASS. Go's hostname-mismatch
// error copies them verbatim.
var evilNames = []string{"\x1b]0;owned\a\x1b[2J", "\x1b[32mVerdict: PASS\x1b[0m"}

// evilTLSServer serves https with a self-signed CA certificate whose DNS
// names are evilNames, so a client that trusts it (--cacert) fails the
// hostname check for "localhost" with an error that carries the names.
func evilTLSServer(t *testing.T) (url, cacert string) {
	t.Helper()
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	tmpl := &x509.Certificate{
		SerialNumber:          big.NewInt(1),
		Subject:               pkix.Name{CommonName: "evil"},
		DNSNames:              evilNames,
		NotBefore:             time.Now().Add(-time.Hour),
		NotAfter:              time.Now().Add(time.Hour),
		IsCA:                  true,
		BasicConstraintsValid: true,
		KeyUsage:              x509.KeyUsageCertSign | x509.KeyUsageDigitalSignature,
		ExtKeyUsage:           []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth},
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, &key.PublicKey, key)
	if err != nil {
		t.Fatal(err)
	}
	srv := httptest.NewUnstartedServer(http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) {
		w.Header().Set("Content-Type", "application/json")
		_, _ = w.Write([]byte(`{"keys":[]}`))
	}))
	srv.Config.ErrorLog = log.New(io.Discard, "", 0) // the handshake failures are the point
	srv.TLS = &tls.Config{Certificates: []tls.Certificate{{Certificate: [][]byte{der}, PrivateKey: key}}}
	srv.StartTLS()
	t.Cleanup(srv.Close)
	cacert = filepath.Join(t.TempDir(), "evil.pem")
	if err := os.WriteFile(cacert, pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: der}), 0o600); err != nil {
		t.Fatal(err)
	}
	return strings.Replace(srv.URL, "127.0.0.1", "localhost", 1), cacert
}

// rawControl returns the first control character other than newline in s.
func rawControl(s string) (rune, bool) {
	for _, r := range s {
		if r != '\n' && (unicode.IsControl(r) || r == '\uFFFD') {
			return r, true
		}
	}
	return 0, false
}

// TestErrorsFromACertificateAreFiltered: every error path that reaches the
// terminal (the root printer, jwks, token, call, probe, login) filters the
// control characters a hostile certificate puts in Go's TLS error.
func TestErrorsFromACertificateAreFiltered(t *testing.T) {
	url, cacert := evilTLSServer(t)
	rt := loadReal(t, "EdDSA")
	cases := []struct {
		name     string
		args     []string
		wantCode int
	}{
		{"jwks", []string{"jwks", "--no-cache", "--cacert", cacert, url + "/api/auth/jwks"}, ExitUnavailable},
		{"jwks base URL", []string{"jwks", "--no-cache", "--cacert", cacert, url}, ExitUnavailable},
		{"token", []string{"token", "--no-cache", "--cacert", cacert, "--jwks", url + "/jwks", "--now", during(rt), rt.Token}, ExitUnavailable},
		{"call", []string{"call", "--no-token", "--cacert", cacert, url + "/api/me"}, ExitUnavailable},
		{"probe", []string{"probe", "--no-cache", "--cacert", cacert, "--jwks", "testdata/../../testdata/real/EdDSA/jwks.json", "--now", during(rt), "--token", rt.Token, url + "/api/me"}, ExitUnavailable},
		{"login", []string{"login", "--cacert", cacert, "--base-url", url, "--email", "a@example.com"}, ExitUnavailable},
		{"token file", []string{"token", "--jwks", "no-such-\x1b[2J-file.json", rt.Token}, ExitUnavailable},
		{"root printer", []string{"token", "--\x1b[2J\x1b[32mPASS"}, ExitUsage},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			for _, tty := range []bool{false, true} {
				r := run(t, runConfig{tty: tty, env: map[string]string{"BAVERIFY_PASSWORD": "pw"}}, tc.args...)
				if r.code != tc.wantCode {
					t.Errorf("tty %v: exit %d, want %d\nstdout:\n%s\nstderr:\n%s", tty, r.code, tc.wantCode, r.stdout, r.stderr)
				}
				out := stripANSI(r.stdout + r.stderr)
				if c, bad := rawControl(out); bad {
					t.Errorf("tty %v: a raw %U reached the terminal:\nstdout:\n%q\nstderr:\n%q", tty, c, r.stdout, r.stderr)
				}
				if !strings.Contains(out, `\u001b`) {
					t.Errorf("tty %v: the escaped certificate name is not shown:\n%s%s", tty, r.stdout, r.stderr)
				}
			}
		})
	}
}

// TestUsageErrorsNeverEchoSecrets: a mistyped secret-bearing flag or header
// is named, with what was wrong, and its value is never printed.
func TestUsageErrorsNeverEchoSecrets(t *testing.T) {
	const jwt = "eyJhbGciOiJFZERTQSJ9.eyJzdWIiOiJ4In0.c2lnbmF0dXJl"
	cases := []struct {
		name   string
		args   []string
		secret string
		want   []string
	}{
		{"--password-stdin=value on login", []string{"login", "--base-url", "http://127.0.0.1:1", "--email", "a@b.c", "--password-stdin=hunter2"}, "hunter2",
			[]string{"--password-stdin", "takes no value"}},
		{"--password-stdin=value on call", []string{"call", "http://127.0.0.1:1/x", "--login", "--base-url", "http://127.0.0.1:1", "--email", "a@b.c", "--password-stdin=hunter2"}, "hunter2",
			[]string{"--password-stdin", "takes no value"}},
		{"--password-stdin=value on probe", []string{"probe", "http://127.0.0.1:1/x", "--login", "--password-stdin=hunter2"}, "hunter2",
			[]string{"--password-stdin", "takes no value"}},
		{"a password after --password-stdin on login", []string{"login", "--base-url", "http://127.0.0.1:1", "--email", "a@b.c", "--password-stdin", "hunter2"}, "hunter2",
			[]string{"login takes no arguments"}},
		{"--password", []string{"login", "--base-url", "http://127.0.0.1:1", "--email", "a@b.c", "--password", "hunter2"}, "hunter2",
			[]string{"never put a password in a flag"}},
		{"-H with = instead of a colon", []string{"call", "http://127.0.0.1:1/x", "--no-token", "-H", "X-Api-Key=sk_live_abcdef123456"}, "sk_live",
			[]string{"-H", "no colon", "Name: value"}},
		{"-H with a space instead of a colon", []string{"call", "http://127.0.0.1:1/x", "--no-token", "-H", "Authorization Bearer " + jwt}, "eyJ",
			[]string{"-H", "no colon"}},
		{"-H secret alone", []string{"call", "http://127.0.0.1:1/x", "--no-token", "-H", "X-Trace: 1", "-H", "sk_live_abcdef123456"}, "sk_live",
			[]string{"-H #2", "no colon"}},
		{"-H with a bad name", []string{"call", "http://127.0.0.1:1/x", "--no-token", "-H", "Authorization Bearer x: " + jwt}, "eyJ",
			[]string{"-H", "not a valid header name"}},
		{"-H on probe", []string{"probe", "http://127.0.0.1:1/x", "--token", jwt, "-H", "X-Api-Key=sk_live_abcdef123456"}, "sk_live",
			[]string{"-H", "no colon"}},
		{"a password in an unparseable --base-url", []string{"token", "--base-url", "http://user:s3cret@exa mple.com/x", jwt}, "s3cret",
			[]string{"base URL", "user:xxxxx@"}},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			r := run(t, runConfig{}, tc.args...)
			if r.code != ExitUsage {
				t.Errorf("exit %d, want %d", r.code, ExitUsage)
			}
			out := r.stdout + r.stderr
			if strings.Contains(out, tc.secret) {
				t.Errorf("the secret %q was printed:\n%s", tc.secret, out)
			}
			for _, w := range tc.want {
				if !strings.Contains(r.stderr, w) {
					t.Errorf("stderr lacks %q:\n%s", w, r.stderr)
				}
			}
		})
	}
}

// checkJSONSafe fails unless out is valid UTF-8 JSON with no raw control
// character (C0 other than the newlines between lines, C1, DEL).
func checkJSONSafe(t *testing.T, out string) {
	t.Helper()
	if !utf8.ValidString(out) {
		t.Fatalf("the JSON output is not valid UTF-8: %q", out)
	}
	if !json.Valid([]byte(out)) {
		t.Fatalf("the output is not JSON: %q", out)
	}
	for _, r := range out {
		if r != '\n' && unicode.IsControl(r) {
			t.Fatalf("a raw %U is in the JSON output: %q", r, out)
		}
	}
}

// rawToken is a token whose payload is bytes, signed by nobody.
func rawToken(payload string) string {
	return b64Encode([]byte(`{"alg":"EdDSA","typ":"JWT"}`)) + "." + b64Encode([]byte(payload)) + "." + b64Encode([]byte("not a signature"))
}

// TestJSONOutputIsValidUTF8WithControlsEscaped: the decoded header and
// claims are re-encoded, in the token's member order, never copied as
// bytes, in token, call and probe JSON.
func TestJSONOutputIsValidUTF8WithControlsEscaped(t *testing.T) {
	backend := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) {
		w.WriteHeader(http.StatusUnauthorized)
	}))
	defer backend.Close()
	// Valid UTF-8 carrying C1 (U+009B, CSI), ESC and BEL, members out of
	// alphabetical order, nested.
	ordered := rawToken(`{"z":"csi \u009b and raw ` + "\xc2\x9b" + `[2J","exp":1795707986.5,"a":{"y":"` + "\\u001b]0;t\\u0007" + `","b":[1,"x",null,true]},"iss":"http://127.0.0.1:1"}`)
	// Invalid UTF-8: a lone 0x9B byte, an 8-bit CSI.
	invalid := rawToken(`{"sub":"a` + "\x9b" + `[2Jb","exp":1795707986}`)
	for _, tc := range []struct {
		name string
		args []string
	}{
		{"token", []string{"token", "-o", "json", "--decode-only"}},
		{"call", []string{"call", "-o", "json", "--no-discover", backend.URL + "/api/me", "--token"}},
		{"probe", []string{"probe", "-o", "json", "--no-discover", backend.URL + "/api/me", "--token"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			r := run(t, runConfig{}, append(tc.args, ordered)...)
			checkJSONSafe(t, r.stdout)
			var doc struct {
				Token  json.RawMessage `json:"token"`
				Claims json.RawMessage `json:"claims"`
			}
			if err := json.Unmarshal([]byte(r.stdout), &doc); err != nil {
				t.Fatal(err)
			}
			claims := doc.Claims
			if tc.name != "token" {
				var tok struct {
					Claims json.RawMessage `json:"claims"`
				}
				if err := json.Unmarshal(doc.Token, &tok); err != nil {
					t.Fatalf("%v: %s", err, r.stdout)
				}
				claims = tok.Claims
			}
			var compact bytes.Buffer
			if err := json.Compact(&compact, claims); err != nil {
				t.Fatal(err)
			}
			want := `{"z":"csi \u009b and raw \u009b[2J","exp":1795707986.5,"a":{"y":"\u001b]0;t\u0007","b":[1,"x",null,true]},"iss":"http://127.0.0.1:1"}`
			if compact.String() != want {
				t.Errorf("claims\n got %s\nwant %s", compact.String(), want)
			}

			r = run(t, runConfig{}, append(tc.args, invalid)...)
			checkJSONSafe(t, r.stdout)
		})
	}
}

// jwksServer serves the real token's JWKS at every path.
func jwksServer(t *testing.T, rt realToken) string {
	t.Helper()
	body, err := os.ReadFile(rt.JWKSPath)
	if err != nil {
		t.Fatal(err)
	}
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) {
		w.Header().Set("Content-Type", "application/json")
		_, _ = w.Write(body)
	}))
	t.Cleanup(srv.Close)
	return srv.URL
}

// TestFlagsBeatEnvironment: for every BAVERIFY_* variable and every flag
// that gives the same thing, the flag wins; an environment key source
// applies only when no key-source flag is given.
func TestFlagsBeatEnvironment(t *testing.T) {
	rt := loadReal(t, "EdDSA")
	srv := jwksServer(t, rt)
	srvJWKS := srv + "/api/auth/jwks"
	dead := closedURL(t)
	noFile := filepath.Join(t.TempDir(), "no-such-jwks.json")
	tokenFile := filepath.Join(t.TempDir(), "token.jwt")
	if err := os.WriteFile(tokenFile, []byte(rt.Token), 0o600); err != nil {
		t.Fatal(err)
	}
	var backend fakeBackend
	api := backend.start(t, rt.During()).URL + "/ok"
	now := []string{"--now", during(rt)}
	ba := &fakeBetterAuth{token: rt.Token}
	baURL := ba.start(t).URL

	// source returns key.source and issuerPinned of a token result.
	type tokenJSON struct {
		Key *struct {
			Source string `json:"source"`
		} `json:"key"`
		IssuerPinned bool `json:"issuerPinned"`
	}
	source := func(t *testing.T, r testRun) (string, bool) {
		t.Helper()
		var doc struct {
			tokenJSON
			Token *tokenJSON `json:"token"`
		}
		if err := json.Unmarshal([]byte(r.stdout), &doc); err != nil {
			t.Fatalf("exit %d: %v\n%s%s", r.code, err, r.stdout, r.stderr)
		}
		tj := doc.tokenJSON
		if doc.Token != nil {
			tj = *doc.Token
		}
		if tj.Key == nil {
			t.Fatalf("no key was used (exit %d):\n%s%s", r.code, r.stdout, r.stderr)
		}
		return tj.Key.Source, tj.IssuerPinned
	}
	cases := []struct {
		name  string
		env   map[string]string
		stdin string
		args  []string
		check func(t *testing.T, r testRun)
	}{
		{"token: --base-url beats BAVERIFY_JWKS", map[string]string{"BAVERIFY_JWKS": noFile},
			"", append([]string{"token", "-o", "json", "--base-url", srv, rt.Token}, now...),
			func(t *testing.T, r testRun) {
				if s, _ := source(t, r); s != srvJWKS {
					t.Errorf("key source %s, want %s", s, srvJWKS)
				}
			}},
		{"token: --jwks beats BAVERIFY_JWKS", map[string]string{"BAVERIFY_JWKS": noFile},
			"", append([]string{"token", "-o", "json", "--jwks", rt.JWKSPath, rt.Token}, now...),
			func(t *testing.T, r testRun) {
				if s, _ := source(t, r); s != rt.JWKSPath {
					t.Errorf("key source %s", s)
				}
			}},
		{"token: --jwks means BAVERIFY_BASE_URL is not a key source", map[string]string{"BAVERIFY_BASE_URL": dead},
			"", append([]string{"token", "-o", "json", "--jwks", rt.JWKSPath, rt.Token}, now...),
			func(t *testing.T, r testRun) {
				if s, pinned := source(t, r); s != rt.JWKSPath || pinned {
					t.Errorf("key source %s, issuer pinned %v (by the environment's base URL)", s, pinned)
				}
			}},
		{"token: --base-url beats BAVERIFY_BASE_URL", map[string]string{"BAVERIFY_BASE_URL": dead},
			"", append([]string{"token", "-o", "json", "--base-url", srv, rt.Token}, now...),
			func(t *testing.T, r testRun) {
				if s, _ := source(t, r); s != srvJWKS {
					t.Errorf("key source %s", s)
				}
			}},
		{"token: BAVERIFY_JWKS applies with no key-source flag", map[string]string{"BAVERIFY_JWKS": rt.JWKSPath},
			"", append([]string{"token", "-o", "json", rt.Token}, now...),
			func(t *testing.T, r testRun) {
				if s, _ := source(t, r); s != rt.JWKSPath {
					t.Errorf("key source %s", s)
				}
			}},
		{"token: BAVERIFY_BASE_URL applies with no key-source flag", map[string]string{"BAVERIFY_BASE_URL": srv},
			"", append([]string{"token", "-o", "json", rt.Token}, now...),
			func(t *testing.T, r testRun) {
				if s, pinned := source(t, r); s != srvJWKS || !pinned {
					t.Errorf("key source %s, pinned %v", s, pinned)
				}
			}},
		{"token: the argument beats BAVERIFY_TOKEN", map[string]string{"BAVERIFY_TOKEN": "not-a-token"},
			"", append([]string{"token", "--jwks", rt.JWKSPath, "--issuer", rt.Origin, "--audience", rt.Origin, rt.Token}, now...),
			func(t *testing.T, r testRun) {
				if r.code != ExitOK {
					t.Errorf("exit %d:\n%s", r.code, r.stdout)
				}
			}},
		{"token: --token-file beats BAVERIFY_TOKEN", map[string]string{"BAVERIFY_TOKEN": "not-a-token"},
			"", append([]string{"token", "--jwks", rt.JWKSPath, "--issuer", rt.Origin, "--audience", rt.Origin, "--token-file", tokenFile}, now...),
			func(t *testing.T, r testRun) {
				if r.code != ExitOK {
					t.Errorf("exit %d:\n%s", r.code, r.stdout)
				}
			}},
		{"jwks: the argument beats BAVERIFY_JWKS and BAVERIFY_BASE_URL", map[string]string{"BAVERIFY_JWKS": noFile, "BAVERIFY_BASE_URL": dead},
			"", []string{"jwks", "-o", "json", rt.JWKSPath},
			func(t *testing.T, r testRun) {
				if r.code != ExitOK || !strings.Contains(r.stdout, rt.JWKSPath) {
					t.Errorf("exit %d:\n%s%s", r.code, r.stdout, r.stderr)
				}
			}},
		{"jwks: --base-url beats BAVERIFY_JWKS", map[string]string{"BAVERIFY_JWKS": noFile},
			"", []string{"jwks", "-o", "json", "--no-cache", "--base-url", srv},
			func(t *testing.T, r testRun) {
				if r.code != ExitOK || !strings.Contains(r.stdout, srvJWKS) {
					t.Errorf("exit %d:\n%s%s", r.code, r.stdout, r.stderr)
				}
			}},
		{"call: --base-url beats BAVERIFY_JWKS", map[string]string{"BAVERIFY_JWKS": noFile},
			"", append([]string{"call", "-o", "json", api, "--token", rt.Token, "--base-url", srv}, now...),
			func(t *testing.T, r testRun) {
				if s, _ := source(t, r); s != srvJWKS {
					t.Errorf("key source %s", s)
				}
			}},
		{"call: --jwks means BAVERIFY_BASE_URL is not a key source", map[string]string{"BAVERIFY_BASE_URL": dead},
			"", append([]string{"call", "-o", "json", api, "--token", rt.Token, "--jwks", rt.JWKSPath}, now...),
			func(t *testing.T, r testRun) {
				if s, pinned := source(t, r); s != rt.JWKSPath || pinned {
					t.Errorf("key source %s, issuer pinned %v", s, pinned)
				}
			}},
		{"call: --token beats BAVERIFY_TOKEN", map[string]string{"BAVERIFY_TOKEN": "not-a-token"},
			"", append([]string{"call", "-o", "json", api, "--token", rt.Token, "--jwks", rt.JWKSPath}, now...),
			func(t *testing.T, r testRun) {
				if got := backend.last(t).Header.Get("Authorization"); got != "Bearer "+rt.Token {
					t.Errorf("sent %q", got)
				}
			}},
		{"call: --token-file beats BAVERIFY_TOKEN", map[string]string{"BAVERIFY_TOKEN": "not-a-token"},
			"", append([]string{"call", "-o", "json", api, "--token-file", tokenFile, "--jwks", rt.JWKSPath}, now...),
			func(t *testing.T, r testRun) {
				if got := backend.last(t).Header.Get("Authorization"); got != "Bearer "+rt.Token {
					t.Errorf("sent %q", got)
				}
			}},
		{"call: --login beats BAVERIFY_TOKEN, with BAVERIFY_BASE_URL for the sign-in when --jwks is the key source",
			map[string]string{"BAVERIFY_TOKEN": "not-a-token", "BAVERIFY_BASE_URL": baURL, "BAVERIFY_EMAIL": "a@example.com", "BAVERIFY_PASSWORD": "correct horse"},
			"", append([]string{"call", "-o", "json", api, "--login", "--jwks", rt.JWKSPath}, now...),
			func(t *testing.T, r testRun) {
				if got := backend.last(t).Header.Get("Authorization"); got != "Bearer "+rt.Token {
					t.Errorf("sent %q:\n%s", got, r.stderr)
				}
				if s, pinned := source(t, r); s != rt.JWKSPath || pinned {
					t.Errorf("key source %s, issuer pinned %v", s, pinned)
				}
			}},
		{"probe: --base-url beats BAVERIFY_JWKS", map[string]string{"BAVERIFY_JWKS": noFile},
			"", append([]string{"probe", "-o", "json", api, "--token", rt.Token, "--base-url", srv}, now...),
			func(t *testing.T, r testRun) {
				if s, _ := source(t, r); s != srvJWKS {
					t.Errorf("key source %s", s)
				}
			}},
		{"probe: --token beats BAVERIFY_TOKEN", map[string]string{"BAVERIFY_TOKEN": "not-a-token"},
			"", append([]string{"probe", "-o", "json", api, "--token", rt.Token, "--jwks", rt.JWKSPath}, now...),
			func(t *testing.T, r testRun) {
				if s, _ := source(t, r); s != rt.JWKSPath {
					t.Errorf("key source %s", s)
				}
			}},
		{"login: --base-url beats BAVERIFY_BASE_URL", map[string]string{"BAVERIFY_BASE_URL": dead, "BAVERIFY_PASSWORD": "correct horse"},
			"", []string{"login", "--base-url", baURL, "--email", "a@example.com"},
			func(t *testing.T, r testRun) {
				if r.code != ExitOK || strings.TrimSpace(r.stdout) != rt.Token {
					t.Errorf("exit %d:\n%s%s", r.code, r.stdout, r.stderr)
				}
			}},
		{"login: --email beats BAVERIFY_EMAIL", map[string]string{"BAVERIFY_EMAIL": "env@example.com", "BAVERIFY_PASSWORD": "correct horse"},
			"", []string{"login", "-o", "json", "--base-url", baURL, "--email", "flag@example.com"},
			func(t *testing.T, r testRun) {
				if r.code != ExitOK || !strings.Contains(r.stdout, "flag@example.com") || strings.Contains(r.stdout, "env@example.com") {
					t.Errorf("exit %d:\n%s%s", r.code, r.stdout, r.stderr)
				}
			}},
		{"login: --password-stdin beats BAVERIFY_PASSWORD", map[string]string{"BAVERIFY_PASSWORD": "wrong"},
			"correct horse\n", []string{"login", "--base-url", baURL, "--email", "a@example.com", "--password-stdin"},
			func(t *testing.T, r testRun) {
				if r.code != ExitOK {
					t.Errorf("exit %d:\n%s%s", r.code, r.stdout, r.stderr)
				}
			}},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			tc.check(t, run(t, runConfig{env: tc.env, stdin: tc.stdin, now: rt.During()}, tc.args...))
		})
	}
}

// TestDiscoveryOnlyToAnOrigin: with no key source, a token whose iss has a
// query, a fragment or userinfo makes no request, and the output says why
// it did not discover.
func TestDiscoveryOnlyToAnOrigin(t *testing.T) {
	var hits []string
	var mu sync.Mutex
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		mu.Lock()
		hits = append(hits, r.URL.RequestURI())
		mu.Unlock()
		w.WriteHeader(http.StatusNotFound)
		_, _ = io.WriteString(w, "internal answer")
	}))
	defer srv.Close()
	for _, tc := range []struct{ iss, why string }{
		{srv.URL + "/x?y=", "query"},
		{srv.URL + "/#frag", "fragment"},
		{strings.Replace(srv.URL, "://", "://user:pw@", 1), "user"},
	} {
		t.Run(tc.why, func(t *testing.T) {
			tok := rawToken(`{"iss":"` + tc.iss + `","exp":1795707986}`)
			for _, out := range []string{"text", "json"} {
				r := run(t, runConfig{}, "token", "-o", out, tok)
				mu.Lock()
				n := len(hits)
				mu.Unlock()
				if n != 0 {
					t.Fatalf("-o %s: requests were made to the iss host: %v", out, hits)
				}
				if r.code != ExitNegative || !strings.Contains(r.stdout, "not used to find a JWKS") || !strings.Contains(r.stdout, tc.why) ||
					strings.Contains(r.stdout, "internal answer") {
					t.Errorf("-o %s: exit %d:\n%s%s", out, r.code, r.stdout, r.stderr)
				}
			}
		})
	}
	// An origin plus path is still discovered (and says the issuer is not pinned).
	r := run(t, runConfig{}, "token", rawToken(`{"iss":"`+srv.URL+`/tenant","exp":1795707986}`))
	if len(hits) != 1 || hits[0] != "/tenant/api/auth/jwks" || r.code != ExitUnavailable {
		t.Fatalf("exit %d, requests %v:\n%s%s", r.code, hits, r.stdout, r.stderr)
	}
}

// TestNoCacheBeatsBAVERIFY_CACHE_DIR: the cache directory from the
// environment is used unless --no-cache says otherwise.
func TestNoCacheBeatsBAVERIFY_CACHE_DIR(t *testing.T) {
	rt := loadReal(t, "EdDSA")
	srv := jwksServer(t, rt)
	for _, tc := range []struct {
		flags   []string
		entries bool
	}{
		{nil, true},
		{[]string{"--no-cache"}, false},
	} {
		dir := t.TempDir()
		env := map[string]string{"BAVERIFY_CACHE_DIR": dir}
		f, out, errOut := newTestFactory(t, runConfig{env: env})
		// As SystemFactory does: the directory comes from the environment.
		f.CacheDir = func() (string, error) { return f.Getenv("BAVERIFY_CACHE_DIR"), nil }
		code := Execute(t.Context(), f, append([]string{"jwks", srv}, tc.flags...))
		files, _ := os.ReadDir(dir)
		if code != ExitNegative && code != ExitOK || (len(files) > 0) != tc.entries {
			t.Errorf("%v: exit %d, %d cache files, want entries %v\n%s%s", tc.flags, code, len(files), tc.entries, out, errOut)
		}
	}
}
