package cmd

import (
	"crypto/ecdsa"
	"crypto/sha256"
	"crypto/sha512"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"math/big"
	"net/http"
	"net/http/httptest"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/baverify/baverify/internal/jwks"
	"github.com/baverify/baverify/internal/testenv"
)

// probeOutput is the part of `probe --output json` the tests read.
type probeOutput struct {
	Probes []struct {
		Name, Outcome, Message, BackendSaid string
		Status                              int
	}
	Attacker *struct {
		Fetches []struct{ Case, Path, UserAgent string }
	}
	Diagnosis                                                   []struct{ Code string }
	Passed, Failed, Warned, Inconclusive, NotTested, Unanswered int
	OK, ForgeryAccepted, GenuineAccepted, FetchedFromToken      bool
}

// notPassed is "name=outcome/status ..." for every case that did not
// pass, in order.
func (p probeOutput) notPassed() string {
	var parts []string
	for _, r := range p.Probes {
		if r.Outcome != "pass" {
			parts = append(parts, r.Name+"="+r.Outcome+"/"+itoa(r.Status))
		}
	}
	return strings.Join(parts, " ")
}

// fetched is "case path ..." for every request the attacker listener got.
func (p probeOutput) fetched() string {
	if p.Attacker == nil {
		return ""
	}
	var parts []string
	for _, f := range p.Attacker.Fetches {
		parts = append(parts, f.Case+" "+f.Path)
	}
	slices.Sort(parts)
	return strings.Join(slices.Compact(parts), ", ")
}

func (p probeOutput) probe(name string) (r struct {
	Name, Outcome, Message, BackendSaid string
	Status                              int
}) {
	for _, r := range p.Probes {
		if r.Name == name {
			return r
		}
	}
	return r
}

func itoa(n int) string { b, _ := json.Marshal(n); return string(b) }

func probeJSON(t *testing.T, args ...string) (probeOutput, testRun) {
	t.Helper()
	r := runLive(t, "", nil, append([]string{"probe", "-o", "json", "--no-cache"}, args...)...)
	var out probeOutput
	if err := json.Unmarshal([]byte(r.stdout), &out); err != nil {
		t.Fatalf("probe: not JSON (%v), exit %d\nstdout:\n%s\nstderr:\n%s", err, r.code, r.stdout, r.stderr)
	}
	return out, r
}

