package cmd

import (
	"context"
	"crypto/sha256"
	"encoding/base64"
	"encoding/json"
	"flag"
	"fmt"
	"net/http"
	"os"
	"path/filepath"
	"regexp"
	"sort"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/baverify/baverify/internal/testenv"
)

// The output blocks of README.md and docs/*.md that claim to be real
// output are generated: a marker line names a scenario, and the fenced
// block under it is what that scenario prints now, normalised (ports, key
// ids, user ids, times and durations made stable):
//
//	<!-- output: readme-token-valid sections=Checks,Verdict -->
//	```
//	$ baverify token --base-url http://127.0.0.1:3000 "$JWT"
//	…
//	```
//
// TestDocsOutput runs every scenario in process against the real Better
// Auth test server and the real FastAPI backends, and fails when a block
// differs; go test ./cmd -run TestDocsOutput -update-docs rewrites them.
// Options after the name cut an excerpt, each cut marked by a "…" line:
//
//	sections=A,B   keep only the sections whose heading line (a line that
//	               is not indented) starts with A or B, with their indented
//	               lines; a blank line between kept sections stays
//	lines=1-12,40- keep these lines (of the output after sections=, from 1)
//	max=N          keep at most N lines under each heading; max=A:N,B:M
//	               only under the headings that start with A or B
var updateDocs = flag.Bool("update-docs", false, "rewrite the generated output blocks of README.md and docs/*.md (TestDocsOutput)")

// docsMarker is the line above a generated block.
var docsMarker = regexp.MustCompile(`^<!-- output: ([a-z0-9-]+)((?: [a-z]+=[^ ]+)*) -->$`)

// docsPorts are the fixed ports the docs show for each server.
const (
	docsBAPort        = "3000"
	docsJosePort      = "8000"
	docsJoseWidePort  = "8001"
	docsPyJWTPort     = "8002"
	docsPyJWTAudPort  = "8003"
	docsFakeKid       = "xYJbGgn67MuEd63YiM7U0lsOXw9AGyKA"
	docsFakeSub       = "2fsFj5OgQdtlViOh5NJkjzo0sh2MFFFj"
	docsFakeX         = "VRcZcmq8_7sDncsoA7P24_eIlUDTS046a_4MlM0BC1o"
	docsFakeThumb     = "g72rmhQjnGZCz9j8jMUhqsrb-NpnLbVKPLNmv2L6924"
	docsFakeIssuedRFC = "2026-11-30T04:53:26Z" // the token's iat, as the docs show it
)

// docsWorld is the servers and the token the live scenarios use, started
// once per test run.
type docsWorld struct {
	ba                              *testenv.BetterAuth
	jose, joseWide, pyjwt, pyjwtAud *testenv.Backend
	token                           string
	// The docs show the runs as if made 9 s after the token's iat, at
	// fakeNow: the runs use the real clock (the servers date their answers
	// with it, and a fixed clock would be a clock skew), and normalise
	// moves the times they print.
	shift                     time.Duration // from the token's real iat to docsFakeIssuedRFC
	fakeIat, fakeExp, fakeNow time.Time
	replace                   *strings.Replacer
	raw                       []string // the values replace replaces
}

