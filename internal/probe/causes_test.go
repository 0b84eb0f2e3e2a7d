package probe

import (
	"context"
	"crypto/hmac"
	"crypto/sha256"
	"encoding/base64"
	"net/http"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/baverify/baverify/internal/call"
	"github.com/baverify/baverify/internal/httpclient"
	"github.com/baverify/baverify/internal/verify"
)

// causesOf is "case: explained1 explained2; case2: ..." for the report.
func causesOf(rep *Report) string {
	var parts []string
	for _, c := range rep.Causes {
		parts = append(parts, c.Case+": "+strings.Join(c.Explains, " "))
	}
	return strings.Join(parts, "; ")
}

// A backend that skips verification for a kid the JWKS does not have
// accepts unknown_kid, and with it every kid injection: one flaw, the
// control names it, the others are explained by it.
func TestExplainUnknownKid(t *testing.T) {
	t.Parallel()
	rt := loadReal(t, "EdDSA")
	sound := soundBackendCheck(t, rt)
	b := newBackend(t, func(a string) int {
		tok, _ := strings.CutPrefix(a, "Bearer ")
		if h, _, err := decodeHeader(tok); err == nil {
			if kid, _ := h["kid"].(string); kid != rt.key.Kid {
				return http.StatusOK
			}
		}
		return sound(a)
	})
	rep := runProbe(t, rt, b.srv.URL+"/api/me")
	want := "unknown_kid: kid_blank kid_path_traversal kid_sql_injection header_type_confusion"
	if got := causesOf(rep); got != want {
		t.Fatalf("causes: %s\nwant %s", got, want)
	}
	for _, p := range rep.Probes {
		if p.Name == CaseKidSQLInjection && (p.Outcome != Fail || p.ExplainedBy != CaseUnknownKid) {
			t.Errorf("kid_sql_injection: %s explained by %q", p.Outcome, p.ExplainedBy)
		}
		if p.Name == CaseUnknownKid && p.ExplainedBy != "" {
			t.Errorf("unknown_kid explained by %q", p.ExplainedBy)
		}
	}
	if !strings.Contains(rep.Causes[0].Fix, "kid is not in the JWKS") {
		t.Errorf("fix: %q", rep.Causes[0].Fix)
	}
}

// A backend with a leftover HS256 secret "" accepts hmac_weak_secret, and
// the kid cases keyed with the empty secret: explained by it, not a kid
// injection.
func TestExplainWeakSecret(t *testing.T) {
	t.Parallel()
	rt := loadReal(t, "ES256")
	sound := soundBackendCheck(t, rt)
	b := newBackend(t, func(a string) int {
		tok, _ := strings.CutPrefix(a, "Bearer ")
		if h, _, err := decodeHeader(tok); err == nil && h["alg"] == "HS256" {
			i := strings.LastIndexByte(tok, '.')
			mac := hmac.New(sha256.New, nil)
			mac.Write([]byte(tok[:i]))
			if base64.RawURLEncoding.EncodeToString(mac.Sum(nil)) == tok[i+1:] {
				return http.StatusOK
			}
			return http.StatusUnauthorized
		}
		return sound(a)
	})
	rep := runProbe(t, rt, b.srv.URL+"/api/me")
	if got, want := causesOf(rep), "hmac_weak_secret: kid_blank kid_path_traversal"; got != want {
		t.Fatalf("causes: %s\nwant %s", got, want)
	}
	w := rep.Probes[slices.IndexFunc(rep.Probes, func(r Result) bool { return r.Name == CaseHMACWeakSecret })]
	if w.Variant != `HS256, secret ""` || w.Tokens != 30 || !strings.HasPrefix(w.Message, `HS256, secret "": ACCEPTED (HTTP 200)`) {
		t.Errorf("hmac_weak_secret: %q %q %d", w.Variant, w.Message, w.Tokens)
	}
	if !strings.Contains(rep.Causes[0].Fix, `(accepted: HS256, secret "")`) {
		t.Errorf("fix: %q", rep.Causes[0].Fix)
	}
}