// TestE2EProbeRealBackends probes the real FastAPI backends with tokens
// forged from real Better Auth tokens, and pins what each one answers.
func TestE2EProbeRealBackends(t *testing.T) {
	start := time.Now()
	t.Cleanup(func() { t.Logf("end-to-end probe tests: %s", time.Since(start).Round(100*time.Millisecond)) })
	// each is "name=outcome ..." for the names.
	each := func(outcome string, names ...string) string {
		var parts []string
		for _, n := range names {
			parts = append(parts, n+"="+outcome)
		}
		return strings.Join(parts, " ")
	}
	var (
		// Without --expired-token and --other-audience-token these two
		// cases are not tested; every report says so.
		nt        = each("not_tested/0", "expired_token", "not_yet_valid_token", "other_audience_token", "other_issuer_token")
		algNone   = []string{"alg_none", "alg_none_title", "alg_none_upper", "alg_none_mixed"}
		hmacCases = []string{"hmac_public_key", "hmac_public_key_hs384", "hmac_public_key_hs512", "hmac_public_key_no_newline",
			"hmac_public_key_no_newline_hs384", "hmac_public_key_no_newline_hs512", "hmac_jwk_json", "hmac_raw_key", "hmac_weak_secret"}
		withKid = append(append([]string{"signature_tampered", "signature_stripped", "payload_tampered"}, algNone...), hmacCases...)
		kids    = []string{"unknown_kid", "kid_blank", "kid_path_traversal", "kid_sql_injection", "kid_command_injection", "kid_url"}
		signed  = []string{"embedded_jwk", "x5c_header", "jku_header", "x5u_header", "iss_discovery", "url_injection", "alg_other_family",
			"claim_type_confusion", "header_type_confusion"}
		// PyJWT raises TypeError for an alg of another family than the
		// kid's key, which the backend does not catch: a 500, a warning.
		sound = "alg_other_family=warn/500 " + nt
		// A backend that decodes without verifying accepts every forgery
		// that parses.
		fooled = strings.Join([]string{each("fail/200", withKid...), each("fail/200", kids...), each("fail/200", signed...), nt}, " ")
	)
	type expect struct {
		outcomes string
		exit     int
	}
	for _, tc := range []struct {
		alg string
		// want per backend: pyjwt, pyjwt trusting unverified tokens,
		// python-jose, python-jose widened to 401.
		pyjwt, trusting, jose, joseWidened expect
	}{
		{alg: "EdDSA",
			pyjwt:    expect{sound, ExitOK},
			trusting: expect{fooled, ExitNegative},
			// python-jose cannot build an OKP key: every token with the
			// kid of the JWKS key crashes it, the genuine one included, so
			// no refusal proves anything.
			jose: expect{strings.Join([]string{"genuine=fail/500 no_token=inconclusive/403 malformed=inconclusive/401",
				each("inconclusive/500", withKid...), each("inconclusive/401", kids...), each("inconclusive/500", signed...), nt}, " "), ExitNegative},
			joseWidened: expect{strings.Join([]string{"genuine=fail/401 no_token=inconclusive/403 malformed=inconclusive/401",
				each("inconclusive/401", withKid...), each("inconclusive/401", kids...), each("inconclusive/401", signed...), nt}, " "), ExitNegative},
		},
		{alg: "RS256",
			pyjwt:    expect{sound, ExitOK},
			trusting: expect{fooled, ExitNegative},
			// The backend takes the algorithm from the header; python-jose
			// then refuses an RSA JWK for "none" and HS* with an error
			// the integration code does not catch: refused, by a 500.
			// (url_injection: its token with alg set to a URL.)
			jose:        expect{each("warn/500", append(append(append([]string{}, algNone...), hmacCases...), "url_injection", "alg_other_family")...) + " " + nt, ExitOK},
			joseWidened: expect{nt, ExitOK},
		},
	} {
		t.Run(tc.alg, func(t *testing.T) {
			t.Parallel()
			ba := testenv.StartBetterAuth(t, testenv.BetterAuthOptions{Alg: tc.alg})
			ba.SignUp(t, e2eEmail, e2ePassword, "Alice")
			tok := e2eLogin(t, ba, tc.alg)
			for _, b := range []struct {
				name string
				opts testenv.BackendOptions
				want expect
			}{
				{"pyjwt", testenv.BackendOptions{Kind: "pyjwt"}, tc.pyjwt},
				{"pyjwt trusting unverified tokens", testenv.BackendOptions{Kind: "pyjwt", TrustUnverified: true}, tc.trusting},
				{"python-jose", testenv.BackendOptions{Kind: "jose"}, tc.jose},
				{"python-jose widened", testenv.BackendOptions{Kind: "jose", Widen: true}, tc.joseWidened},
			} {
				t.Run(b.name, func(t *testing.T) {
					t.Parallel()
					o := b.opts
					o.JWKSURL, o.Issuer, o.Audience = ba.JWKSURL, ba.Origin, ba.Origin
					backend := testenv.StartBackend(t, o)
					url := backend.URL + "/api/me"
					out, r := probeJSON(t, "--base-url", ba.BaseURL, "--token", tok, url)
					if got := out.notPassed(); got != b.want.outcomes || r.code != b.want.exit {
						t.Fatalf("exit %d, want %d\n got: %s\nwant: %s\n%s", r.code, b.want.exit, got, b.want.outcomes, r.stdout)
					}
					if out.ForgeryAccepted != strings.Contains(b.want.outcomes, "=fail/200") || out.OK != (b.want.exit == ExitOK) ||
						out.GenuineAccepted == strings.HasPrefix(b.want.outcomes, "genuine=fail") || out.fetched() != "" {
						t.Errorf("forgeryAccepted %v ok %v", out.ForgeryAccepted, out.OK)
					}
					if strings.Contains(b.want.outcomes, "payload_tampered=fail") &&
						!strings.Contains(out.probe("payload_tampered").BackendSaid, "baverify-probe-forged-subject") {
						t.Errorf("the fooled backend should answer as the forged subject: %q", out.probe("payload_tampered").BackendSaid)
					}
					if strings.HasPrefix(b.want.outcomes, "genuine=fail") && !hasCode(out, "alg_unsupported_by_backend") {
						t.Errorf("a refused genuine %s token should be diagnosed: %+v", tc.alg, out.Diagnosis)
					}
					if out.Warned > 0 {
						// --strict makes the warnings fatal.
						if _, r := probeJSON(t, "--strict", "--base-url", ba.BaseURL, "--token", tok, url); r.code != ExitNegative {
							t.Errorf("--strict with warnings: exit %d", r.code)
						}
					}
					if *e2eShow {
						txt := runLive(t, "", nil, "probe", "--no-cache", "--base-url", ba.BaseURL, "--token", tok, url)
						t.Logf("baverify probe (%s, %s), exit %d:\n%s", b.name, tc.alg, txt.code, txt.stdout)
					}
				})
			}
		})
	}
}

