package cmd

import (
	"encoding/json"
	"strings"
	"testing"

	"github.com/baverify/baverify/internal/compat"
)

func TestCompatText(t *testing.T) {
	for _, tc := range []struct {
		golden string
		args   []string
	}{
		{"compat.txt", []string{"compat"}},
		{"compat_eddsa_python_jose.txt", []string{"compat", "--alg", "eddsa", "--library", "PYTHON-JOSE"}},
	} {
		t.Run(tc.golden, func(t *testing.T) {
			r := run(t, runConfig{}, tc.args...)
			if r.code != 0 || r.stderr != "" {
				t.Fatalf("exit %d, stderr %q", r.code, r.stderr)
			}
			golden(t, tc.golden, r.stdout)
		})
	}
}

// Every library, and the names a user types for a framework, answer with
// their measured rows; a name the table does not measure is said to be
// not measured on stderr, with the closest measured setups shown, and is
// no usage error (exit 0).
func TestCompatLibraryNames(t *testing.T) {
	for _, lib := range compat.Libraries() {
		r := run(t, runConfig{}, "compat", "--library", lib)
		if r.code != 0 || r.stderr != "" || !strings.Contains(r.stdout, lib) {
			t.Errorf("%s: exit %d, stderr %q\n%s", lib, r.code, r.stderr, r.stdout)
		}
	}
	for _, tc := range []struct {
		args   []string
		stdout []string
		stderr string
	}{
		{[]string{"--library", "express"}, []string{"express-jwt", "rejected 401", "Express 5.3.0"}, ""},
		{[]string{"--library", "nestjs"}, []string{"@nestjs/passport", "@nestjs/jwt"}, ""},
		{[]string{"--library", "fastify", "--alg", "EdDSA"}, []string{"crash 500", "the framework answers 500 (measured)", "setup @fastify/jwt/createPublicKey"}, ""},
		{[]string{"--library", "drf"}, []string{"djangorestframework-simplejwt", "Token has no id", "USER_ID_CLAIM"}, ""},
		{[]string{"--library", "coreos/go-oidc", "--alg", "ES256"}, []string{"SupportedSigningAlgs", "keyPairConfig.alg RS256"}, ""},
		{[]string{"--library", "jsonwebtoken", "--language", "rust", "--alg", "ES512"}, []string{"jsonwebtoken-rs  Rust", "JwkSet: unknown variant `ES512`"}, ""},
		{[]string{"--library", "jsonwebtoken", "--alg", "EdDSA"}, []string{"jsonwebtoken  JavaScript  9.0.3    crash"}, ""},
		{[]string{"--library", "expres"}, []string{"express-jwt"}, "expres is not measured: baverify cannot tell what it verifies; the closest measured setups: express-jwt/jwks-rsa"},
		{[]string{"--library", "nimbus-nothing"}, []string{"no measured setup matches", "not measured"}, "nimbus-nothing is not measured"},
	} {
		r := run(t, runConfig{}, append([]string{"compat"}, tc.args...)...)
		if r.code != 0 {
			t.Errorf("%v: exit %d: %s", tc.args, r.code, r.stderr)
		}
		for _, want := range tc.stdout {
			if !strings.Contains(r.stdout, want) {
				t.Errorf("%v: stdout lacks %q:\n%s", tc.args, want, r.stdout)
			}
		}
		if (tc.stderr == "") != (r.stderr == "") || !strings.Contains(r.stderr, tc.stderr) {
			t.Errorf("%v: stderr %q, want %q", tc.args, r.stderr, tc.stderr)
		}
	}
	// As JSON: the closest setups, and what was not measured.
	r := run(t, runConfig{}, "compat", "-o", "json", "--library", "spring-boot")
	var got struct {
		Setups     []compat.Setup `json:"setups"`
		Unmeasured []struct {
			Name, Statement string
			Closest         []string
		} `json:"unmeasured"`
	}
	if err := json.Unmarshal([]byte(r.stdout), &got); err != nil || r.code != 0 {
		t.Fatalf("exit %d, %v: %s", r.code, err, r.stdout)
	}
	if len(got.Unmeasured) != 1 || got.Unmeasured[0].Name != "spring-boot" || !strings.Contains(got.Unmeasured[0].Statement, "Maven Central is not reachable") {
		t.Errorf("unmeasured: %+v", got.Unmeasured)
	}
}

