package testenv

import (
	"fmt"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"sort"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"
)

// BackendOptions configures a backend (testdata/backends) that verifies
// Better Auth JWTs the way real services do: FastAPI with python-jose
// ("jose") or PyJWT ("pyjwt"), or Node with jsonwebtoken and jwks-rsa
// ("jsonwebtoken").
type BackendOptions struct {
	Kind     string // "jose", "pyjwt", "flawed" (one flaw per route) or "jsonwebtoken"
	JWKSURL  string
	Issuer   string
	Audience string
	Widen    bool // jose only: WIDEN_ERRORS=1
	// TrustUnverified (pyjwt only: TRUST_UNVERIFIED=1) decodes tokens
	// without verifying them: the bug baverify probe must catch.
	TrustUnverified bool
	// GenericErrors (pyjwt only: GENERIC_ERRORS=1) answers every refusal
	// with {"detail": "Invalid token"}, hiding the library's reason as
	// many backends do.
	GenericErrors bool
	// Require (pyjwt only: REQUIRE=exp,iss,...) are claims PyJWT must find,
	// its options={"require": [...]}; by default PyJWT accepts a token
	// without exp.
	Require    []string
	RedirectTo string // target of GET /api/redirect (Python backends only)
	// HMACSecret (flawed only): how /hmac encodes the public key as its
	// HMAC secret: "pem" (default), "pem_stripped", "jwk" or "raw".
	HMACSecret string
	// JWKSCacheLifespan (pyjwt and flawed: JWKS_CACHE_LIFESPAN) is how
	// long PyJWKClient keeps the JWKS; 0 is PyJWT's 5 minutes.
	JWKSCacheLifespan time.Duration
}

// Backend is a started backend.
type Backend struct {
	URL string // e.g. http://127.0.0.1:PORT (no trailing slash)
}

// backendPython is Debian's interpreter, the one that sees the python3-*
// packages; the python3 on PATH may be another one.
const backendPython = "/usr/bin/python3"

var backendScripts = map[string]string{
	"jose":   "jose_backend.py",
	"pyjwt":  "pyjwt_backend.py",
	"flawed": "flawed_backend.py",
}

// backendModules maps the modules the backends import to the Debian
// packages that provide them.
var backendModules = map[string]string{
	"fastapi":      "python3-fastapi",
	"uvicorn":      "python3-uvicorn",
	"httpx":        "python3-httpx",
	"jose":         "python3-jose",
	"jwt":          "python3-jwt",
	"cryptography": "python3-cryptography",
}