func hasCode(p probeOutput, code string) bool {
	for _, d := range p.Diagnosis {
		if d.Code == code {
			return true
		}
	}
	return false
}

// flawedRoutes are the routes of testdata/backends/flawed_backend.py, each
// with the one flaw its cases must find: the cases that fail (every other
// one passes), the cause listed first, and what must reach the attacker
// listener.
var flawedRoutes = []struct {
	route string
	cases []string
	cause string
	fetch string
}{
	// header_type_confusion: its "alg null" token has alg None once the
	// route turns it into a string: the same blocklist, fooled again.
	{"none", []string{"alg_none", "alg_none_title", "alg_none_upper", "alg_none_mixed", "header_type_confusion"}, "alg_none", ""},
	{"hmac", nil, "", ""}, // by encoding, below
	{"kid-file", []string{"kid_path_traversal"}, "kid_path_traversal", ""},
	{"kid-sql", []string{"kid_sql_injection"}, "kid_sql_injection", ""},
	{"jku", []string{"jku_header"}, "jku_header", "jku_header /jku_header/jwks.json"},
	{"x5u", []string{"x5u_header"}, "x5u_header", "x5u_header /x5u_header/cert.pem"},
	// url_injection's "iss" claim is a listener URL too: the route
	// fetches its JWKS, and refuses the token (signed by the deployment).
	{"iss", []string{"iss_discovery", "url_injection=fail/401"}, "iss_discovery",
		"iss_discovery /iss_discovery/api/auth/jwks, url_injection /url_injection/claim-iss/api/auth/jwks"},
	{"skip-exp", []string{"expired_token"}, "expired_token", ""},
	{"skip-aud", []string{"other_audience_token"}, "other_audience_token", ""},
	{"x5c", []string{"x5c_header"}, "x5c_header", ""},
	{"hs-secret", []string{"hmac_weak_secret"}, "hmac_weak_secret", ""},
	// The empty secret also opens the kid cases keyed with it: explained
	// by hmac_weak_secret.
	{"hs-empty", []string{"hmac_weak_secret", "kid_blank", "kid_path_traversal"}, "hmac_weak_secret", ""},
	// For an Ed25519 key, PyJWT's error on alg_other_family is a TypeError,
	// no PyJWTError: the fallback does not catch it, and the route refuses
	// that one (below).
	{"fallback", []string{"signature_tampered", "signature_stripped", "payload_tampered", "alg_none", "alg_none_title", "alg_none_upper",
		"alg_none_mixed", "hmac_public_key", "hmac_public_key_hs384", "hmac_public_key_hs512", "hmac_public_key_no_newline",
		"hmac_public_key_no_newline_hs384", "hmac_public_key_no_newline_hs512", "hmac_jwk_json", "hmac_raw_key", "hmac_weak_secret",
		"unknown_kid", "kid_blank", "kid_path_traversal", "kid_sql_injection", "kid_command_injection", "kid_url", "embedded_jwk",
		"x5c_header", "jku_header", "x5u_header", "iss_discovery", "url_injection", "psychic_signature", "alg_other_family", "claim_type_confusion",
		"header_type_confusion", "expired_token", "not_yet_valid_token", "other_audience_token", "other_issuer_token"}, "signature_tampered", ""},
	// url_injection's "kid" header is a kid the JWKS lacks too.
	{"unknown-kid", []string{"unknown_kid", "kid_blank", "kid_path_traversal", "kid_sql_injection", "kid_command_injection", "kid_url",
		"url_injection"}, "unknown_kid", ""},
	// So is url_injection's "kid" header: fetched, and refused.
	{"kid-url", []string{"kid_url", "url_injection=fail/401"}, "kid_url", "kid_url /kid_url/jwks.json, url_injection /url_injection/header-kid"},
	// PyJWT's leeway applies to nbf too: a token valid in an hour passes.
	{"exp-leeway", []string{"expired_token", "not_yet_valid_token"}, "expired_token", ""},
	{"skip-nbf", []string{"not_yet_valid_token"}, "not_yet_valid_token", ""},
	{"skip-iss", []string{"other_issuer_token"}, "other_issuer_token", ""},
	// Refused, then fetched 1.5 s later: the listener's grace catches it.
	{"jku-late", []string{"jku_header=fail/401"}, "jku_header", "jku_header /jku_header/jwks.json"},
}

