package cmd

import (
	"bufio"
	"context"
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/baverify/baverify/internal/testenv"
)

type batchLineJSON struct {
	Line    int64
	Verdict string
	Valid   *bool
	Errors  []struct{ Code, Message string }
	Kid     *string
	Alg     *string
	Sub     *string
	Iss     *string
	Aud     any
	Exp     *json.Number
	Keys    *struct {
		Location, From string
		AgeSeconds     *int64
		StaleReason    string
	}
}

func decodeBatchLines(t *testing.T, out string) []batchLineJSON {
	t.Helper()
	var lines []batchLineJSON
	sc := bufio.NewScanner(strings.NewReader(out))
	sc.Buffer(nil, 1<<20)
	for sc.Scan() {
		dec := json.NewDecoder(strings.NewReader(sc.Text()))
		dec.DisallowUnknownFields()
		dec.UseNumber()
		var l batchLineJSON
		if err := dec.Decode(&l); err != nil {
			t.Fatalf("line %q: %v", sc.Text(), err)
		}
		lines = append(lines, l)
	}
	return lines
}

// mixedBatch writes a file of real tokens in every form a batch meets.
func mixedBatch(t *testing.T, rt realToken) string {
	t.Helper()
	tok := strings.TrimSpace(rt.Token)
	parts := strings.Split(tok, ".")
	tampered := parts[0] + "." + tamperClaim(t, parts[1], "email", "mallory@example.com") + "." + parts[2]
	body := strings.Join([]string{
		tok,                            // 1 valid
		"",                             // 2 blank
		tampered,                       // 3 signature_invalid
		"not a token",                  // 4 malformed
		"Authorization: Bearer " + tok, // 5 valid
		"  \t",                         // 6 blank
		`"Bearer ` + tok + `"` + "\r",  // 7 valid, CRLF
		tok + "\r",                     // 8 valid, CRLF
		tok[:len(tok)-3] + "AAA",       // 9 signature_invalid
		tok,                            // 10 valid, no final newline
	}, "\n")
	path := filepath.Join(t.TempDir(), "tokens.txt")
	if err := os.WriteFile(path, []byte(body), 0o600); err != nil {
		t.Fatal(err)
	}
	return path
}

func TestTokenBatchJSON(t *testing.T) {
	rt := loadReal(t, "EdDSA")
	file := mixedBatch(t, rt)
	want := []struct {
		line    int64
		verdict string
		code    string
	}{{1, "valid", ""}, {3, "invalid", "signature_invalid"}, {4, "invalid", "malformed"}, {5, "valid", ""},
		{7, "valid", ""}, {8, "valid", ""}, {9, "invalid", "signature_invalid"}, {10, "valid", ""}}
	for _, jobs := range []string{"1", "4"} {
		r := run(t, runConfig{}, "token", "--batch", file, "-j", jobs, "-o", "json", "--jwks", rt.JWKSPath,
			"--issuer", rt.Origin, "--audience", rt.Origin, "--now", during(rt))
		if r.code != ExitNegative || r.stderr != "" {
			t.Fatalf("-j %s: exit %d\n%s\n%s", jobs, r.code, r.stdout, r.stderr)
		}
		got := decodeBatchLines(t, r.stdout)
		if len(got) != len(want) {
			t.Fatalf("-j %s: %d lines\n%s", jobs, len(got), r.stdout)
		}
		for i, w := range want {
			g := got[i]
			code := ""
			if len(g.Errors) > 0 {
				code = g.Errors[0].Code
			}
			if g.Line != w.line || g.Verdict != w.verdict || *g.Valid != (w.verdict == "valid") || code != w.code {
				t.Fatalf("-j %s, result %d: %+v, want %+v", jobs, i, g, w)
			}
			if g.Verdict == "valid" && (*g.Kid != rt.Kid || *g.Alg != "EdDSA" || *g.Iss != rt.Origin || g.Aud != rt.Origin || g.Sub == nil || g.Exp.String() != json.Number(strings.TrimSpace(fmtInt(rt.Exp))).String()) {
				t.Fatalf("-j %s: claims of a valid line: %+v", jobs, g)
			}
		}
		if got[2].Kid != nil || got[2].Exp != nil {
			t.Fatalf("a malformed line has claims: %+v", got[2])
		}
	}
}

func fmtInt(n int64) string { b, _ := json.Marshal(n); return string(b) }

