package compat_test

import (
	"bufio"
	"bytes"
	"context"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/baverify/baverify/internal/testenv"
)

// The conformance suite: every library setup of matrix.json, run with the
// real package (Debian's Python and Ruby packages, the npm packages pinned
// by testdata/compat/node/package-lock.json, the Go modules pinned by
// testdata/compat/go/go.mod) against genuine tokens of a real Better Auth
// server for each of the five algorithms, plus a tampered copy of each as
// the control. It fails when a library behaves otherwise than matrix.json
// says, so the table the binary embeds cannot drift from what the libraries
// do. It never skips: a package that is not installed is a failure.

// confAlgs are the algorithms Better Auth's jwt plugin signs with.
func confAlgs() []string { return []string{"EdDSA", "ES256", "ES512", "RS256", "PS256"} }

// confLibraries are the library names matrix.json may use.
func confLibraries() []string {
	return []string{"python-jose", "PyJWT", "Authlib", "jwcrypto", "jose", "jsonwebtoken", "fast-jwt", "ruby-jwt", "golang-jwt", "go-jose", "jwx",
		"express-jwt", "passport-jwt", "koa-jwt", "@nestjs/passport", "@nestjs/jwt", "@fastify/jwt", "hono", "aws-jwt-verify", "node-jose",
		"djangorestframework-simplejwt", "json-jwt", "go-oidc", "go-jwt-middleware", "gofiber/contrib/jwt", "jsonwebtoken-rs", "@elysiajs/jwt"}
}

// confVerifier is the program that runs one setup (testdata/compat/README.md).
type confVerifier struct {
	id      string // the setup's id in matrix.json
	lang    string // python, node, ruby, go or rust: the directory under testdata/compat
	program string // the script, or the setup name of the Go command compat-go
	needs   string // what installs the library, for the failure message
	args    []string
}

func confVerifiers() []confVerifier {
	const (
		debian = "Debian's %s (scripts/deps.sh installs it)"
		npm    = "npm ci in testdata/compat/node (scripts/deps.sh runs it)"
		gomod  = "the Go modules of testdata/compat/go (scripts/deps.sh downloads them)"
	)
	return []confVerifier{
		{"python-jose/jwk-dict", "python", "python_jose.py", fmt.Sprintf(debian, "python3-jose"), nil},
		{"PyJWT/PyJWKClient", "python", "pyjwt.py", fmt.Sprintf(debian, "python3-jwt"), nil},
		{"Authlib/authlib.jose", "python", "authlib_jose.py", fmt.Sprintf(debian, "python3-authlib"), nil},
		{"jwcrypto/JWKSet", "python", "jwcrypto_jwkset.py", fmt.Sprintf(debian, "python3-jwcrypto"), nil},
		{"jose/createRemoteJWKSet", "node", "jose.mjs", npm, nil},
		{"jsonwebtoken/jwks-rsa", "node", "jsonwebtoken_jwks_rsa.mjs", npm, nil},
		{"jsonwebtoken/createPublicKey", "node", "jsonwebtoken_public_key.mjs", npm, nil},
		{"fast-jwt/get-jwks", "node", "fast_jwt_get_jwks.mjs", npm, nil},
		{"fast-jwt/createPublicKey", "node", "fast_jwt_pem.mjs", npm, nil},
		{"ruby-jwt/jwks", "ruby", "ruby_jwt.rb", fmt.Sprintf(debian, "ruby and ruby-jwt"), nil},
		{"golang-jwt/keyfunc", "go", "golang-jwt", gomod, nil},
		{"go-jose/JSONWebKeySet", "go", "go-jose", gomod, nil},
		{"jwx/jwk.Fetch", "go", "jwx", gomod, nil},
		// Frameworks, each behind a real HTTP route on 127.0.0.1: one
		// process per setup serves the ten cases (one app per case).
		{"express-jwt/jwks-rsa", "node", "express_jwt.mjs", npm, nil},
		{"passport-jwt/jwks-rsa", "node", "passport_jwt.mjs", npm, nil},
		{"koa-jwt/jwks-rsa", "node", "koa_jwt.mjs", npm, nil},
		{"@nestjs/passport/passport-jwt", "node", "nest_passport.mjs", npm, nil},
		{"@nestjs/jwt/verifyAsync", "node", "nest_jwt.mjs", npm, nil},
		{"@fastify/jwt/get-jwks", "node", "fastify_jwt.mjs", npm, nil},
		{"@fastify/jwt/createPublicKey", "node", "fastify_jwt.mjs", npm, []string{"pem"}},
		{"hono/jwk", "node", "hono_jwk.mjs", npm, nil},
		{"@elysiajs/jwt/jwks-key", "node", "elysia_jwt.mjs", npm, nil},
		{"djangorestframework-simplejwt/default-claims", "python", "drf_simplejwt.py", fmt.Sprintf(debian, "python3-djangorestframework-simplejwt"), []string{"default"}},
		{"djangorestframework-simplejwt/sub-claims", "python", "drf_simplejwt.py", fmt.Sprintf(debian, "python3-djangorestframework-simplejwt"), []string{"claims"}},
		{"go-jwt-middleware/jwks.Provider", "go", "go-jwt-middleware", gomod, nil},
		{"gofiber/contrib/jwt/JWKSetURLs", "go", "fiber-jwt", gomod, nil},
		// Libraries called directly.
		{"aws-jwt-verify/JwtVerifier", "node", "aws_jwt_verify.mjs", npm, nil},
		{"node-jose/JWS.createVerify", "node", "node_jose.mjs", npm, nil},
		{"jose/createRemoteJWKSet-v5", "node", "jose.mjs", npm, []string{"jose5"}},
		{"jose/createRemoteJWKSet-v4", "node", "jose.mjs", npm, []string{"jose4"}},
		{"json-jwt/JWK-Set", "ruby", "json_jwt.rb", fmt.Sprintf(debian, "ruby-json-jwt"), nil},
		{"go-oidc/default-config", "go", "go-oidc", gomod, nil},
		{"go-oidc/SupportedSigningAlgs", "go", "go-oidc-algs", gomod, nil},
		{"golang-jwt/keyfunc-v2", "go", "keyfunc-v2", gomod, nil},
		{"golang-jwt/v4-keyfunc-v1", "go", "golang-jwt-v4", gomod, nil},
		{"jwx/v2-jwk.Fetch", "go", "jwx-v2", gomod, nil},
		{"jsonwebtoken-rs/JwkSet", "rust", "compat-rust", "cargo and Debian's librust-jsonwebtoken-dev (scripts/deps.sh installs them)", nil},
	}
}