// hmacEncodings: the flawed /hmac route keys its HMAC with one encoding of
// the public key; each algorithm's run uses another, so every encoding is
// met once.
var hmacEncodings = map[string]struct {
	secret string
	cases  []string
}{
	"EdDSA": {"raw", []string{"hmac_raw_key"}},
	"ES256": {"jwk", []string{"hmac_jwk_json"}},
	"ES512": {"pem_stripped", []string{"hmac_public_key_no_newline", "hmac_public_key_no_newline_hs384", "hmac_public_key_no_newline_hs512"}},
	"RS256": {"pem", []string{"hmac_public_key", "hmac_public_key_hs384", "hmac_public_key_hs512"}},
	"PS256": {"raw", []string{"hmac_raw_key"}},
}

// probeCauses is the part of `probe --output json` that says why.
type probeCauses struct {
	Causes []struct {
		Case     string
		Explains []string
	}
	Probes []struct{ Name, ExplainedBy string }
}

// TestE2EProbeFindsEveryFlaw probes, on tokens of the real Better Auth
// test server, a correct PyJWT backend (no alarm) and a backend with one
// flaw per route (that flaw and nothing else, its cause first), with the
// deployment's own expired, not-yet-valid, other-audience and
// other-issuer tokens, and for ES* a Go backend whose ECDSA check skips
// the range check (the psychic signature).
func TestE2EProbeFindsEveryFlaw(t *testing.T) {
	start := time.Now()
	t.Cleanup(func() { t.Logf("end-to-end flaw probes: %s", time.Since(start).Round(100*time.Millisecond)) })
	for _, alg := range []string{"EdDSA", "ES256", "ES512", "RS256", "PS256"} {
		t.Run(alg, func(t *testing.T) {
			t.Parallel()
			ba := testenv.StartBetterAuth(t, testenv.BetterAuthOptions{Alg: alg})
			sess := ba.SignUp(t, e2eEmail, e2ePassword, "Alice")
			tok := e2eLogin(t, ba, alg)
			now := time.Now().Unix()
			expired := ba.SignJWT(t, map[string]any{"sub": sess.UserID, "iat": now - 120, "exp": now - 60})
			notYet := ba.SignJWT(t, map[string]any{"sub": sess.UserID, "nbf": now + 3600})
			other := ba.SignJWT(t, map[string]any{"sub": sess.UserID, "aud": "https://other.example"})
			otherIss := ba.SignJWT(t, map[string]any{"sub": sess.UserID, "iss": "https://other-issuer.example"})
			common := []string{"--base-url", ba.BaseURL, "--token", tok, "--expired-token", expired, "--not-yet-valid-token", notYet,
				"--other-audience-token", other, "--other-issuer-token", otherIss}

			// The correct backend: nothing accepted, nothing fetched. The
			// one warning is real: PyJWT raises TypeError (a 500) for an
			// alg of another family than the kid's key.
			sound := testenv.StartBackend(t, testenv.BackendOptions{Kind: "pyjwt", JWKSURL: ba.JWKSURL, Issuer: ba.Origin, Audience: ba.Origin})
			began := time.Now()
			out, r := probeJSON(t, append(common, "--require-all", sound.URL+"/api/me")...)
			if r.code != ExitOK || out.notPassed() != "alg_other_family=warn/500" || out.fetched() != "" || !out.GenuineAccepted || out.NotTested != 0 {
				t.Fatalf("correct backend: exit %d, not passed: %s, fetched: %s\n%s", r.code, out.notPassed(), out.fetched(), r.stderr)
			}
			t.Logf("%s: a whole probe of the correct backend took %s", alg, time.Since(began).Round(time.Millisecond))
			if _, r := probeJSON(t, append(common, "--strict", sound.URL+"/api/me")...); r.code != ExitNegative {
				t.Errorf("correct backend with --strict: exit %d, want 1 (the 500)", r.code)
			}

			enc := hmacEncodings[alg]
			flawed := testenv.StartBackend(t, testenv.BackendOptions{Kind: "flawed", JWKSURL: ba.JWKSURL, Issuer: ba.Origin, Audience: ba.Origin,
				HMACSecret: enc.secret})
			for _, fr := range flawedRoutes {
				t.Run(fr.route, func(t *testing.T) {
					t.Parallel()
					cases, cause := fr.cases, fr.cause
					if fr.route == "hmac" {
						cases, cause = enc.cases, enc.cases[0]
					}
					var want []string
					for _, c := range cases {
						if c == "psychic_signature" && !strings.HasPrefix(alg, "ES") || c == "alg_other_family" && alg == "EdDSA" {
							continue
						}
						if !strings.Contains(c, "=") {
							c += "=fail/200"
						}
						want = append(want, c)
					}
					url := flawed.URL + "/" + fr.route + "/api/me"
					out, r := probeJSON(t, append(common, url)...)
					if got := out.notPassed(); got != strings.Join(want, " ") || r.code != ExitNegative ||
						out.ForgeryAccepted != strings.Contains(strings.Join(want, " "), "=fail/200") || out.fetched() != fr.fetch {
						t.Errorf("exit %d\n not passed: %s\n       want: %s\n fetched: %q, want %q", r.code, got, strings.Join(want, " "), out.fetched(), fr.fetch)
					}
					if fr.fetch != "" && !out.FetchedFromToken {
						t.Errorf("fetchedFromToken false")
					}
					var why probeCauses
					if err := json.Unmarshal([]byte(r.stdout), &why); err != nil || len(why.Causes) == 0 || why.Causes[0].Case != cause {
						t.Errorf("first cause: %+v, want %s (%v)", why.Causes, cause, err)
					}
					if *e2eShow {
						txt := runLive(t, "", nil, append(append([]string{"probe", "--no-cache"}, common...), url)...)
						t.Logf("baverify probe (%s, %s), exit %d:\n%s", fr.route, alg, txt.code, txt.stdout)
					}
				})
			}

			if strings.HasPrefix(alg, "ES") {
				psychic := psychicBackend(t, ba, alg)
				out, r := probeJSON(t, append(common, psychic+"/api/me")...)
				if got := out.notPassed(); got != "psychic_signature=fail/200" || r.code != ExitNegative {
					t.Errorf("psychic backend: exit %d, not passed: %s; genuine: %s", r.code, got, out.probe("genuine").BackendSaid)
				}
			}
		})
	}
}