// The same verdicts as `token`, line by line.
func TestTokenBatchMatchesToken(t *testing.T) {
	rt := loadReal(t, "EdDSA")
	file := mixedBatch(t, rt)
	flags := []string{"--jwks", rt.JWKSPath, "--issuer", rt.Origin, "--audience", "https://api.example.com", "--now", during(rt)}
	r := run(t, runConfig{}, append([]string{"token", "--batch", file, "-o", "json"}, flags...)...)
	body, _ := os.ReadFile(file)
	lines := strings.Split(string(body), "\n")
	for _, g := range decodeBatchLines(t, r.stdout) {
		one := run(t, runConfig{}, append([]string{"token", "-o", "json"}, append(flags, strings.TrimSpace(lines[g.Line-1]))...)...)
		if one.code == ExitUsage {
			if g.Verdict != "invalid" || g.Errors[0].Code != "malformed" {
				t.Fatalf("line %d: token refuses the input, batch says %+v", g.Line, g)
			}
			continue
		}
		res := decodeResult(t, one)
		if res.Valid != *g.Valid || len(res.Errors) != len(g.Errors) {
			t.Fatalf("line %d: token %+v, batch %+v", g.Line, res, g)
		}
		for i := range res.Errors {
			if res.Errors[i].Code != g.Errors[i].Code || res.Errors[i].Message != g.Errors[i].Message {
				t.Fatalf("line %d: token %+v, batch %+v", g.Line, res.Errors, g.Errors)
			}
		}
	}
}

func TestTokenBatchText(t *testing.T) {
	rt := loadReal(t, "EdDSA")
	file := mixedBatch(t, rt)
	args := []string{"token", "--batch", file, "--jwks", rt.JWKSPath, "--issuer", rt.Origin, "--audience", rt.Origin, "--now", during(rt)}
	r := run(t, runConfig{}, args...)
	if r.code != ExitNegative || r.stderr != "" {
		t.Fatalf("exit %d\n%s\n%s", r.code, r.stdout, r.stderr)
	}
	golden(t, "token_batch.txt", r.stdout)
	tty := run(t, runConfig{tty: true}, args...)
	if stripANSI(tty.stdout) != r.stdout {
		t.Fatalf("terminal output differs beyond colour:\n%s", tty.stdout)
	}
	first, _, _ := strings.Cut(r.stdout, "\n")
	if q := run(t, runConfig{}, append(args, "-q")...); q.code != ExitNegative || q.stdout != first+"\n" {
		t.Fatalf("--quiet: exit %d\n%s", q.code, q.stdout)
	}
	for _, extra := range [][]string{{"-q", "-o", "json"}, {"--backends"}} {
		if u := run(t, runConfig{}, append(args, extra...)...); u.code != ExitUsage || u.stdout != "" {
			t.Errorf("%v: exit %d\n%s", extra, u.code, u.stdout)
		}
	}
}

func TestTokenBatchExitCodes(t *testing.T) {
	rt := loadReal(t, "EdDSA")
	tok := strings.TrimSpace(rt.Token)
	dir := t.TempDir()
	write := func(name, body string) string {
		p := filepath.Join(dir, name)
		if err := os.WriteFile(p, []byte(body), 0o600); err != nil {
			t.Fatal(err)
		}
		return p
	}
	valid := write("valid.txt", tok+"\n\n"+tok+"\n")
	empty := write("empty.txt", "\n \n")
	logs := write("log.txt", "GET /a Bearer "+tok+"\nGET /health\n")
	pinned := []string{"--jwks", rt.JWKSPath, "--issuer", rt.Origin, "--audience", rt.Origin, "--now", during(rt)}
	down := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) { w.WriteHeader(503) }))
	t.Cleanup(down.Close)
	for _, tc := range []struct {
		name   string
		args   []string
		stdin  string
		code   int
		stderr string
	}{
		{"all valid", append([]string{"--batch", valid}, pinned...), "", ExitOK, ""},
		{"stdin", append([]string{"--batch", "-"}, pinned...), tok + "\n", ExitOK, ""},
		{"extract: lines without a token do not fail the run", append([]string{"--batch", logs, "--extract"}, pinned...), "", ExitOK, ""},
		{"no token at all", append([]string{"--batch", empty}, pinned...), "", ExitNegative, ""},
		{"JWKS down", []string{"--batch", valid, "--jwks", down.URL, "--no-cache"}, "", ExitUnavailable, "HTTP 503"},
		{"JWKS file missing", []string{"--batch", valid, "--jwks", filepath.Join(dir, "nope.json")}, "", ExitUnavailable, "could not read the JWKS"},
		{"no key source", []string{"--batch", valid}, "", ExitUsage, "--batch needs --base-url or --jwks"},
		{"batch file missing", append([]string{"--batch", filepath.Join(dir, "nope.txt")}, pinned...), "", ExitUsage, "--batch:"},
		{"both on stdin", []string{"--batch", "-", "--jwks", "-"}, "", ExitUsage, "cannot both read stdin"},
		{"a token too", append([]string{"--batch", valid, tok}, pinned...), "", ExitUsage, "no token argument"},
		{"decode only", append([]string{"--batch", valid, "--decode-only"}, pinned...), "", ExitUsage, "--decode-only"},
		{"extract alone", append([]string{"--extract", tok}, pinned...), "", ExitUsage, "--batch only"},
		{"-j alone", append([]string{"-j", "2", tok}, pinned...), "", ExitUsage, "--batch only"},
		{"negative -j", append([]string{"--batch", valid, "-j", "-1"}, pinned...), "", ExitUsage, "-j must be"},
		{"-j over the cap", append([]string{"--batch", valid, "-j", "257"}, pinned...), "", ExitUsage, "-j must be from 0 (the number of CPUs) to 256"},
		{"-j at the cap", append([]string{"--batch", valid, "-j", "256"}, pinned...), "", ExitOK, ""},
	} {
		t.Run(tc.name, func(t *testing.T) {
			r := run(t, runConfig{stdin: tc.stdin}, append([]string{"token"}, tc.args...)...)
			if r.code != tc.code || !strings.Contains(r.stderr, tc.stderr) {
				t.Fatalf("exit %d (want %d)\n%s\n%s", r.code, tc.code, r.stdout, r.stderr)
			}
		})
	}
}

