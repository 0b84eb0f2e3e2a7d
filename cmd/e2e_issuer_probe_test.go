package cmd

import (
	"context"
	"encoding/json"
	"net"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/baverify/baverify/internal/issuer"
	"github.com/baverify/baverify/internal/testenv"
)

// startTestIssuer serves a baverify issuer (the real server code) on
// 127.0.0.1 until the test ends, and writes its keys to a file.
func startTestIssuer(t *testing.T, alg string) (issuer.Ready, string) {
	t.Helper()
	k, err := issuer.GenerateKey(alg, time.Now())
	if err != nil {
		t.Fatal(err)
	}
	keysFile := filepath.Join(t.TempDir(), "keys.json")
	b, _ := issuer.MarshalPrivate([]*issuer.Key{k})
	if err := os.WriteFile(keysFile, b, 0o600); err != nil {
		t.Fatal(err)
	}
	ks, err := issuer.NewKeySet([]*issuer.Key{k}, issuer.KeySetOptions{})
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	ln, err := issuer.Listen(ctx, "", false)
	if err != nil {
		t.Fatal(err)
	}
	srv, err := issuer.NewServer(ks, issuer.ServerOptions{BaseURL: issuer.BaseURLFor(ln, "")})
	if err != nil {
		t.Fatal(err)
	}
	done := make(chan struct{})
	go func() { _ = issuer.Serve(ctx, ln, srv.Handler()); close(done) }()
	t.Cleanup(func() { cancel(); <-done })
	return srv.Ready(ln.Addr().(*net.TCPAddr).Port), keysFile
}

type probeSources struct {
	Probes []struct{ Name, Outcome, Source string }
}

// probe --mint-from a baverify issuer the backend trusts: no token given by
// hand, every deployment case tested with a minted token (and says so), a
// correct backend passes with no case untested, and the flawed backend's
// exp, nbf, leeway, aud and iss mistakes are found, and so are tokens
// without exp or aud taken by a backend that does not require them. Both
// sources: the running issuer's URL and its keys file. The keys file goes
// first: the URL's rotated_key_token changes what the issuer publishes
// (a key of its own, added and retired), never the keys file's key.
func TestE2EProbeMintFrom(t *testing.T) {
	r, keysFile := startTestIssuer(t, "ES256")
	// Correct: PyJWT told to require exp (by default it takes a token
	// without one), keeping the JWKS 1 s so that a retired key is refused
	// after --rotated-key-wait 2s. lax is PyJWT as most code calls it.
	sound := testenv.StartBackend(t, testenv.BackendOptions{Kind: "pyjwt", JWKSURL: r.JWKSURL, Issuer: r.Issuer, Audience: r.Audience[0], Require: []string{"exp"},
		JWKSCacheLifespan: time.Second})
	lax := testenv.StartBackend(t, testenv.BackendOptions{Kind: "pyjwt", JWKSURL: r.JWKSURL, Issuer: r.Issuer, Audience: r.Audience[0]})
	flawed := testenv.StartBackend(t, testenv.BackendOptions{Kind: "flawed", JWKSURL: r.JWKSURL, Issuer: r.Issuer, Audience: r.Audience[0]})
	deployment := []string{"expired_token", "not_yet_valid_token", "other_audience_token", "other_issuer_token", "no_exp_token", "no_aud_token"}
	for _, from := range []string{keysFile, r.BaseURL} {
		remote := from == r.BaseURL
		common := []string{"--base-url", r.BaseURL, "--mint-from", from}
		soundArgs := append(append([]string{}, common...), "--require-all", sound.URL+"/api/me")
		if remote {
			soundArgs = append([]string{"--rotated-key-wait", "2s"}, soundArgs...)
		}
		out, run := probeJSON(t, soundArgs...)
		switch {
		case remote && (run.code != ExitOK || out.notPassed() != "alg_other_family=warn/500" || out.NotTested != 0 || !out.GenuineAccepted):
			t.Fatalf("%s, correct backend: exit %d, not passed: %s, not tested %d\n%s", from, run.code, out.notPassed(), out.NotTested, run.stderr)
		case !remote && (run.code != ExitNegative || out.notPassed() != "alg_other_family=warn/500 rotated_key_token=not_tested/0" || out.NotTested != 1):
			// A keys file cannot take a key out of the issuer's JWKS: that
			// case alone is not tested, which --require-all fails on.
			t.Fatalf("%s, correct backend: exit %d, not passed: %s, not tested %d\n%s", from, run.code, out.notPassed(), out.NotTested, run.stderr)
		}
		var src probeSources
		_ = json.Unmarshal([]byte(run.stdout), &src)
		names := deployment
		if remote {
			names = append(names, "rotated_key_token")
		}
		for _, name := range names {
			found := false
			for _, p := range src.Probes {
				if p.Name == name {
					found = true
					if p.Outcome != "pass" || p.Source != "minted by --mint-from "+from {
						t.Errorf("%s: %s: outcome %s, source %q", from, name, p.Outcome, p.Source)
					}
				}
			}
			if !found {
				t.Errorf("%s: no case %s", from, name)
			}
		}
		// With no wait, a backend that keeps the JWKS 5 minutes (PyJWT's
		// default) still takes the retired key: not tested, not a pass.
		rotated := ""
		if remote {
			rotated = " rotated_key_token=not_tested/200"
		} else {
			rotated = " rotated_key_token=not_tested/0"
		}
		// The missing-claim mistake: PyJWT's default takes a token without exp.
		if out, run := probeJSON(t, append(common, lax.URL+"/api/me")...); run.code != ExitNegative || out.notPassed() != "alg_other_family=warn/500 no_exp_token=fail/200"+rotated {
			t.Errorf("%s, PyJWT without require: exit %d, not passed: %s", from, run.code, out.notPassed())
		}
		// Each flawed route is PyJWT without require too, so it also takes
		// a token without exp; skip-aud takes one without aud.
		for route, want := range map[string]string{
			"skip-exp": "expired_token=fail/200 no_exp_token=fail/200", "skip-nbf": "not_yet_valid_token=fail/200 no_exp_token=fail/200",
			// PyJWT's leeway applies to nbf too.
			"exp-leeway": "expired_token=fail/200 not_yet_valid_token=fail/200 no_exp_token=fail/200",
			"skip-aud":   "other_audience_token=fail/200 no_exp_token=fail/200 no_aud_token=fail/200",
			"skip-iss":   "other_issuer_token=fail/200 no_exp_token=fail/200",
		} {
			out, run := probeJSON(t, append(common, flawed.URL+"/"+route+"/api/me")...)
			if run.code != ExitNegative || out.notPassed() != want+rotated {
				t.Errorf("%s, flawed /%s: exit %d, not passed: %s, want %s", from, route, run.code, out.notPassed(), want+rotated)
			}
		}
	}
	if r := runLive(t, "", nil, "probe", "--mint-from", keysFile, sound.URL+"/api/me"); r.code != ExitUsage {
		t.Errorf("a keys file without --base-url: exit %d\n%s", r.code, r.stderr)
	}
}