// The interpreters are Debian's: they see the python3-* and ruby-* packages;
// a python3 or ruby earlier on PATH may be another one.
const (
	confPython = "/usr/bin/python3"
	confRuby   = "/usr/bin/ruby"
)

// confMatrix is matrix.json as this test reads it: strictly (unknown
// members are errors), and without the compat package, so that the suite
// checks the file itself.
type confMatrix struct {
	Schema       int                   `json:"schema"`
	MeasuredWith string                `json:"measuredWith"`
	Setups       []confSetup           `json:"setups"`
	NotMeasured  []json.RawMessage     `json:"notMeasured"`
	byID         map[string]*confSetup // filled by readConfMatrix
}

type confSetup struct {
	ID        string                `json:"id"`
	Library   string                `json:"library"`
	Language  string                `json:"language"`
	Framework string                `json:"framework"`
	Setup     string                `json:"setup"`
	Version   string                `json:"version"`
	Names     []string              `json:"names"`
	Over      string                `json:"over"`
	Results   map[string]confResult `json:"results"`
}

type confResult struct {
	Outcome string `json:"outcome"`
	Error   string `json:"error,omitempty"`
	Fix     string `json:"fix,omitempty"`
	Status  int    `json:"status,omitempty"`
	Cause   string `json:"cause,omitempty"`
}

// confCase is one line a verifier reads.
type confCase struct {
	Alg      string `json:"alg"`
	JWKSURL  string `json:"jwksUrl"`
	Token    string `json:"token"`
	Issuer   string `json:"issuer"`
	Audience string `json:"audience"`
}

// confMeasured is one line a verifier prints.
type confMeasured struct {
	Outcome string `json:"outcome"`
	Error   string `json:"error"`
	Version string `json:"version"`
	With    string `json:"with"`
	// Status is what a framework answered over HTTP; 0 for a library.
	Status int `json:"status"`
}