func startDocsWorld(t *testing.T) *docsWorld {
	t.Helper()
	w := &docsWorld{}
	w.ba = testenv.StartBetterAuth(t, testenv.BetterAuthOptions{})
	w.ba.SignUp(t, e2eEmail, e2ePassword, "Alice")
	w.token = e2eLogin(t, w.ba, "EdDSA")
	backend := func(kind string, widen bool, audience string) *testenv.Backend {
		return testenv.StartBackend(t, testenv.BackendOptions{Kind: kind, JWKSURL: w.ba.JWKSURL, Issuer: w.ba.Origin, Audience: audience, Widen: widen})
	}
	w.jose = backend("jose", false, w.ba.Origin)
	w.joseWide = backend("jose", true, w.ba.Origin)
	w.pyjwt = backend("pyjwt", false, w.ba.Origin)
	w.pyjwtAud = backend("pyjwt", false, "https://api.example.com")

	// The volatile values: the token's iat, sub and kid, the key's x and
	// thumbprint, and the ports.
	parts := strings.Split(w.token, ".")
	var claims struct {
		Iat int64  `json:"iat"`
		Exp int64  `json:"exp"`
		Sub string `json:"sub"`
	}
	var header struct {
		Kid string `json:"kid"`
	}
	decodeSeg(t, parts[0], &header)
	decodeSeg(t, parts[1], &claims)
	var set struct {
		Keys []map[string]any `json:"keys"`
	}
	if err := json.Unmarshal(w.ba.JWKS(t), &set); err != nil || len(set.Keys) != 1 {
		t.Fatalf("the test server's JWKS: %v (%d keys)", err, len(set.Keys))
	}
	x, _ := set.Keys[0]["x"].(string)
	sum := sha256.Sum256([]byte(`{"crv":"Ed25519","kty":"OKP","x":"` + x + `"}`))
	thumb := base64.RawURLEncoding.EncodeToString(sum[:])
	iat := time.Unix(claims.Iat, 0).UTC()
	fake, err := time.Parse(time.RFC3339, docsFakeIssuedRFC)
	if err != nil {
		t.Fatal(err)
	}
	w.shift = fake.Sub(iat)
	w.fakeIat, w.fakeExp = fake, fake.Add(time.Duration(claims.Exp-claims.Iat)*time.Second)
	w.fakeNow = fake.Add(9 * time.Second)
	hostPort := func(u string) string { return strings.TrimPrefix(u, "http://") }
	w.raw = []string{header.Kid, claims.Sub, x, thumb, hostPort(w.ba.Origin), hostPort(w.jose.URL), hostPort(w.pyjwt.URL)}
	w.replace = strings.NewReplacer(
		header.Kid, docsFakeKid,
		claims.Sub, docsFakeSub,
		x, docsFakeX,
		thumb, docsFakeThumb,
		hostPort(w.ba.Origin), "127.0.0.1:"+docsBAPort,
		strings.Replace(hostPort(w.ba.Origin), "127.0.0.1", "localhost", 1), "localhost:"+docsBAPort,
		hostPort(w.jose.URL), "127.0.0.1:"+docsJosePort,
		hostPort(w.joseWide.URL), "127.0.0.1:"+docsJoseWidePort,
		hostPort(w.pyjwt.URL), "127.0.0.1:"+docsPyJWTPort,
		hostPort(w.pyjwtAud.URL), "127.0.0.1:"+docsPyJWTAudPort,
	)
	return w
}

func decodeSeg(t *testing.T, seg string, v any) {
	t.Helper()
	b, err := base64.RawURLEncoding.DecodeString(seg)
	if err == nil {
		err = json.Unmarshal(b, v)
	}
	if err != nil {
		t.Fatalf("decoding %q: %v", seg, err)
	}
}

var (
	docsRFC3339  = regexp.MustCompile(`\b\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(?:\.\d+)?Z\b`)
	docsUnix     = regexp.MustCompile(`\b1[0-9]{9}\b`)
	docsIn       = regexp.MustCompile(`\b((?:expires|expiring)? ?in )(?:\d+h)?(?:\d+m)?(?:\d+s)\b`)
	docsAgo      = regexp.MustCompile(`\b(?:\d+h)?(?:\d+m)?\d+s ago\b`)
	docsHTTPDate = regexp.MustCompile(`\b(?:Mon|Tue|Wed|Thu|Fri|Sat|Sun), \d\d (?:Jan|Feb|Mar|Apr|May|Jun|Jul|Aug|Sep|Oct|Nov|Dec) \d{4} \d\d:\d\d:\d\d GMT\b`)
	docsLatency  = regexp.MustCompile(`\b\d+(?:\.\d+)?( ?)(?:ms|µs)\b`)
	docsLoopback = regexp.MustCompile(`\b127\.0\.0\.1:\d{4,5}\b`)
	docsJWT      = regexp.MustCompile(`\beyJ[A-Za-z0-9_-]{8,}\.[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+`)
)