// rotated_key_token against real PyJWT backends and a real issuer: the
// backend that keeps the JWKS 1 s refuses a retired key after a 2 s wait;
// PyJWKClient(cache_keys=True) keeps a key found by its kid for ever and
// still takes it. The issuer's own signing key is never retired.
func TestE2EProbeRotatedKey(t *testing.T) {
	r, _ := startTestIssuer(t, "EdDSA")
	forever := testenv.StartBackend(t, testenv.BackendOptions{Kind: "flawed", JWKSURL: r.JWKSURL, Issuer: r.Issuer, Audience: r.Audience[0], JWKSCacheLifespan: time.Second})
	out, run := probeJSON(t, "--rotated-key-wait", "2s", "--base-url", r.BaseURL, "--mint-from", r.BaseURL, forever.URL+"/key-forever/api/me")
	if run.code != ExitNegative || out.notPassed() != "no_exp_token=fail/200 rotated_key_token=fail/200" {
		t.Fatalf("key-forever: exit %d, not passed: %s\n%s", run.code, out.notPassed(), run.stderr)
	}
	if !strings.Contains(run.stdout, "ACCEPTED (HTTP 200) 2s after its key left the JWKS") {
		t.Errorf("the message does not say how long after: %s", run.stdout)
	}
	// The issuer still publishes the key it signs with: a later test's
	// tokens verify as before.
	tok := runLive(t, "", nil, "issuer", "mint", "--base-url", r.BaseURL)
	if v := runLive(t, "", nil, "token", "--base-url", r.BaseURL, strings.TrimSpace(tok.stdout)); v.code != ExitOK {
		t.Errorf("after the probe, a default token: exit %d\n%s", v.code, v.stdout)
	}
}