// An expired token that expired an hour ago: accepted, it says "or with a
// leeway over 1h"; sent, the coverage warns that a shorter leeway goes
// unseen.
func TestExpiredTokenAge(t *testing.T) {
	t.Parallel()
	rt := loadReal(t, "EdDSA")
	expiredAt := time.Unix(rt.Exp, 0)
	now := func() time.Time { return expiredAt.Add(time.Hour) }
	cases, err := Forge(Inputs{Token: rt.token, AttackerSkip: "no listener", Now: now,
		Deployment: map[Kind]DeploymentToken{KindExpired: {Token: rt.token, Source: "--expired-token"}}})
	if err != nil {
		t.Fatal(err)
	}
	if c := byName(t, cases)[CaseExpiredToken]; c.ExpiredAgo != time.Hour {
		t.Fatalf("expired %s ago", c.ExpiredAgo)
	}
	// The backend accepts that one token (here, also the genuine one).
	b := newBackend(t, func(a string) int {
		if a == "Bearer "+rt.token {
			return http.StatusOK
		}
		return http.StatusUnauthorized
	})
	rep := Run(context.Background(), Options{Method: "GET", URL: b.srv.URL, Expect: expectation(t, ""),
		NewClient: func(log *call.RedirectLog) (*http.Client, error) { return httpclient.New(httpclient.Options{}) }}, cases, nil)
	e := rep.Probes[slices.IndexFunc(rep.Probes, func(r Result) bool { return r.Name == CaseExpiredToken })]
	if e.Source != "--expired-token" {
		t.Errorf("source %q", e.Source)
	}
	if e.Outcome != Fail || e.Message != "ACCEPTED (HTTP 200): exp is not checked, or with a leeway over 1h (the token expired 1h ago)" {
		t.Errorf("expired_token: %s %q", e.Outcome, e.Message)
	}
	if len(rep.Causes) != 1 || !strings.Contains(rep.Causes[0].Fix, "expired 1h ago") {
		t.Errorf("causes: %+v", rep.Causes)
	}
	if len(rep.Coverage.Caveats) != 1 || !strings.Contains(rep.Coverage.Caveats[0].Why, "a leeway of up to 1h goes unseen") {
		t.Errorf("caveats: %+v", rep.Coverage.Caveats)
	}
	// Refused, it still says how old the token was (another real token
	// plays the expired one).
	other := loadReal(t, "ES256")
	cases, err = Forge(Inputs{Token: rt.token, AttackerSkip: "no listener", Now: func() time.Time { return time.Unix(other.Exp, 0).Add(2 * time.Hour) },
		Deployment: map[Kind]DeploymentToken{KindExpired: {Token: other.token}}})
	if err != nil {
		t.Fatal(err)
	}
	rep = Run(context.Background(), Options{Method: "GET", URL: b.srv.URL, Expect: expectation(t, ""),
		NewClient: func(log *call.RedirectLog) (*http.Client, error) { return httpclient.New(httpclient.Options{}) }}, cases, nil)
	e = rep.Probes[slices.IndexFunc(rep.Probes, func(r Result) bool { return r.Name == CaseExpiredToken })]
	if e.Outcome != Pass || e.Message != "refused (HTTP 401) (the token expired 2h ago)" {
		t.Errorf("expired_token refused: %s %q", e.Outcome, e.Message)
	}
	for _, d := range []struct {
		d    time.Duration
		want string
	}{{45 * time.Second, "45s"}, {12 * time.Minute, "12m"}, {3*time.Hour + 20*time.Minute, "3h20m"}, {25 * time.Hour, "25h"}, {72 * time.Hour, "3d"}} {
		if got := Ago(d.d); got != d.want {
			t.Errorf("Ago(%s) = %s, want %s", d.d, got, d.want)
		}
	}
}

// The coverage names each check, tested or not and why: without the
// deployment's tokens, exp, nbf, iss and aud are not tested; without a
// listener, the key URLs are partly tested.
func TestCheckCoverage(t *testing.T) {
	t.Parallel()
	rt := loadReal(t, "EdDSA")
	b := newBackend(t, soundBackendCheck(t, rt))
	rep := runProbe(t, rt, b.srv.URL+"/api/me")
	got := map[string]CheckCoverage{}
	for _, c := range rep.Coverage.Checks {
		got[c.Check] = c
	}
	for check, want := range map[string]string{CheckSignature: Tested, CheckHMACSecret: Tested, CheckErrors: Tested,
		CheckKid: PartlyTested, CheckTokenKeys: PartlyTested, CheckExp: CheckUntested, CheckNbf: CheckUntested, CheckIss: CheckUntested, CheckAud: CheckUntested} {
		if got[check].Status != want {
			t.Errorf("%s: %+v, want %s", check, got[check], want)
		}
	}
	if n := got[CheckNbf]; n.EnabledBy != "--not-yet-valid-token" || !slices.Equal(n.NotTested, []string{CaseNotYetValid}) {
		t.Errorf("nbf: %+v", n)
	}
	if k := got[CheckTokenKeys]; !slices.Equal(k.NotTested, []string{CaseKidURL, CaseJKU, CaseX5U, CaseIssDiscovery, CaseURLInjection}) {
		t.Errorf("keys_from_token: %+v", k)
	}
}