// compat --output json is the data file's own shape, narrowed.
func TestCompatJSON(t *testing.T) {
	r := run(t, runConfig{}, "compat", "-o", "json", "--alg", "PS256", "--library", "python-jose")
	if r.code != 0 {
		t.Fatalf("exit %d: %s", r.code, r.stderr)
	}
	if _, err := compat.Parse([]byte(r.stdout)); err == nil || !strings.Contains(err.Error(), "no result for EdDSA") {
		t.Fatalf("a narrowed table has only PS256: %v", err)
	}
	var got compat.Matrix
	if err := json.Unmarshal([]byte(r.stdout), &got); err != nil {
		t.Fatal(err)
	}
	if got.Schema != 1 || got.MeasuredWith == "" || len(got.Setups) != 1 || got.Setups[0].Library != "python-jose" ||
		len(got.Setups[0].Results) != 1 || got.Setups[0].Results["PS256"].Outcome != compat.Crash || got.Setups[0].Results["PS256"].Fix == "" {
		t.Fatalf("%+v", got)
	}
	all := run(t, runConfig{}, "compat", "-o", "json")
	if _, err := compat.Parse([]byte(all.stdout)); err != nil {
		t.Fatalf("the whole table as JSON is the data file's schema: %v", err)
	}
}

func TestCompatUsageErrors(t *testing.T) {
	for _, tc := range []struct {
		args []string
		want string
	}{
		{[]string{"compat", "--alg", "HS256"}, `--alg "HS256" is not measured: one of EdDSA, ES256, ES512, RS256, PS256`},
		{[]string{"jwks", "--expect-library", "nimbus", "../testdata/real/EdDSA/jwks.json"}, `--expect-library: unknown library "nimbus": nimbus is not measured`},
	} {
		t.Run(strings.Join(tc.args, " "), func(t *testing.T) {
			r := run(t, runConfig{}, tc.args...)
			if r.code != ExitUsage || !strings.Contains(r.stderr, tc.want) {
				t.Fatalf("exit %d, stderr %q; want exit 2 and %q", r.code, r.stderr, tc.want)
			}
		})
	}
}

// A --backend-library name the table has not measured never stops call or
// probe: they go on, and the diagnosis says it is not measured.
func TestBackendLibraryUnmeasuredIsNoUsageError(t *testing.T) {
	for _, args := range [][]string{
		{"call", "--no-token", "--backend-library", "nimbus", "http://127.0.0.1:1/"},
		{"probe", "--token", "x.y.z", "--backend-library", "nimbus", "http://127.0.0.1:1/"},
		{"call", "--no-token", "--backend-library", "express", "http://127.0.0.1:1/"},
	} {
		r := run(t, runConfig{}, args...)
		if r.code == ExitUsage || strings.Contains(r.stderr, "unknown library") {
			t.Errorf("%v: exit %d, stderr %q: a name is never a usage error", args, r.code, r.stderr)
		}
	}
}