// StartBackend starts the backend opts.Kind on a free port of 127.0.0.1 and
// waits until it says it serves and answers 200 on /healthz. It is stopped
// when the test ends. A missing interpreter or package fails the test,
// naming what to install.
func StartBackend(t testing.TB, opts BackendOptions) *Backend {
	t.Helper()
	if opts.Kind == "jsonwebtoken" {
		return startNodeBackend(t, opts)
	}
	script, ok := backendScripts[opts.Kind]
	if !ok {
		t.Fatalf("testenv: unknown backend kind %q (want \"jose\", \"pyjwt\", \"flawed\" or \"jsonwebtoken\")", opts.Kind)
	}
	if opts.Widen && opts.Kind != "jose" {
		t.Fatalf("testenv: Widen applies to the jose backend only")
	}
	if (opts.TrustUnverified || opts.GenericErrors) && opts.Kind != "pyjwt" {
		t.Fatalf("testenv: TrustUnverified and GenericErrors apply to the pyjwt backend only")
	}
	if len(opts.Require) > 0 && opts.Kind != "pyjwt" {
		t.Fatalf("testenv: Require applies to the pyjwt backend only")
	}
	if opts.JWKSCacheLifespan != 0 && (opts.Kind == "jose" || opts.JWKSCacheLifespan < time.Second) {
		t.Fatalf("testenv: JWKSCacheLifespan applies to the pyjwt and flawed backends only, in whole seconds")
	}
	lifespan := ""
	if opts.JWKSCacheLifespan > 0 {
		lifespan = strconv.Itoa(int(opts.JWKSCacheLifespan / time.Second))
	}
	if opts.JWKSURL == "" || opts.Issuer == "" || opts.Audience == "" {
		t.Fatalf("testenv: backend %s needs JWKSURL, Issuer and Audience", opts.Kind)
	}
	if err := checkBackendPython(); err != nil {
		t.Fatalf("testenv: backend %s: %v", opts.Kind, err)
	}
	name := "backend " + opts.Kind
	if opts.Widen {
		name += " (widened)"
	}
	trust := "0"
	if opts.TrustUnverified {
		name += " (trusting unverified tokens)"
		trust = "1"
	}
	widen := "0"
	if opts.Widen {
		widen = "1"
	}
	generic := "0"
	if opts.GenericErrors {
		name += " (generic errors)"
		generic = "1"
	}
	noProxy := "127.0.0.1,localhost"
	if v := os.Getenv("NO_PROXY"); v != "" {
		noProxy = v + "," + noProxy
	}
	dir := filepath.Join(RepoRoot(t), "testdata", "backends")

	for attempt := 1; ; attempt++ {
		port := FreePort(t)
		spec := ProcessSpec{
			Name: name,
			Dir:  dir,
			Path: backendPython,
			Args: []string{script},
			Env: []string{
				"PORT=" + strconv.Itoa(port),
				"JWKS_URL=" + opts.JWKSURL,
				"ISSUER=" + opts.Issuer,
				"AUDIENCE=" + opts.Audience,
				"REDIRECT_TO=" + opts.RedirectTo,
				"WIDEN_ERRORS=" + widen,
				"TRUST_UNVERIFIED=" + trust,
				"GENERIC_ERRORS=" + generic,
				"HMAC_SECRET=" + opts.HMACSecret,
				"REQUIRE=" + strings.Join(opts.Require, ","),
				"JWKS_CACHE_LIFESPAN=" + lifespan,
				"NO_PROXY=" + noProxy,
				"no_proxy=" + noProxy,
				"PYTHONUNBUFFERED=1",
				"PYTHONDONTWRITEBYTECODE=1",
				"PYTHONNOUSERSITE=1",
			},
			Ready: func(line string) bool {
				return strings.Contains(line, "Uvicorn running on http://127.0.0.1:"+strconv.Itoa(port))
			},
		}
		p, failure := tryStartProcess(t, spec)
		if failure != "" {
			if attempt == 1 && isBindFailure(failure) {
				t.Logf("testenv: %s: port %d was taken before it bound; retrying on another port", name, port)
				continue
			}
			t.Fatalf("%s", failure)
		}
		b := &Backend{URL: "http://127.0.0.1:" + strconv.Itoa(port)}
		if err := waitHealthy(b.URL+"/healthz", 10*time.Second); err != nil {
			t.Fatalf("testenv: %s: %v\n%s", name, err, p.Logs())
		}
		return b
	}
}

// startNodeBackend starts testdata/backends/jsonwebtoken_backend.mjs. It
// listens on a port the kernel picks and prints it, so it has no bind race.
// Its packages are the conformance suite's (testdata/compat/node).
func startNodeBackend(t testing.TB, opts BackendOptions) *Backend {
	t.Helper()
	if opts.Widen || opts.TrustUnverified || opts.GenericErrors || opts.RedirectTo != "" {
		t.Fatalf("testenv: Widen, TrustUnverified, GenericErrors and RedirectTo apply to the Python backends only")
	}
	if opts.JWKSCacheLifespan != 0 {
		t.Fatalf("testenv: JWKSCacheLifespan applies to the pyjwt and flawed backends only")
	}
	if opts.JWKSURL == "" || opts.Issuer == "" || opts.Audience == "" {
		t.Fatalf("testenv: backend %s needs JWKSURL, Issuer and Audience", opts.Kind)
	}
	root := RepoRoot(t)
	modules := filepath.Join(root, "testdata", "compat", "node")
	for _, pkg := range []string{"jsonwebtoken", "jwks-rsa"} {
		if _, err := os.Stat(filepath.Join(modules, "node_modules", pkg, "package.json")); err != nil {
			t.Fatalf("testenv: backend %s: %s is not installed: run `npm ci` in %s (scripts/deps.sh does)", opts.Kind, pkg, modules)
		}
	}
	readyc := make(readyLines, 1)
	p := StartProcess(t, ProcessSpec{
		Name: "backend " + opts.Kind,
		Dir:  filepath.Join(root, "testdata", "backends"),
		Path: "node",
		Args: []string{"jsonwebtoken_backend.mjs"},
		Env: []string{
			"PORT=0",
			"JWKS_URL=" + opts.JWKSURL,
			"ISSUER=" + opts.Issuer,
			"AUDIENCE=" + opts.Audience,
			"ALGORITHMS=",
		},
		Ready: readyc.see,
	})
	r := <-readyc
	b := &Backend{URL: "http://127.0.0.1:" + strconv.Itoa(r.Port)}
	if err := waitHealthy(b.URL+"/healthz", 10*time.Second); err != nil {
		t.Fatalf("testenv: backend %s: %v\n%s", opts.Kind, err, p.Logs())
	}
	return b
}