// psychicBackend is an API whose ECDSA check is written by hand and skips
// the range check of r and s (CVE-2022-21449); everything else it checks
// properly: alg, kid, iss, aud, exp, nbf.
func psychicBackend(t *testing.T, ba *testenv.BetterAuth, alg string) string {
	t.Helper()
	set, err := jwks.Parse(ba.JWKS(t))
	if err != nil || len(set.Keys) != 1 {
		t.Fatalf("JWKS: %v", err)
	}
	key := set.Keys[0]
	pub := key.Public.(*ecdsa.PublicKey)
	check := func(tok string) string {
		parts := strings.Split(tok, ".")
		if len(parts) != 3 {
			return "not three segments"
		}
		var h struct{ Alg, Kid string }
		var c struct {
			Iss      string
			Aud      any
			Exp, Nbf int64
		}
		hb, err1 := base64.RawURLEncoding.DecodeString(parts[0])
		cb, err2 := base64.RawURLEncoding.DecodeString(parts[1])
		sig, err3 := base64.RawURLEncoding.DecodeString(parts[2])
		if err1 != nil || err2 != nil || err3 != nil || json.Unmarshal(hb, &h) != nil || json.Unmarshal(cb, &c) != nil {
			return "does not decode"
		}
		if h.Alg != alg || h.Kid != key.Kid || len(sig) != 2*((pub.Curve.Params().BitSize+7)/8) {
			return "wrong alg, kid or signature length"
		}
		hash := sha256.New
		if alg == "ES512" {
			hash = sha512.New
		}
		d := hash()
		d.Write([]byte(parts[0] + "." + parts[1]))
		r, s := new(big.Int).SetBytes(sig[:len(sig)/2]), new(big.Int).SetBytes(sig[len(sig)/2:])
		if !psychicVerify(pub, d.Sum(nil), r, s) {
			return "signature invalid"
		}
		if c.Iss != ba.Origin || c.Aud != ba.Origin || c.Exp <= time.Now().Unix() || c.Nbf > time.Now().Unix() {
			return fmt.Sprintf("claims: iss %v aud %v exp %v", c.Iss, c.Aud, c.Exp)
		}
		return ""
	}
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		tok, ok := strings.CutPrefix(r.Header.Get("Authorization"), "Bearer ")
		if !ok {
			w.WriteHeader(http.StatusUnauthorized)
			return
		}
		if why := check(tok); why != "" {
			w.Header().Set("Content-Type", "application/json")
			w.WriteHeader(http.StatusUnauthorized)
			json.NewEncoder(w).Encode(map[string]string{"detail": why})
			return
		}
		w.Write([]byte(`{"ok":true}`))
	}))
	t.Cleanup(srv.Close)
	return srv.URL
}