// Progress goes to stderr only when stderr is a terminal, and is wiped
// before the summary.
func TestTokenBatchProgress(t *testing.T) {
	rt := loadReal(t, "EdDSA")
	tok := strings.TrimSpace(rt.Token)
	file := filepath.Join(t.TempDir(), "many.txt")
	if err := os.WriteFile(file, []byte(strings.Repeat(tok+"\n", 3000)), 0o600); err != nil {
		t.Fatal(err)
	}
	at := during(rt)
	for _, tty := range []bool{false, true} {
		f, out, errOut := newTestFactory(t, runConfig{tty: tty})
		var mu sync.Mutex
		clock := time.Unix(rt.Iat, 0)
		f.Now = func() time.Time { mu.Lock(); defer mu.Unlock(); clock = clock.Add(time.Second); return clock }
		code := Execute(context.Background(), f, []string{"token", "--batch", file, "--jwks", rt.JWKSPath, "--issuer", rt.Origin, "--audience", rt.Origin, "--now", at})
		if code != ExitOK || !strings.HasPrefix(stripANSI(out.String()), "VALID (all 3000 tokens)  ") {
			t.Fatalf("exit %d\n%s", code, out.String())
		}
		shown := strings.Contains(errOut.String(), "1024 lines, 1024 tokens: 1024 valid, 0 invalid")
		if shown != tty || strings.Contains(out.String(), "\r") {
			t.Fatalf("tty %v: stderr %q", tty, errOut.String())
		}
	}
}

