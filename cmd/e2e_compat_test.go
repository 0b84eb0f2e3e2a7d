package cmd

import (
	"encoding/json"
	"slices"
	"strings"
	"testing"

	"github.com/baverify/baverify/internal/compat"
	"github.com/baverify/baverify/internal/testenv"
)

// TestE2ECompatibilityRealBackend: a real Better Auth (EdDSA, its default)
// and the real python-jose FastAPI backend, written as the FastAPI guides
// write it, which answers 500. call names the library from the measured
// table, and with --backend-library speaks of that library alone; probe's
// diagnosis of the refused genuine token is the same; token's Backends
// section says the same before any call.
//
// A Node backend (jsonwebtoken) is added the same way once the conformance
// suite brings one: start it like testenv.StartBackend does, then assert
// that `call --backend-library jsonwebtoken` names it, and that the 401 or
// 500 it answers to EdDSA is diagnosed from the jsonwebtoken rows of
// internal/compat/matrix.json (rejected rows for a 401, crash rows for a
// 500), as below for python-jose.
func TestE2ECompatibilityRealBackend(t *testing.T) {
	ba := testenv.StartBetterAuth(t, testenv.BetterAuthOptions{Alg: "EdDSA"})
	ba.SignUp(t, e2eEmail, e2ePassword, "Alice")
	tok := e2eLogin(t, ba, "EdDSA")
	jose := testenv.StartBackend(t, testenv.BackendOptions{Kind: "jose", JWKSURL: ba.JWKSURL, Issuer: ba.Origin, Audience: ba.Origin})
	url := jose.URL + "/api/me"
	row := func(id string) compat.Row {
		t.Helper()
		for _, r := range compat.Default().Rows("EdDSA") {
			if r.Setup.ID == id {
				return r
			}
		}
		t.Fatalf("no %s row in the table", id)
		return compat.Row{}
	}
	joseRow := row("python-jose/jwk-dict")
	if joseRow.Outcome != compat.Crash {
		t.Fatalf("the table says python-jose does %s on EdDSA; this backend answers 500", joseRow.Outcome)
	}

	t.Run("call names the library", func(t *testing.T) {
		out, r := callJSON(t, nil, "", "--base-url", ba.BaseURL, "--token", tok, url)
		why := out.text("alg_unsupported_by_backend")
		if r.code != ExitNegative || out.Response == nil || out.Response.Status != 500 ||
			!strings.Contains(why, "likely cause (1 of 2): the backend's JWT library cannot verify EdDSA") ||
			!strings.Contains(why, compat.Describe(joseRow.Setup)+": raises "+joseRow.Error) || !strings.Contains(why, strings.Split(joseRow.Fix, ", or ")[0]) {
			t.Fatalf("exit %d, diagnosis %v:\n%s", r.code, out.codes(), why)
		}
		// Only setups that fail as this backend did are named.
		for _, s := range compat.Default().Rows("EdDSA") {
			if s.Outcome != compat.Crash && strings.Contains(why, compat.Describe(s.Setup)) {
				t.Errorf("%s does %s on EdDSA, not a 500, yet it is named:\n%s", s.Setup.ID, s.Outcome, why)
			}
		}
	})

	t.Run("call --backend-library python-jose", func(t *testing.T) {
		out, r := callJSON(t, nil, "", "--base-url", ba.BaseURL, "--token", tok, "--backend-library", "python-jose", url)
		why := out.text("alg_unsupported_by_backend")
		if r.code != ExitNegative || !strings.Contains(why, "likely cause: python-jose cannot verify EdDSA (measured)") ||
			strings.Contains(why, "--backend-library") {
			t.Fatalf("exit %d, diagnosis %v:\n%s", r.code, out.codes(), why)
		}
		if *e2eShow {
			txt := runLive(t, "", nil, "call", "--no-cache", "--base-url", ba.BaseURL, "--token", tok, "--backend-library", "python-jose", url)
			t.Logf("baverify call --backend-library python-jose:\n%s", txt.stdout)
		}
	})

	t.Run("call --backend-library PyJWT: the algorithm is not the cause", func(t *testing.T) {
		out, r := callJSON(t, nil, "", "--base-url", ba.BaseURL, "--token", tok, "--backend-library", "PyJWT", url)
		if r.code != ExitNegative || !slices.Equal(out.codes(), []string{"backend_error_valid_token", "backend_key_fetch_failed", "status_mismatch"}) ||
			!strings.Contains(out.text("backend_error_valid_token"), "verifies EdDSA: the algorithm is not the cause") {
			t.Fatalf("exit %d, diagnosis %v:\n%s", r.code, out.codes(), r.stdout)
		}
	})

	t.Run("probe --backend-library python-jose", func(t *testing.T) {
		r := runLive(t, "", nil, "probe", "-o", "json", "--no-cache", "--base-url", ba.BaseURL, "--token", tok, "--backend-library", "python-jose", url)
		var out struct {
			Diagnosis []struct{ Code, Message string }
		}
		if err := json.Unmarshal([]byte(r.stdout), &out); err != nil {
			t.Fatalf("%v\n%s\n%s", err, r.stdout, r.stderr)
		}
		found := false
		for _, d := range out.Diagnosis {
			found = found || (d.Code == "alg_unsupported_by_backend" && strings.Contains(d.Message, "python-jose cannot verify EdDSA"))
		}
		if r.code != ExitNegative || !found {
			t.Fatalf("exit %d, diagnosis %+v", r.code, out.Diagnosis)
		}
	})

	t.Run("token's Backends section", func(t *testing.T) {
		r := runLive(t, "", nil, "token", "--no-cache", "--base-url", ba.BaseURL, tok)
		if r.code != ExitOK || !strings.Contains(r.stdout, "\nBackends: ") || !strings.Contains(r.stdout, "cannot verify EdDSA (python-jose, ") ||
			!strings.Contains(r.stdout, "baverify compat --alg EdDSA") {
			t.Fatalf("exit %d\n%s", r.code, r.stdout)
		}
		r = runLive(t, "", nil, "token", "--no-cache", "--backends", "--base-url", ba.BaseURL, tok)
		if r.code != ExitOK || !strings.Contains(r.stdout, "\nBackends\n") || !strings.Contains(r.stdout, "[crash] "+compat.Describe(joseRow.Setup)+": raises "+joseRow.Error) {
			t.Fatalf("--backends: exit %d\n%s", r.code, r.stdout)
		}
	})
	// The Node backend: jsonwebtoken with jwks-rsa, as its docs write it,
	// answers EdDSA with a plain 500 (measured: Error: Unknown key type
	// "ed25519"., which is not a JsonWebTokenError).
	t.Run("a Node jsonwebtoken backend is named", func(t *testing.T) {
		node := testenv.StartBackend(t, testenv.BackendOptions{Kind: "jsonwebtoken", JWKSURL: ba.JWKSURL, Issuer: ba.Origin, Audience: ba.Origin})
		nodeURL := node.URL + "/api/me"
		jwtRow := row("jsonwebtoken/jwks-rsa")
		if jwtRow.Outcome != compat.Crash {
			t.Fatalf("the table says jsonwebtoken does %s on EdDSA; this backend answers 500", jwtRow.Outcome)
		}
		out, r := callJSON(t, nil, "", "--base-url", ba.BaseURL, "--token", tok, nodeURL)
		why := out.text("alg_unsupported_by_backend")
		if r.code != ExitNegative || out.Response == nil || out.Response.Status != 500 ||
			!strings.Contains(why, compat.Describe(jwtRow.Setup)+": raises "+jwtRow.Error) {
			t.Fatalf("exit %d, diagnosis %v:\n%s", r.code, out.codes(), why)
		}
		out, r = callJSON(t, nil, "", "--base-url", ba.BaseURL, "--token", tok, "--backend-library", "jsonwebtoken", nodeURL)
		why = out.text("alg_unsupported_by_backend")
		if r.code != ExitNegative || !strings.Contains(why, "likely cause: jsonwebtoken cannot verify EdDSA (measured)") ||
			strings.Contains(why, "python-jose") {
			t.Fatalf("exit %d, diagnosis %v:\n%s", r.code, out.codes(), why)
		}
	})
}