func readConfMatrix(t *testing.T, path string) *confMatrix {
	t.Helper()
	data, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	dec := json.NewDecoder(bytes.NewReader(data))
	dec.DisallowUnknownFields()
	var m confMatrix
	if err := dec.Decode(&m); err != nil {
		t.Fatalf("%s: %v", path, err)
	}
	if m.Schema != 1 {
		t.Fatalf("%s: schema %d, want 1", path, m.Schema)
	}
	m.byID = map[string]*confSetup{}
	for i := range m.Setups {
		s := &m.Setups[i]
		if m.byID[s.ID] != nil {
			t.Fatalf("%s: setup %s twice", path, s.ID)
		}
		m.byID[s.ID] = s
		if !slices.Contains(confLibraries(), s.Library) {
			t.Errorf("%s: setup %s: unknown library %q", path, s.ID, s.Library)
		}
		for alg, r := range s.Results {
			if (s.Framework != "") != (r.Outcome != "ok" && r.Status != 0) && r.Outcome != "ok" {
				t.Errorf("%s: setup %s %s: a framework's non-ok result has the status it answers, a library's none", path, s.ID, alg)
			}
		}
		if !strings.HasPrefix(s.ID, s.Library+"/") {
			t.Errorf("%s: setup id %s does not start with its library %s", path, s.ID, s.Library)
		}
		for _, alg := range confAlgs() {
			r, ok := s.Results[alg]
			switch {
			case !ok:
				t.Errorf("%s: setup %s has no result for %s", path, s.ID, alg)
			case r.Outcome == "ok" && (r.Error != "" || r.Fix != ""):
				t.Errorf("%s: setup %s %s: ok with an error or a fix", path, s.ID, alg)
			case r.Outcome != "ok" && r.Outcome != "rejected" && r.Outcome != "crash":
				t.Errorf("%s: setup %s %s: outcome %q, want ok, rejected or crash", path, s.ID, alg, r.Outcome)
			case r.Outcome != "ok" && (r.Error == "" || r.Fix == ""):
				t.Errorf("%s: setup %s %s: a %s result needs its error and a fix", path, s.ID, alg, r.Outcome)
			}
		}
		if len(s.Results) != len(confAlgs()) {
			t.Errorf("%s: setup %s has %d results, want one for each of %v", path, s.ID, len(s.Results), confAlgs())
		}
	}
	return &m
}

// TestConformanceFixesWork checks every fix against the table itself: an
// algorithm it names after keyPairConfig.alg must be one the setup
// verifies, and a library it names must verify the algorithm with at least
// one of its setups. A fix that does not work would send users in circles.
func TestConformanceFixesWork(t *testing.T) {
	m := readConfMatrix(t, "matrix.json")
	algWord := regexp.MustCompile(`\b(EdDSA|ES256|ES512|RS256|PS256)\b`)
	algRun := regexp.MustCompile(`keyPairConfig\.alg ((?:[A-Za-z0-9]+)(?:(?:, | or )[A-Za-z0-9]+)*)`)
	for _, s := range m.Setups {
		for _, alg := range confAlgs() {
			r := s.Results[alg]
			if r.Outcome == "ok" {
				continue
			}
			named := 0
			// What a fix says of another setup is checked below; the
			// library and keyPairConfig checks read the rest.
			rest := r.Fix
			for _, other := range m.Setups {
				rest = strings.ReplaceAll(rest, "setup "+other.ID, "")
			}
			for _, run := range algRun.FindAllStringSubmatch(rest, -1) {
				for _, a := range regexp.MustCompile(`, | or `).Split(run[1], -1) {
					named++
					if !slices.Contains(confAlgs(), a) {
						t.Errorf("%s %s: fix %q names keyPairConfig.alg %s, which Better Auth does not offer", s.ID, alg, r.Fix, a)
					} else if s.Results[a].Outcome != "ok" {
						t.Errorf("%s %s: fix %q names keyPairConfig.alg %s, but %s does not verify %s either", s.ID, alg, r.Fix, a, s.ID, a)
					}
				}
			}
			for _, lib := range confLibraries() {
				if !regexp.MustCompile(`(^|[^\w-])` + regexp.QuoteMeta(lib) + `($|[^\w-])`).MatchString(rest) {
					continue
				}
				named++
				verifies := false
				for _, other := range m.Setups {
					if other.Library == lib && other.Results[alg].Outcome == "ok" {
						verifies = true
					}
				}
				if !verifies {
					t.Errorf("%s %s: fix %q names %s, but no setup of %s verifies %s", s.ID, alg, r.Fix, lib, lib, alg)
				}
			}
			// A setup a fix names must verify the algorithms the fix
			// names, or this one when it names none.
			for _, other := range m.Setups {
				if !strings.Contains(r.Fix, "setup "+other.ID) {
					continue
				}
				named++
				want := []string{alg}
				if algs := algWord.FindAllString(r.Fix, -1); len(algs) > 0 {
					want = algs
				}
				for _, a := range want {
					if other.Results[a].Outcome != "ok" {
						t.Errorf("%s %s: fix %q names setup %s, which does not verify %s", s.ID, alg, r.Fix, other.ID, a)
					}
				}
			}
			if named == 0 {
				t.Errorf("%s %s: fix %q names neither a library, a setup nor a keyPairConfig.alg", s.ID, alg, r.Fix)
			}
		}
	}
}