// A backend that fetches the jku after it answered is still caught: the
// listener stays open for the grace period.
func TestListenerGraceCatchesALateFetch(t *testing.T) {
	t.Parallel()
	rt, a, l := startTestListener(t, "EdDSA")
	defer l.Close()
	b := newBackend(t, func(auth string) int {
		tok, _ := strings.CutPrefix(auth, "Bearer ")
		if tok == rt.token {
			return http.StatusOK
		}
		if h, _, err := decodeHeader(tok); err == nil {
			if jku, ok := h["jku"].(string); ok {
				go func() {
					time.Sleep(200 * time.Millisecond)
					if resp, err := http.Get(jku); err == nil {
						resp.Body.Close()
					}
				}()
			}
		}
		return http.StatusUnauthorized
	})
	cases, err := Forge(Inputs{Token: rt.token, Attacker: a, AttackerURL: l.Base()})
	if err != nil {
		t.Fatal(err)
	}
	rep := Run(context.Background(), Options{Method: "GET", URL: b.srv.URL, Expect: expectation(t, ""), Listener: l, ListenerGrace: 10 * time.Second,
		NewClient: func(log *call.RedirectLog) (*http.Client, error) { return httpclient.New(httpclient.Options{}) }}, cases, nil)
	if !rep.FetchedFromToken || rep.Attacker.GraceMs != 10000 || len(rep.Attacker.Fetches) != 1 || rep.Attacker.Fetches[0].Case != CaseJKU {
		t.Fatalf("attacker: %+v", rep.Attacker)
	}
}

// The claim checks of the deployment tokens: each must be signed here,
// wrong in its one way only.
func TestCheckNotYetValidAndOtherIssuer(t *testing.T) {
	t.Parallel()
	rt := loadReal(t, "EdDSA")
	genuine := rt.verify(t, rt.token)
	with := func(codes ...verify.Code) *verify.Result {
		r := *genuine
		r.Errors = nil
		for _, c := range codes {
			r.Errors = append(r.Errors, verify.Problem{Code: c})
		}
		return &r
	}
	if err := CheckNotYetValid(with(verify.CodeNotYetValid)); err != nil {
		t.Errorf("not yet valid: %v", err)
	}
	if err := CheckNotYetValid(with()); err == nil || !strings.Contains(err.Error(), "already valid") {
		t.Errorf("valid: %v", err)
	}
	if err := CheckNotYetValid(with(verify.CodeNotYetValid, verify.CodeAudienceMismatch)); err == nil || !strings.Contains(err.Error(), "another reason (audience_mismatch)") {
		t.Errorf("also another audience: %v", err)
	}
	// The same iss as the genuine token's is no other issuer, whatever
	// the policy said.
	if err := CheckOtherIssuer(with(), genuine); err == nil || !strings.Contains(err.Error(), "is also the genuine token's") {
		t.Errorf("same iss: %v", err)
	}
	if err := CheckOtherIssuer(with(verify.CodeIssuerMismatch, verify.CodeExpired), genuine); err == nil || !strings.Contains(err.Error(), "another reason (expired)") {
		t.Errorf("also expired: %v", err)
	}
	other := loadReal(t, "ES256") // another deployment: another iss
	if err := CheckOtherIssuer(with(verify.CodeIssuerMismatch), other.verify(t, other.token)); err != nil {
		t.Errorf("another iss: %v", err)
	}
}

// soundBackendCheck verifies like a correct backend, at the real token's
// time.
func soundBackendCheck(t *testing.T, rt realToken) func(string) int {
	return func(a string) int {
		tok, ok := strings.CutPrefix(a, "Bearer ")
		if !ok || !rt.verify(t, tok).Valid {
			return http.StatusUnauthorized
		}
		return http.StatusOK
	}
}

// A backend that locks a client out after a few bad tokens refuses the
// genuine token at the end: every refusal is then inconclusive, not a
// pass.
func TestLockoutMakesRefusalsInconclusive(t *testing.T) {
	t.Parallel()
	rt := loadReal(t, "EdDSA")
	sound := soundBackendCheck(t, rt)
	var mu sync.Mutex
	bad := 0
	b := newBackend(t, func(a string) int {
		mu.Lock()
		defer mu.Unlock()
		if bad >= 5 {
			return http.StatusForbidden
		}
		st := sound(a)
		if st != http.StatusOK {
			bad++
		}
		return st
	})
	rep := runProbe(t, rt, b.srv.URL+"/api/me")
	if rep.OK || rep.GenuineAfter == nil || rep.GenuineAfter.Status != http.StatusForbidden || rep.Passed != 1 || rep.Inconclusive != 27 {
		t.Fatalf("ok %v, genuine after %+v, passed %d, inconclusive %d", rep.OK, rep.GenuineAfter, rep.Passed, rep.Inconclusive)
	}
	if p := rep.Probes[5]; !strings.Contains(p.Message, "the genuine token was refused after the forgeries (HTTP 403): a rate limit or a lockout?") {
		t.Errorf("%s: %q", p.Name, p.Message)
	}
}