// normalise makes a live run's output stable: the servers' values become
// the docs' fixed ones, absolute times move by the same shift (so that the
// token's iat is docsFakeIssuedRFC), latencies become 12ms, other ports of
// 127.0.0.1 become PORT, and a whole token becomes $JWT.
func (w *docsWorld) normalise(s string) string {
	if w == nil {
		return s
	}
	s = w.replace.Replace(s)
	s = docsRFC3339.ReplaceAllStringFunc(s, func(v string) string {
		t, err := time.Parse(time.RFC3339Nano, v)
		if err != nil {
			return v
		}
		switch t = t.Add(w.shift).UTC(); {
		case strings.Contains(v, "."):
			// A server's own timestamp (createdAt): taken when the test
			// signed up.
			return w.fakeNow.Format("2006-01-02T15:04:05.000Z")
		case t.Equal(w.fakeIat) || t.Equal(w.fakeExp):
			return t.Format(time.RFC3339)
		}
		return w.fakeNow.Format(time.RFC3339) // the run's clock
	})
	s = docsUnix.ReplaceAllStringFunc(s, func(v string) string {
		n, err := strconv.ParseInt(v, 10, 64)
		if err != nil || n < w.fakeIat.Unix()-int64(w.shift/time.Second)-86400 || n > w.fakeIat.Unix()-int64(w.shift/time.Second)+86400 {
			return v
		}
		return strconv.FormatInt(n+int64(w.shift/time.Second), 10)
	})
	// An answer's Date: the run's clock.
	s = docsHTTPDate.ReplaceAllString(s, w.fakeNow.Format(http.TimeFormat))
	// Times relative to the run's clock: the token expires in the future
	// and was issued in the past.
	s = docsIn.ReplaceAllString(s, "${1}"+docsDuration(w.fakeExp.Sub(w.fakeNow)))
	s = docsAgo.ReplaceAllString(s, docsDuration(w.fakeNow.Sub(w.fakeIat))+" ago")
	s = docsLatency.ReplaceAllString(s, "12${1}ms")
	s = docsLoopback.ReplaceAllStringFunc(s, func(v string) string {
		switch port := strings.TrimPrefix(v, "127.0.0.1:"); port {
		case docsBAPort, docsJosePort, docsJoseWidePort, docsPyJWTPort, docsPyJWTAudPort, "46791":
			return v
		}
		return "127.0.0.1:PORT"
	})
	return docsJWT.ReplaceAllString(s, "$$JWT")
}

// docsDuration writes d as baverify does: 14m51s, 9s.
func docsDuration(d time.Duration) string {
	d = d.Round(time.Second)
	var b strings.Builder
	if h := int(d.Hours()); h > 0 {
		fmt.Fprintf(&b, "%dh", h)
	}
	if m := int(d.Minutes()) % 60; m > 0 {
		fmt.Fprintf(&b, "%dm", m)
	}
	fmt.Fprintf(&b, "%ds", int(d.Seconds())%60)
	return b.String()
}

// docsScenario is one command whose output a document shows.
type docsScenario struct {
	// shown is the command line the block starts with ("$ " added), ""
	// for a block of output alone.
	shown string
	// live: the scenario needs the servers.
	live bool
	// exit: the block ends with "$ echo $?" and the exit code.
	exit bool
	run  func(t *testing.T, w *docsWorld) testRun
}

// real is the token captured from Better Auth 1.7.25 in testdata/real,
// run at a fixed time: no server, and nothing to normalise.
func docsReal(t *testing.T, now string, args ...string) testRun {
	t.Helper()
	at, err := time.Parse(time.RFC3339, now)
	if err != nil {
		t.Fatal(err)
	}
	return run(t, runConfig{now: at}, args...)
}

// docsLive runs baverify with the real clock (normalise moves the times).
func docsLive(t *testing.T, w *docsWorld, args ...string) testRun {
	t.Helper()
	return docsLiveIn(t, runConfig{}, "", args...)
}