func TestConformance(t *testing.T) {
	began := time.Now()
	root := testenv.RepoRoot(t)
	m := readConfMatrix(t, "matrix.json")
	verifiers := confVerifiers()
	for _, v := range verifiers {
		if m.byID[v.id] == nil {
			t.Errorf("matrix.json has no setup %s, which testdata/compat/%s/%s runs", v.id, v.lang, v.program)
		}
	}
	for _, s := range m.Setups {
		if !slices.ContainsFunc(verifiers, func(v confVerifier) bool { return v.id == s.ID }) {
			t.Errorf("matrix.json setup %s has no verifier in testdata/compat: it is not measured", s.ID)
		}
	}
	if t.Failed() {
		t.FailNow()
	}

	// The five servers and the Go build take seconds each, mostly CPU: the
	// build beside two servers at a time (CI machines have two cores; more
	// at once only makes each server slower to answer).
	algs := confAlgs()
	cases := make([]confCase, 2*len(algs)) // genuine, tampered, per alg
	var goBin, rustBin string
	serverSlots := make(chan struct{}, 2)
	testenv.Concurrently(t, len(algs)+2, func(tb testing.TB, i int) {
		switch i {
		case len(algs):
			began := time.Now()
			goBin = buildGoVerifiers(tb, filepath.Join(root, "testdata", "compat", "go"))
			tb.Logf("Go verifiers built in %s", time.Since(began).Round(time.Millisecond))
			return
		case len(algs) + 1:
			began := time.Now()
			rustBin = buildRustVerifier(tb, filepath.Join(root, "testdata", "compat", "rust"))
			tb.Logf("the Rust verifier built in %s", time.Since(began).Round(time.Millisecond))
			return
		}
		serverSlots <- struct{}{}
		defer func() { <-serverSlots }()
		alg := algs[i]
		// Patience: this test loads the machine itself, and the first token
		// of an RSA server waits for its key pair.
		ba := testenv.StartBetterAuth(tb, testenv.BetterAuthOptions{Alg: alg, Patience: 4})
		sess := ba.SignUp(tb, "conformance@example.com", "conformance-password-1", "Conformance")
		token := ba.TokenFromEndpoint(tb, sess)
		if got := headerAlg(tb, token); got != alg {
			tb.Fatalf("Better Auth configured with %s signed a token with alg %q", alg, got)
		}
		c := confCase{Alg: alg, JWKSURL: ba.JWKSURL, Token: token, Issuer: ba.Origin, Audience: ba.Origin}
		cases[2*i] = c
		c.Token = tamper(tb, token)
		cases[2*i+1] = c
	})
	t.Logf("five Better Auth servers, their tokens and the Go verifiers ready in %s", time.Since(began).Round(time.Millisecond))

	var input bytes.Buffer
	for _, c := range cases {
		b, err := json.Marshal(c)
		if err != nil {
			t.Fatal(err)
		}
		input.Write(b)
		input.WriteByte('\n')
	}

	// Every verifier reads all ten cases: one process per setup keeps the
	// interpreters' start-up (most of the time) to thirteen. Two cores
	// run four processes at a time well enough.
	runBegan := time.Now()
	measured := make([][]confMeasured, len(verifiers))
	failures := make([]string, len(verifiers))
	cpu := make([]time.Duration, len(verifiers))
	wall := make([]time.Duration, len(verifiers))
	sem := make(chan struct{}, 4)
	var wg sync.WaitGroup
	for i, v := range verifiers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			sem <- struct{}{}
			defer func() { <-sem }()
			began := time.Now()
			measured[i], cpu[i], failures[i] = runVerifier(root, goBin, rustBin, v, input.Bytes(), len(cases))
			wall[i] = time.Since(began)
		}()
	}
	wg.Wait()
	var cpuTotal time.Duration
	for _, c := range cpu {
		cpuTotal += c
	}
	// The CPU time says what the suite costs on an idle machine; the wall
	// time on a shared one says little.
	t.Logf("%d verifiers ran in %s (%s of CPU)", len(verifiers), time.Since(runBegan).Round(time.Millisecond), cpuTotal.Round(time.Millisecond))
	for _, f := range failures {
		if f != "" {
			t.Error(f)
		}
	}
	if t.Failed() {
		t.FailNow()
	}

	for i, v := range verifiers {
		s := m.byID[v.id]
		t.Logf("%s: ran in %s (%s of CPU)", v.id, wall[i].Round(time.Millisecond), cpu[i].Round(time.Millisecond))
		// Every result of one process carries the same versions.
		if got := measured[i][0]; got.Version != s.Version {
			t.Errorf("%s: ran %s %s, but matrix.json says version %s: measure again and update it", v.id, s.Library, got.Version, s.Version)
		} else if got.With != "" && !strings.Contains(s.Setup, got.With) {
			t.Errorf("%s: ran with %s, but matrix.json's setup text %q does not say so", v.id, got.With, s.Setup)
		}
		for j, alg := range algs {
			want := s.Results[alg]
			genuine, tampered := measured[i][2*j], measured[i][2*j+1]
			if genuine.Outcome != want.Outcome || !strings.HasPrefix(genuine.Error, want.Error) {
				t.Errorf("%s with a genuine %s token: measured %s %q, matrix.json says %s %q",
					v.id, alg, genuine.Outcome, genuine.Error, want.Outcome, want.Error)
			}
			// A framework answers over HTTP: the status is part of the row.
			if wantStatus := want.Status; s.Framework != "" && want.Outcome == "ok" {
				wantStatus = 200
				if genuine.Status != wantStatus {
					t.Errorf("%s with a genuine %s token: the framework answered %d, matrix.json says %d", v.id, alg, genuine.Status, wantStatus)
				}
			} else if genuine.Status != wantStatus {
				t.Errorf("%s with a genuine %s token: the framework answered %d, matrix.json says %d", v.id, alg, genuine.Status, wantStatus)
			}
			switch {
			case tampered.Outcome == "ok":
				t.Errorf("%s ACCEPTED A TAMPERED %s TOKEN (the payload changed, the signature kept): this setup does not verify signatures", v.id, alg)
			case genuine.Outcome == "ok" && tampered.Outcome != "rejected":
				t.Errorf("%s with a tampered %s token: %s %q, want rejected (the library's documented error, a 401)", v.id, alg, tampered.Outcome, tampered.Error)
			}
			t.Logf("%-30s %-5s genuine: %-8s tampered: %-8s %s", v.id, alg, genuine.Outcome, tampered.Outcome, clipText(genuine.Error, 90))
		}
	}
	t.Logf("conformance: %d setups × %d algorithms measured in %s", len(verifiers), len(algs), time.Since(began).Round(time.Millisecond))
}