// isBindFailure reports whether a start failure is uvicorn losing the race
// for its port ("[Errno 98] error while attempting to bind on address
// ('127.0.0.1', N): address already in use").
func isBindFailure(failure string) bool {
	return strings.Contains(strings.ToLower(failure), "address already in use")
}

// tryStartProcess runs StartProcess and returns its failure message instead
// of failing the test, so that the caller can retry a lost bind race. The
// process is still stopped when the test ends.
func tryStartProcess(t testing.TB, spec ProcessSpec) (*Process, string) {
	t.Helper()
	soft := &softTB{TB: t}
	var p *Process
	done := make(chan struct{})
	go func() {
		defer close(done)
		p = StartProcess(soft, spec)
	}()
	<-done
	if soft.failure != "" {
		return nil, soft.failure
	}
	return p, ""
}

// softTB turns a fatal failure into a recorded message that ends only the
// goroutine that reported it.
type softTB struct {
	testing.TB
	failure string // written before runtime.Goexit, read after the goroutine ended
}

func (s *softTB) Fatalf(format string, args ...any) {
	s.failure = fmt.Sprintf(format, args...)
	runtime.Goexit()
}

func (s *softTB) Fatal(args ...any) {
	s.failure = fmt.Sprint(args...)
	runtime.Goexit()
}

func (s *softTB) FailNow() {
	s.failure = "testenv: FailNow"
	runtime.Goexit()
}

func waitHealthy(url string, within time.Duration) error {
	client := &http.Client{Timeout: 2 * time.Second}
	deadline := time.Now().Add(within)
	var last string
	for {
		resp, err := client.Get(url)
		if err == nil {
			resp.Body.Close()
			if resp.StatusCode == http.StatusOK {
				return nil
			}
			last = resp.Status
		} else {
			last = err.Error()
		}
		if time.Now().After(deadline) {
			return fmt.Errorf("GET %s did not answer 200 within %s: %s", url, within, last)
		}
		time.Sleep(50 * time.Millisecond)
	}
}

var (
	pythonCheckOnce sync.Once
	pythonCheckErr  error
)

// checkBackendPython checks, once per test binary, that Debian's python3
// and every module the backends import are installed.
func checkBackendPython() error {
	pythonCheckOnce.Do(func() {
		if _, err := os.Stat(backendPython); err != nil {
			pythonCheckErr = fmt.Errorf("%s is missing: install the Debian package python3", backendPython)
			return
		}
		modules := make([]string, 0, len(backendModules))
		for m := range backendModules {
			modules = append(modules, m)
		}
		sort.Strings(modules)
		src := "import importlib\nmissing = []\nfor m in " + pyList(modules) + ":\n" +
			"    try:\n        importlib.import_module(m)\n" +
			"    except ImportError:\n        missing.append(m)\n" +
			"print(' '.join(missing))\n"
		cmd := exec.Command(backendPython, "-c", src)
		cmd.Env = append(os.Environ(), "PYTHONNOUSERSITE=1", "PYTHONDONTWRITEBYTECODE=1")
		out, err := cmd.Output()
		if err != nil {
			pythonCheckErr = fmt.Errorf("%s could not check its modules: %v", backendPython, err)
			return
		}
		missing := strings.Fields(string(out))
		if len(missing) == 0 {
			return
		}
		var pkgs []string
		for _, m := range missing {
			pkgs = append(pkgs, backendModules[m])
		}
		pythonCheckErr = fmt.Errorf("%s lacks the module(s) %s: install the Debian package(s) %s",
			backendPython, strings.Join(missing, ", "), strings.Join(pkgs, " "))
	})
	return pythonCheckErr
}

func pyList(items []string) string {
	quoted := make([]string, len(items))
	for i, s := range items {
		quoted[i] = strconv.Quote(s)
	}
	return "[" + strings.Join(quoted, ", ") + "]"
}