// docsLiveIn is docsLive with stdin and a cache directory of its own
// ("" for a fresh one).
func docsLiveIn(t *testing.T, cfg runConfig, cacheDir string, args ...string) testRun {
	t.Helper()
	f, out, errOut := newTestFactory(t, cfg)
	f.Now = time.Now                      // the servers date their answers with it
	f.Version = BuildInfo{Version: "dev"} // what a build from the checkout says
	if cacheDir != "" {
		f.CacheDir = func() (string, error) { return cacheDir, nil }
	}
	code := Execute(context.Background(), f, args)
	return testRun{code: code, stdout: out.String(), stderr: errOut.String()}
}

func docsScenarios() map[string]docsScenario {
	realDir := filepath.Join("..", "testdata", "real", "EdDSA")
	realToken := filepath.Join(realDir, "token.jwt")
	realJWKS := filepath.Join(realDir, "jwks.json")
	pasted := func(tok string) string {
		dots := strings.Index(tok, ".")
		return tok[:dots+1+130] + "\n" + tok[dots+1+130:] // a line break inside the payload, at byte 150 or so
	}
	return map[string]docsScenario{
		"readme-token-valid": {
			shown: `baverify token --base-url http://127.0.0.1:3000 "$JWT"`, live: true,
			run: func(t *testing.T, w *docsWorld) testRun {
				return docsLive(t, w, "token", "--no-cache", "--base-url", w.ba.BaseURL, w.token)
			},
		},
		"readme-token-pasted": {
			shown: `baverify token --base-url http://127.0.0.1:3000 "$PASTED"`, live: true, exit: true,
			run: func(t *testing.T, w *docsWorld) testRun {
				return docsLive(t, w, "token", "--no-cache", "--base-url", w.ba.BaseURL, pasted(w.token))
			},
		},
		"readme-jwks-strict": {
			shown: `baverify jwks --strict http://127.0.0.1:3000`, live: true,
			run: func(t *testing.T, w *docsWorld) testRun {
				return docsLive(t, w, "jwks", "--no-cache", "--strict", w.ba.BaseURL)
			},
		},
		"readme-call-jose": {
			shown: `baverify call http://127.0.0.1:8000/api/me --base-url http://127.0.0.1:3000 --token "$JWT"`, live: true,
			run: func(t *testing.T, w *docsWorld) testRun {
				return docsLive(t, w, "call", "--no-cache", w.jose.URL+"/api/me", "--base-url", w.ba.BaseURL, "--token", w.token)
			},
		},
		"readme-probe-pyjwt": {
			shown: `baverify probe http://127.0.0.1:8002/api/me --base-url http://127.0.0.1:3000 --token "$JWT"`, live: true,
			run: func(t *testing.T, w *docsWorld) testRun {
				return docsLive(t, w, "probe", "--no-cache", w.pyjwt.URL+"/api/me", "--base-url", w.ba.BaseURL, "--token", w.token)
			},
		},
		"token-expired-audience": {
			shown: "baverify token --jwks testdata/real/EdDSA/jwks.json --issuer http://127.0.0.1:46791 --audience https://api.example.com --now 2026-11-26T20:04:37Z --token-file testdata/real/EdDSA/token.jwt",
			run: func(t *testing.T, _ *docsWorld) testRun {
				r := docsReal(t, "2026-11-26T20:04:37Z", "token", "--jwks", realJWKS, "--issuer", "http://127.0.0.1:46791",
					"--audience", "https://api.example.com", "--token-file", realToken)
				r.stdout = strings.ReplaceAll(r.stdout, realJWKS, "testdata/real/EdDSA/jwks.json")
				return r
			},
		},
		"token-pasted-errors": {
			run: func(t *testing.T, _ *docsWorld) testRun {
				tok, err := os.ReadFile(realToken)
				if err != nil {
					t.Fatal(err)
				}
				return docsReal(t, "2026-11-26T19:50:00Z", "token", "--jwks", realJWKS, "--issuer", "http://127.0.0.1:46791",
					"--audience", "http://127.0.0.1:46791", pasted(strings.TrimSpace(string(tok))))
			},
		},
		"token-backends": {
			run: func(t *testing.T, _ *docsWorld) testRun {
				return docsReal(t, "2026-11-26T19:50:00Z", "token", "--jwks", realJWKS, "--issuer", "http://127.0.0.1:46791",
					"--audience", "http://127.0.0.1:46791", "--token-file", realToken)
			},
		},
		"jwks-second-run": {
			shown: `baverify jwks http://127.0.0.1:3000`, live: true,
			run: func(t *testing.T, w *docsWorld) testRun {
				cache := t.TempDir()
				docsLiveIn(t, runConfig{}, cache, "jwks", w.ba.BaseURL)
				return docsLiveIn(t, runConfig{}, cache, "jwks", w.ba.BaseURL)
			},
		},
		"jwks-expect-alg": {
			shown: `baverify jwks --strict --expect-alg ES256 --min-keys 1 http://127.0.0.1:3000`, live: true, exit: true,
			run: func(t *testing.T, w *docsWorld) testRun {
				return docsLive(t, w, "jwks", "--no-cache", "--strict", "--expect-alg", "ES256", "--min-keys", "1", w.ba.BaseURL)
			},
		},
		"login-failures": {
			live: true,
			run: func(t *testing.T, w *docsWorld) testRun {
				wrong := docsLiveIn(t, runConfig{stdin: "wrong-password\n"}, "", "login", "--base-url", w.ba.BaseURL, "--email", e2eEmail, "--password-stdin")
				local := strings.Replace(w.ba.BaseURL, "127.0.0.1", "localhost", 1)
				origin := docsLiveIn(t, runConfig{stdin: e2ePassword + "\n"}, "", "login", "--base-url", local, "--email", e2eEmail, "--password-stdin")
				return testRun{code: origin.code, stdout: "$ echo wrong-password | baverify login --base-url http://127.0.0.1:3000 --email " + e2eEmail + " --password-stdin\n" +
					wrong.stdout + wrong.stderr +
					"$ baverify login --base-url http://localhost:3000 --email " + e2eEmail + " --password-stdin < pw.txt\n" +
					origin.stdout + origin.stderr}
			},
		},
		"token-batch-json-line": {
			live: true,
			run: func(t *testing.T, w *docsWorld) testRun {
				// A log of three lines: a token, a blank line, the token with
				// its signature changed; the block shows the third line's object.
				parts := strings.Split(w.token, ".")
				sig := []byte(parts[2])
				if i := len(sig) / 2; sig[i] == 'A' {
					sig[i] = 'B'
				} else {
					sig[i] = 'A'
				}
				file := filepath.Join(t.TempDir(), "tokens.txt")
				if err := os.WriteFile(file, []byte(w.token+"\n\n"+parts[0]+"."+parts[1]+"."+string(sig)+"\n"), 0o600); err != nil {
					t.Fatal(err)
				}
				r := docsLive(t, w, "token", "--no-cache", "--batch", file, "-o", "json", "--base-url", w.ba.BaseURL)
				for _, l := range strings.Split(r.stdout, "\n") {
					if strings.HasPrefix(l, `{"line":3,`) {
						return testRun{code: r.code, stdout: l + "\n"}
					}
				}
				t.Fatalf("no object for line 3 in:\n%s\n%s", r.stdout, r.stderr)
				return r
			},
		},
		"backend401-call-jose": {
			shown: `baverify call http://127.0.0.1:8000/api/me --base-url http://127.0.0.1:3000 --token "$TOKEN"`, live: true,
			run: func(t *testing.T, w *docsWorld) testRun {
				return docsLive(t, w, "call", "--no-cache", w.jose.URL+"/api/me", "--base-url", w.ba.BaseURL, "--token", w.token)
			},
		},
		"backend401-call-jose-widened": {
			live: true,
			run: func(t *testing.T, w *docsWorld) testRun {
				return docsLive(t, w, "call", "--no-cache", w.joseWide.URL+"/api/me", "--base-url", w.ba.BaseURL, "--token", w.token)
			},
		},
		"backend401-call-audience": {
			live: true,
			run: func(t *testing.T, w *docsWorld) testRun {
				return docsLive(t, w, "call", "--no-cache", w.pyjwtAud.URL+"/api/me", "--base-url", w.ba.BaseURL, "--token", w.token)
			},
		},
	}
}