// buildGoVerifiers builds compat-go, the Go verifiers (a module of their
// own, so that the libraries never enter baverify's go.mod), and returns
// its path.
func buildGoVerifiers(tb testing.TB, dir string) string {
	tb.Helper()
	out := filepath.Join(tb.TempDir(), "compat-go")
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Minute)
	defer cancel()
	cmd := exec.CommandContext(ctx, "go", "build", "-o", out, ".")
	cmd.Dir = dir
	cmd.Env = append(os.Environ(), "GOFLAGS=-mod=readonly -buildvcs=false", "GOWORK=off")
	if b, err := cmd.CombinedOutput(); err != nil {
		tb.Fatalf("building the Go verifiers in testdata/compat/go: %v (the modules come from the Go proxy; scripts/deps.sh downloads them)\n%s", err, b)
	}
	return out
}

// buildRustVerifier builds compat-rust, the Rust verifier, offline from
// Debian's crates (testdata/compat/rust/.cargo/config.toml), and returns its
// path. The build stays in testdata/compat/rust/target (git-ignored), so
// only the first one compiles; scripts/deps.sh makes that one.
func buildRustVerifier(tb testing.TB, dir string) string {
	tb.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Minute)
	defer cancel()
	cmd := exec.CommandContext(ctx, "cargo", "build", "--offline", "--quiet")
	cmd.Dir = dir
	if b, err := cmd.CombinedOutput(); err != nil {
		tb.Fatalf("building the Rust verifier in testdata/compat/rust: %v (it needs cargo and Debian's librust-jsonwebtoken-dev and librust-serde-json-dev; scripts/deps.sh installs them)\n%s", err, b)
	}
	return filepath.Join(dir, "target", "debug", "compat-rust")
}