// psychicVerify is ECDSA verification as the vulnerable Java code did it:
// without checking that 0 < r, s < n. With r = s = 0, s has no inverse,
// the code carries on with 0, the sum of the two points is the point at
// infinity, whose x (0) equals r.
func psychicVerify(pub *ecdsa.PublicKey, digest []byte, r, s *big.Int) bool {
	curve := pub.Curve
	n := curve.Params().N
	e := new(big.Int).SetBytes(digest)
	if excess := len(digest)*8 - n.BitLen(); excess > 0 {
		e.Rsh(e, uint(excess))
	}
	w := new(big.Int).ModInverse(s, n)
	if w == nil {
		w = new(big.Int)
	}
	u1 := new(big.Int).Mod(new(big.Int).Mul(e, w), n)
	u2 := new(big.Int).Mod(new(big.Int).Mul(r, w), n)
	x1, y1 := curve.ScalarBaseMult(u1.Bytes())           //nolint:staticcheck // the flaw needs the raw curve arithmetic
	x2, y2 := curve.ScalarMult(pub.X, pub.Y, u2.Bytes()) //nolint:staticcheck
	x, _ := curve.Add(x1, y1, x2, y2)                    //nolint:staticcheck
	return new(big.Int).Mod(x, n).Cmp(r) == 0
}