// docsBlock is one generated block of a document.
type docsBlock struct {
	file     string
	line     int // of the marker, from 1
	name     string
	opts     []string
	from, to int // the block's content: lines [from, to) of the file
}

// findDocsBlocks returns the generated blocks of a document's lines.
func findDocsBlocks(file string, lines []string) ([]docsBlock, error) {
	var blocks []docsBlock
	for i, l := range lines {
		m := docsMarker.FindStringSubmatch(l)
		if m == nil {
			if strings.HasPrefix(l, "<!-- output:") {
				return nil, fmt.Errorf("%s:%d: a malformed output marker: %q", file, i+1, l)
			}
			continue
		}
		if i+1 >= len(lines) || !strings.HasPrefix(lines[i+1], "```") {
			return nil, fmt.Errorf("%s:%d: the output marker is not followed by a ``` block", file, i+1)
		}
		end := i + 2
		for end < len(lines) && !strings.HasPrefix(lines[end], "```") {
			end++
		}
		if end == len(lines) {
			return nil, fmt.Errorf("%s:%d: the block under the output marker never ends", file, i+1)
		}
		blocks = append(blocks, docsBlock{file: file, line: i + 1, name: m[1], opts: strings.Fields(m[2]), from: i + 2, to: end})
	}
	return blocks, nil
}