// token --output json carries compatibility: every setup, for the token's
// algorithm; null when the table does not apply.
func TestTokenCompatibilityJSON(t *testing.T) {
	rt := loadReal(t, "EdDSA")
	r := run(t, runConfig{}, "token", "-o", "json", "--jwks", rt.JWKSPath, "--issuer", rt.Origin, "--audience", rt.Origin, "--now", during(rt), rt.Token)
	if r.code != 0 {
		t.Fatalf("exit %d: %s", r.code, r.stderr)
	}
	var got struct {
		Valid         bool
		Compatibility []map[string]any `json:"compatibility"`
		Coverage      *compat.Coverage `json:"compatibilityCoverage"`
	}
	if err := json.Unmarshal([]byte(r.stdout), &got); err != nil {
		t.Fatal(err)
	}
	if !got.Valid || len(got.Compatibility) != len(compat.Default().Setups) {
		t.Fatalf("%+v", got)
	}
	// The measured count, and that any other stack is unknown.
	if got.Coverage == nil || got.Coverage.MeasuredSetups != len(compat.Default().Setups) || !strings.Contains(got.Coverage.Unmeasured, "a stack not in the table is not measured") {
		t.Errorf("compatibilityCoverage: %+v", got.Coverage)
	}
	byLib := map[string]map[string]any{}
	for _, e := range got.Compatibility {
		extra := 0
		for _, k := range []string{"cause", "status"} {
			if _, ok := e[k]; ok {
				extra++
			}
		}
		if len(e) != 8+extra {
			t.Errorf("entry has %d fields, want library, language, setup, version, verifies, outcome, error, fix (and status for a framework's failure, cause for a claim): %v", len(e), e)
		}
		// A framework's failure carries the status it was measured to answer.
		if e["library"] == "express-jwt" && e["status"] != float64(401) {
			t.Errorf("express-jwt on EdDSA: %v, want status 401", e)
		}
		byLib[e["library"].(string)] = e
	}
	if j := byLib["python-jose"]; j["verifies"] != false || j["outcome"] != "crash" || !strings.Contains(j["error"].(string), "Unable to find an algorithm for key") || j["fix"] == "" || j["version"] != "3.3.0" || j["language"] != "Python" {
		t.Errorf("python-jose: %v", j)
	}
	if p := byLib["PyJWT"]; p["verifies"] != true || p["outcome"] != "ok" || p["error"] != "" {
		t.Errorf("PyJWT: %v", p)
	}

	for name, args := range map[string][]string{
		"malformed":       {"token", "-o", "json", "--no-discover", "not-a-jwt"},
		"alg not allowed": {"token", "-o", "json", "--jwks", rt.JWKSPath, "--alg", "RS256", "--now", during(rt), rt.Token},
	} {
		r := run(t, runConfig{}, args...)
		var out map[string]json.RawMessage
		if err := json.Unmarshal([]byte(r.stdout), &out); err != nil {
			t.Fatalf("%s: %v %s %s", name, err, r.stdout, r.stderr)
		}
		if c, ok := out["compatibility"]; !ok || string(c) != "null" {
			t.Errorf("%s: compatibility %s, want null", name, c)
		}
		if c, ok := out["compatibilityCoverage"]; !ok || string(c) != "null" {
			t.Errorf("%s: compatibilityCoverage %s, want null", name, c)
		}
	}
	// Without a pinned issuer the token still gets its Backends line, and
	// --backends the whole list.
	es := loadReal(t, "ES256")
	txt := run(t, runConfig{}, "token", "--jwks", es.JWKSPath, "--now", during(es), es.Token)
	// simplejwt's default settings refuse the token for its claims (no
	// jti, no token_type), not for ES256: the line must not blame the
	// algorithm.
	if !strings.Contains(txt.stdout, "\nBackends: 1 of 37 measured setups cannot verify ES256 (go-oidc); 1 refuses the token's claims, not its algorithm (djangorestframework-simplejwt) — baverify compat --alg ES256, or --backends") ||
		strings.Contains(txt.stdout, "verify ES256: ") {
		t.Errorf("text:\n%s", txt.stdout)
	}
	txt = run(t, runConfig{}, "token", "--backends", "--jwks", es.JWKSPath, "--now", during(es), es.Token)
	if !strings.Contains(txt.stdout, "\nBackends\n  verify ES256: ") || strings.Contains(txt.stdout, "Backends: ") {
		t.Errorf("--backends:\n%s", txt.stdout)
	}
}

// jwks --expect-library fails (exit 1) when a signing key is one that
// library is measured not to verify, and passes when it verifies it.
func TestJWKSExpectLibrary(t *testing.T) {
	ed, rs := loadReal(t, "EdDSA"), loadReal(t, "RS256")
	r := run(t, runConfig{}, "jwks", "--expect-library", "python-jose", ed.JWKSPath)
	if r.code != 1 {
		t.Fatalf("exit %d, want 1\n%s%s", r.code, r.stdout, r.stderr)
	}
	golden(t, "jwks_expect_library.txt", r.stdout)
	if r := run(t, runConfig{}, "jwks", "--expect-library", "python-jose", "--expect-library", "PyJWT", rs.JWKSPath); r.code != 0 {
		t.Fatalf("RS256 with python-jose and PyJWT: exit %d\n%s", r.code, r.stdout)
	}
	j := run(t, runConfig{}, "jwks", "-o", "json", "--expect-library", "python-jose", ed.JWKSPath)
	var got struct {
		Keys []struct {
			CannotVerify []struct{ Library, Outcome string } `json:"cannotVerify"`
		}
		Findings []struct{ Code, Severity string }
	}
	if err := json.Unmarshal([]byte(j.stdout), &got); err != nil {
		t.Fatal(err)
	}
	if len(got.Keys) != 1 || len(got.Keys[0].CannotVerify) == 0 || got.Keys[0].CannotVerify[0].Library != "python-jose" ||
		len(got.Findings) != 1 || got.Findings[0].Code != "expect_library" || got.Findings[0].Severity != "error" {
		t.Fatalf("%+v", got)
	}
}