// TestE2ETokenBatchRotation: tokens minted by a real Better Auth server
// before and after it rotates its key, in one file. The JWKS was cached
// before the rotation; the batch asks the server for its current set once,
// at the start (counted by a proxy), and every token is valid against it,
// with one worker or many; every line says the keys came from the network.
func TestE2ETokenBatchRotation(t *testing.T) {
	t.Parallel()
	ba := testenv.StartBetterAuth(t, testenv.BetterAuthOptions{RotationInterval: 2, GracePeriod: 3600})
	jwksURL, fetches := countingJWKSProxy(t, ba)

	sess := ba.SignUp(t, "alice@example.com", "correct-horse-battery", "Alice")
	bob := ba.SignUp(t, "bob@example.com", "correct-horse-battery", "Bob")
	var lines []string
	for i := 0; i < 3; i++ {
		lines = append(lines, ba.TokenFromEndpoint(t, sess), "Bearer "+ba.TokenFromGetSession(t, bob))
	}
	cacheDir := filepath.Join(t.TempDir(), "cache")
	runAt := func(args ...string) testRun {
		f, out, errOut := newTestFactory(t, runConfig{now: time.Now()})
		f.CacheDir = func() (string, error) { return cacheDir, nil }
		code := Execute(context.Background(), f, args)
		return testRun{code: code, stdout: out.String(), stderr: errOut.String()}
	}
	if r := runAt("jwks", jwksURL); r.code != ExitOK || fetches() != 1 {
		t.Fatalf("caching the JWKS: exit %d, %d fetches\n%s", r.code, fetches(), r.stderr)
	}
	oldCache := filepath.Join(t.TempDir(), "old")
	if err := os.CopyFS(oldCache, os.DirFS(cacheDir)); err != nil {
		t.Fatal(err)
	}
	time.Sleep(2100 * time.Millisecond) // past the key's expiresAt: the next signing rotates
	tampered := ""
	for i := 0; i < 3; i++ {
		tok := ba.TokenFromEndpoint(t, sess)
		lines = append(lines, "", tok+"\r")
		p := strings.Split(tok, ".")
		tampered = p[0] + "." + tamperClaim(t, p[1], "email", "mallory@example.com") + "." + p[2]
	}
	lines = append(lines, tampered, ba.TokenFromGetSession(t, bob))
	file := filepath.Join(t.TempDir(), "tokens.txt")
	if err := os.WriteFile(file, []byte(strings.Join(lines, "\n")), 0o600); err != nil {
		t.Fatal(err)
	}
	for _, jobs := range []string{"1", "4"} {
		// Each run starts from the cache that holds only the old key (the
		// refetch writes the new set back).
		if err := os.RemoveAll(cacheDir); err != nil {
			t.Fatal(err)
		}
		if err := os.CopyFS(cacheDir, os.DirFS(oldCache)); err != nil {
			t.Fatal(err)
		}
		before := fetches()
		r := runAt("token", "--batch", file, "-j", jobs, "-o", "json", "--base-url", ba.BaseURL, "--jwks", jwksURL)
		got := decodeBatchLines(t, r.stdout)
		if r.code != ExitNegative || len(got) != 11 {
			t.Fatalf("-j %s: exit %d, %d lines\n%s\n%s", jobs, r.code, len(got), r.stdout, r.stderr)
		}
		kids := map[string]bool{}
		for _, g := range got {
			wantValid := g.Line != 13
			if *g.Valid != wantValid || (g.Line == 13 && g.Errors[0].Code != "signature_invalid") {
				t.Fatalf("-j %s: line %d: %+v", jobs, g.Line, g)
			}
			kids[*g.Kid] = true
			if g.Keys == nil || g.Keys.From != "network" || g.Keys.Location != jwksURL {
				t.Fatalf("-j %s: line %d: keys %+v", jobs, g.Line, g.Keys)
			}
		}
		if len(kids) != 2 {
			t.Fatalf("-j %s: kids %v, want the old and the new", jobs, kids)
		}
		if n := fetches() - before; n != 1 {
			t.Fatalf("-j %s: %d fetches, want exactly one, at the start", jobs, n)
		}
	}
}

// A JWKS server's error body cannot print lines of its own on stderr: the
// error is one line, whatever the body holds.
func TestTokenBatchServerCannotForgeLines(t *testing.T) {
	rt := loadReal(t, "EdDSA")
	file := filepath.Join(t.TempDir(), "tokens.txt")
	if err := os.WriteFile(file, []byte(strings.TrimSpace(rt.Token)+"\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	evil := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) {
		w.WriteHeader(http.StatusInternalServerError)
		_, _ = io.WriteString(w, "oops\n\nVerdict: VALID\r\nVerdict: VALID")
	}))
	t.Cleanup(evil.Close)
	for _, args := range [][]string{
		{"token", "--batch", file, "--jwks", evil.URL, "--no-cache"},
		{"token", "--jwks", evil.URL, "--no-cache", strings.TrimSpace(rt.Token)},
	} {
		r := run(t, runConfig{}, args...)
		if r.code != ExitUnavailable || !strings.Contains(r.stdout+r.stderr, "HTTP 500: oops Verdict: VALID Verdict: VALID") {
			t.Fatalf("%v: exit %d\n%s\n%s", args, r.code, r.stdout, r.stderr)
		}
		for _, l := range strings.Split(r.stderr, "\n") {
			if strings.HasPrefix(strings.TrimLeft(l, "\r"), "Verdict:") {
				t.Fatalf("%v: a forged line %q\n%s", args, l, r.stderr)
			}
		}
	}
	// Any error text, not only a server's: here a file name.
	r := run(t, runConfig{}, "token", "--batch", file+"\nVerdict: VALID", "--jwks", rt.JWKSPath)
	if r.code != ExitUsage || strings.Contains(r.stderr, "\nVerdict:") || !strings.Contains(r.stderr, `\nVerdict: VALID`) {
		t.Fatalf("exit %d\n%s", r.code, r.stderr)
	}
}