// docsExcerpt applies a marker's options to an output's lines.
func docsExcerpt(out string, opts []string) ([]string, error) {
	lines := strings.Split(strings.TrimRight(out, "\n"), "\n")
	keep := make([]bool, len(lines))
	for i := range keep {
		keep[i] = true
	}
	heading := func(l string) bool { return l != "" && l[0] != ' ' }
	for _, o := range opts {
		key, val, _ := strings.Cut(o, "=")
		switch key {
		case "sections":
			names := strings.Split(val, ",")
			in := false
			for i, l := range lines {
				if heading(l) {
					in = false
					for _, n := range names {
						in = in || strings.HasPrefix(l, n)
					}
				}
				keep[i] = keep[i] && in
			}
		case "lines":
			sel := make([]bool, len(lines))
			n := 0
			for i := range lines {
				if keep[i] {
					n++
					sel[i] = inRanges(n, val)
				}
			}
			for i := range keep {
				keep[i] = keep[i] && sel[i]
			}
		case "max":
			limits := map[string]int{}
			for _, part := range strings.Split(val, ",") {
				name, n, named := strings.Cut(part, ":")
				if !named {
					name, n = "", part
				}
				limit, err := strconv.Atoi(n)
				if err != nil {
					return nil, fmt.Errorf("max=%s: %q is not a number", val, n)
				}
				limits[name] = limit
			}
			under, limit := 0, -1
			for i, l := range lines {
				switch {
				case heading(l):
					under, limit = 0, -1
					for name, n := range limits {
						if strings.HasPrefix(l, name) {
							limit = n
						}
					}
				case l != "":
					under++
					keep[i] = keep[i] && (limit < 0 || under <= limit)
				}
			}
		default:
			return nil, fmt.Errorf("unknown option %q (want sections=, lines= or max=)", o)
		}
	}
	// The kept lines, a "…" line for each run of cut ones; no blank line
	// next to a cut.
	var got []string
	trim := func() {
		for len(got) > 0 && got[len(got)-1] == "" {
			got = got[:len(got)-1]
		}
	}
	cut := false
	for i, l := range lines {
		if !keep[i] {
			cut = true
			continue
		}
		if cut {
			trim()
			if len(got) == 0 || got[len(got)-1] != "…" {
				got = append(got, "…")
			}
			cut = false
			if l == "" {
				continue
			}
		}
		got = append(got, l)
	}
	trim()
	if cut && (len(got) == 0 || got[len(got)-1] != "…") {
		got = append(got, "…")
	}
	if len(got) == 0 || len(got) == 1 && got[0] == "…" {
		return nil, fmt.Errorf("the options %v keep nothing of:\n%s", opts, out)
	}
	return got, nil
}