// runVerifier runs v on the cases of input and returns its n results and
// the CPU time it took, or why it could not. goBin is compat-go, rustBin
// compat-rust.
func runVerifier(root, goBin, rustBin string, v confVerifier, input []byte, n int) ([]confMeasured, time.Duration, string) {
	dir := filepath.Join(root, "testdata", "compat", v.lang)
	var prog string
	var args []string
	switch v.lang {
	case "python":
		prog, args = confPython, append([]string{v.program}, v.args...)
	case "ruby":
		prog, args = confRuby, []string{v.program}
	case "node":
		if _, err := os.Stat(filepath.Join(dir, "node_modules", ".package-lock.json")); err != nil {
			return nil, 0, fmt.Sprintf("%s: the npm packages are not installed: %s", v.id, v.needs)
		}
		prog, args = "node", append([]string{v.program}, v.args...)
	case "go":
		prog, args = goBin, []string{v.program}
	case "rust":
		prog = rustBin
	}
	ctx, cancel := context.WithTimeout(context.Background(), 3*time.Minute)
	defer cancel()
	cmd := exec.CommandContext(ctx, prog, args...)
	cmd.Dir = dir
	noProxy := "127.0.0.1,localhost"
	if p := os.Getenv("NO_PROXY"); p != "" {
		noProxy = p + "," + noProxy
	}
	cmd.Env = append(os.Environ(), "NO_PROXY="+noProxy, "no_proxy="+noProxy,
		"PYTHONDONTWRITEBYTECODE=1", "PYTHONNOUSERSITE=1", "PYTHONUNBUFFERED=1")
	cmd.Stdin = bytes.NewReader(input)
	var stdout, stderr bytes.Buffer
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	err := cmd.Run()
	var cpu time.Duration
	if cmd.ProcessState != nil {
		cpu = cmd.ProcessState.UserTime() + cmd.ProcessState.SystemTime()
	}
	var out []confMeasured
	sc := bufio.NewScanner(&stdout)
	sc.Buffer(make([]byte, 64*1024), 1<<20)
	for sc.Scan() {
		var r confMeasured
		if e := json.Unmarshal(sc.Bytes(), &r); e != nil {
			return nil, cpu, fmt.Sprintf("%s (testdata/compat/%s/%s): printed %q, not a result: %v\n%s", v.id, v.lang, v.program, sc.Text(), e, stderr.String())
		}
		out = append(out, r)
	}
	if err != nil || len(out) != n {
		return nil, cpu, fmt.Sprintf("%s (testdata/compat/%s/%s) did not run: %v; %d of %d results; it needs %s\n%s",
			v.id, v.lang, v.program, err, len(out), n, v.needs, stderr.String())
	}
	return out, cpu, ""
}

// tamper returns token with a payload whose sub was changed, the header and
// signature kept: a forgery that only signature verification catches.
func tamper(tb testing.TB, token string) string {
	tb.Helper()
	parts := strings.Split(token, ".")
	payload, err := base64.RawURLEncoding.DecodeString(parts[1])
	if err != nil {
		tb.Fatal(err)
	}
	var claims map[string]any
	if err := json.Unmarshal(payload, &claims); err != nil {
		tb.Fatal(err)
	}
	claims["sub"] = fmt.Sprint(claims["sub"], "-forged")
	forged, err := json.Marshal(claims)
	if err != nil {
		tb.Fatal(err)
	}
	parts[1] = base64.RawURLEncoding.EncodeToString(forged)
	return strings.Join(parts, ".")
}

func headerAlg(tb testing.TB, token string) string {
	tb.Helper()
	h, err := base64.RawURLEncoding.DecodeString(strings.Split(token, ".")[0])
	if err != nil {
		tb.Fatal(err)
	}
	var header struct {
		Alg string `json:"alg"`
	}
	if err := json.Unmarshal(h, &header); err != nil {
		tb.Fatal(err)
	}
	return header.Alg
}

func clipText(s string, n int) string {
	s = strings.ReplaceAll(s, "\n", " ")
	if len(s) > n {
		return s[:n] + "…"
	}
	return s
}