// inRanges: n is in "1-12,40-52,60-" (a range without an end runs on).
func inRanges(n int, ranges string) bool {
	for _, r := range strings.Split(ranges, ",") {
		lo, hi, isRange := strings.Cut(r, "-")
		a, err := strconv.Atoi(lo)
		if err != nil {
			continue
		}
		b := a
		if isRange {
			b = 1 << 30
			if hi != "" {
				if b, err = strconv.Atoi(hi); err != nil {
					continue
				}
			}
		}
		if a <= n && n <= b {
			return true
		}
	}
	return false
}

// TestDocsOutput: every generated output block is what its command prints
// now (see updateDocs above).
func TestDocsOutput(t *testing.T) {
	scenarios := docsScenarios()
	type doc struct {
		lines  []string
		blocks []docsBlock
	}
	docs := map[string]*doc{}
	live := false
	total := 0
	for _, file := range docFiles(t) {
		text, err := os.ReadFile(file)
		if err != nil {
			t.Fatal(err)
		}
		lines := strings.Split(string(text), "\n")
		blocks, err := findDocsBlocks(filepath.Base(file), lines)
		if err != nil {
			t.Fatal(err)
		}
		for _, b := range blocks {
			s, ok := scenarios[b.name]
			if !ok {
				t.Fatalf("%s:%d: no scenario %q in cmd/docs_output_test.go", b.file, b.line, b.name)
			}
			live = live || s.live
		}
		docs[file] = &doc{lines: lines, blocks: blocks}
		total += len(blocks)
	}
	if total == 0 {
		t.Fatal("no output markers found in README.md or docs/")
	}
	var w *docsWorld
	if live {
		w = startDocsWorld(t)
	}
	var mu sync.Mutex
	outputs := map[string]string{}
	codes := map[string]int{}
	output := func(name string) string {
		mu.Lock()
		defer mu.Unlock()
		if o, ok := outputs[name]; ok {
			return o
		}
		s := scenarios[name]
		r := s.run(t, w)
		// stdout is the output; stderr (warnings, notes) follows it, as a
		// terminal shows both.
		o := stripANSI(r.stdout + r.stderr)
		codes[name] = r.code
		if s.live {
			o = w.normalise(o)
		}
		outputs[name] = o
		return o
	}
	if w != nil {
		// Nothing of this run's servers is left after normalising, and a
		// second run of a scenario prints the same.
		for _, name := range []string{"readme-call-jose", "readme-jwks-strict"} {
			first := output(name)
			for _, raw := range w.raw {
				if strings.Contains(first, raw) {
					t.Errorf("%s: %q of this run survives normalising:\n%s", name, raw, first)
				}
			}
			mu.Lock()
			delete(outputs, name)
			mu.Unlock()
			time.Sleep(1100 * time.Millisecond) // another second on the clock
			if again := output(name); again != first {
				t.Errorf("%s: two runs differ after normalising:\n--- first\n%s\n--- second\n%s", name, first, again)
			}
		}
	}
	files := make([]string, 0, len(docs))
	for f := range docs {
		files = append(files, f)
	}
	sort.Strings(files)
	for _, file := range files {
		d := docs[file]
		changed := false
		// From the last block up, so that earlier line numbers hold.
		for i := len(d.blocks) - 1; i >= 0; i-- {
			b := d.blocks[i]
			s := scenarios[b.name]
			got, err := docsExcerpt(output(b.name), b.opts)
			if err != nil {
				t.Errorf("%s:%d (%s): %v", b.file, b.line, b.name, err)
				continue
			}
			if s.shown != "" {
				got = append([]string{"$ " + s.shown}, got...)
			}
			if s.exit {
				got = append(got, "$ echo $?", strconv.Itoa(codes[b.name]))
			}
			have := d.lines[b.from:b.to]
			if strings.Join(have, "\n") == strings.Join(got, "\n") {
				continue
			}
			if !*updateDocs {
				t.Errorf("%s:%d: the %s block is not what the command prints now (go test ./cmd -run TestDocsOutput -update-docs rewrites it)\n--- now\n%s\n--- in the document\n%s",
					b.file, b.line, b.name, strings.Join(got, "\n"), strings.Join(have, "\n"))
				continue
			}
			d.lines = append(d.lines[:b.from], append(got, d.lines[b.to:]...)...)
			changed = true
		}
		if changed {
			if err := os.WriteFile(file, []byte(strings.Join(d.lines, "\n")), 0o644); err != nil {
				t.Fatal(err)
			}
			t.Logf("rewrote the output blocks of %s", file)
		}
	}
}

// TestDocsExcerpt: the marker options cut what they say, and each cut is
// one "…" line.
func TestDocsExcerpt(t *testing.T) {
	out := "Header\n  alg x\n\nChecks\n  a\n  b\n  c\n\nErrors\n  e1\n    hint\n\nVerdict: INVALID\n"
	for _, tc := range []struct {
		opts []string
		want string
	}{
		{nil, "Header\n  alg x\n\nChecks\n  a\n  b\n  c\n\nErrors\n  e1\n    hint\n\nVerdict: INVALID"},
		{[]string{"sections=Checks,Verdict"}, "…\nChecks\n  a\n  b\n  c\n…\nVerdict: INVALID"},
		{[]string{"sections=Checks", "max=2"}, "…\nChecks\n  a\n  b\n…"},
		{[]string{"sections=Checks,Errors", "max=Checks:1"}, "…\nChecks\n  a\n…\nErrors\n  e1\n    hint\n…"},
		{[]string{"lines=1-2,13"}, "Header\n  alg x\n…\nVerdict: INVALID"},
		{[]string{"sections=Errors,Verdict"}, "…\nErrors\n  e1\n    hint\n\nVerdict: INVALID"},
	} {
		got, err := docsExcerpt(out, tc.opts)
		if err != nil {
			t.Fatalf("%v: %v", tc.opts, err)
		}
		if g := strings.Join(got, "\n"); g != tc.want {
			t.Errorf("%v:\n--- got\n%s\n--- want\n%s", tc.opts, g, tc.want)
		}
	}
	for _, bad := range [][]string{{"sections=Nothing"}, {"max=x"}, {"grep=a"}} {
		if _, err := docsExcerpt(out, bad); err == nil {
			t.Errorf("%v: no error", bad)
		}
	}
}

// TestDocsFindBlocks: a marker names a scenario and the fenced block under
// it; a marker without its block is an error, not a silently skipped check.
func TestDocsFindBlocks(t *testing.T) {
	lines := strings.Split("text\n<!-- output: a-b sections=X max=2 -->\n```\nold\n```\nmore\n<!-- output: c -->\n```sh\n```\n", "\n")
	got, err := findDocsBlocks("x.md", lines)
	if err != nil {
		t.Fatal(err)
	}
	if len(got) != 2 || got[0].name != "a-b" || got[0].from != 3 || got[0].to != 4 ||
		strings.Join(got[0].opts, " ") != "sections=X max=2" || got[1].name != "c" || got[1].from != got[1].to {
		t.Fatalf("%+v", got)
	}
	for _, bad := range []string{
		"<!-- output: a -->\nno block\n",
		"<!-- output: a -->\n```\nnever closed\n",
		"<!-- output: A B -->\n```\n```\n",
	} {
		if _, err := findDocsBlocks("x.md", strings.Split(bad, "\n")); err == nil {
			t.Errorf("%q: no error", bad)
		}
	}
}
