package probe

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/baverify/baverify/internal/keysource"
	"github.com/baverify/baverify/internal/verify"
)

func TestCheckDeploymentTokens(t *testing.T) {
	t.Parallel()
	rt := loadReal(t, "ES256")
	verifyAt := func(at time.Time, aud string, keys string) *verify.Result {
		v := &verify.Verifier{Now: func() time.Time { return at }, Keys: &keysource.Reader{Name: keys},
			Policy: verify.Policy{Issuer: rt.Origin, Audiences: []string{aud}}}
		return v.Verify(context.Background(), rt.token)
	}
	during, after := time.Unix(rt.Iat+60, 0), time.Unix(rt.Exp+60, 0)
	otherKeys := loadReal(t, "EdDSA").JWKSPath

	if err := CheckExpired(verifyAt(after, rt.Origin, rt.JWKSPath)); err != nil {
		t.Errorf("an expired token: %v", err)
	}
	for _, tc := range []struct {
		name string
		r    *verify.Result
		want string
	}{
		{"not expired", verifyAt(during, rt.Origin, rt.JWKSPath), "has not expired"},
		{"expired and for another audience", verifyAt(after, "https://other.example", rt.JWKSPath), "another reason (audience_mismatch)"},
		{"signed by another deployment", verifyAt(after, rt.Origin, otherKeys), "not signed by a key of the JWKS"},
	} {
		if err := CheckExpired(tc.r); err == nil || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("%s: %v, want %q", tc.name, err, tc.want)
		}
	}

	// The genuine token's audience is another one than this token's.
	elsewhere, err := verify.Decode(enc([]byte(`{"alg":"ES256"}`)) + "." + enc([]byte(`{"aud":["https://api.example"]}`)) + ".c2ln")
	if err != nil {
		t.Fatal(err)
	}
	genuineElsewhere := &verify.Result{Token: elsewhere}
	if err := CheckOtherAudience(verifyAt(during, "https://api.example", rt.JWKSPath), genuineElsewhere); err != nil {
		t.Errorf("a token for another audience: %v", err)
	}
	same := verifyAt(during, rt.Origin, rt.JWKSPath)
	if err := CheckOtherAudience(same, same); err == nil || !strings.Contains(err.Error(), "also the genuine token's") {
		t.Errorf("the same audience: %v", err)
	}
	if err := CheckOtherAudience(verifyAt(after, "https://api.example", rt.JWKSPath), genuineElsewhere); err == nil || !strings.Contains(err.Error(), "expired") {
		t.Errorf("an expired token for another audience: %v", err)
	}
}

// A token minted without exp or aud must lack that claim, verify, and
// fail only for the missing claim: anything else makes its refusal prove
// nothing.
func TestCheckMissingClaim(t *testing.T) {
	t.Parallel()
	decode := func(payload string) *verify.Token {
		tok, err := verify.Decode(enc([]byte(`{"alg":"ES256"}`)) + "." + enc([]byte(payload)) + ".c2ln")
		if err != nil {
			t.Fatal(err)
		}
		return tok
	}
	missing := verify.Problem{Code: verify.CodeClaimMissing, Message: "the token has no exp"}
	for _, tc := range []struct {
		name  string
		claim string
		r     *verify.Result
		want  string // "" for no error
	}{
		{"no exp", "exp", &verify.Result{Token: decode(`{"sub":"a","aud":"x"}`), Verified: true, Errors: []verify.Problem{missing}}, ""},
		{"no aud", "aud", &verify.Result{Token: decode(`{"sub":"a","exp":1}`), Verified: true, Errors: []verify.Problem{{Code: verify.CodeClaimMissing}}}, ""},
		{"has exp", "exp", &verify.Result{Token: decode(`{"exp":1}`), Verified: true, Errors: []verify.Problem{{Code: verify.CodeExpired}}}, "has a exp claim"},
		{"also expired", "aud", &verify.Result{Token: decode(`{"exp":1}`), Verified: true, Errors: []verify.Problem{{Code: verify.CodeClaimMissing}, {Code: verify.CodeExpired}}}, "another reason (expired)"},
		{"not verified", "exp", &verify.Result{Token: decode(`{}`), Errors: []verify.Problem{missing}}, "could not be checked"},
		{"bad signature", "exp", &verify.Result{Token: decode(`{}`), Verified: true, Errors: []verify.Problem{{Code: verify.CodeSignature}, missing}}, "not signed by a key of the JWKS"},
	} {
		err := CheckMissingClaim(tc.r, tc.claim)
		switch {
		case tc.want == "" && err != nil:
			t.Errorf("%s: %v", tc.name, err)
		case tc.want != "" && (err == nil || !strings.Contains(err.Error(), tc.want)):
			t.Errorf("%s: %v, want %q", tc.name, err, tc.want)
		}
	}
}

// The no-exp and no-aud cases exist only with a minted token: no Better
// Auth route issues one, so without it they are not listed as untested.
func TestMissingClaimCasesOnlyWhenMinted(t *testing.T) {
	t.Parallel()
	names := func(in Inputs) map[string]Case {
		cases, err := Forge(in)
		if err != nil {
			t.Fatal(err)
		}
		out := map[string]Case{}
		for _, c := range cases {
			out[c.Name] = c
		}
		return out
	}
	rt := loadReal(t, "ES256")
	in := Inputs{Token: rt.token}
	without := names(in)
	if _, ok := without[CaseNoExp]; ok {
		t.Errorf("%s listed without a minted token", CaseNoExp)
	}
	if c, ok := without[CaseExpiredToken]; !ok || c.NotTested == "" {
		t.Errorf("%s: %+v, want a not-tested case", CaseExpiredToken, c)
	}
	in.Deployment = map[Kind]DeploymentToken{KindNoExp: {Token: "a.b.c", Source: "minted by --mint-from x"}, KindNoAud: {Token: "d.e.f", Source: "minted by --mint-from x"}}
	with := names(in)
	for name, tok := range map[string]string{CaseNoExp: "a.b.c", CaseNoAud: "d.e.f"} {
		c, ok := with[name]
		if !ok || c.Token != tok || c.NotTested != "" || c.Source != "minted by --mint-from x" || c.Fix == "" {
			t.Errorf("%s: %+v", name, c)
		}
	}
	if with[CaseNoExp].Check != CheckExp || with[CaseNoAud].Check != CheckAud {
		t.Errorf("checks: %s, %s", with[CaseNoExp].Check, with[CaseNoAud].Check)
	}
}

// Every kind probe has a case for is one a minter can be asked for; the
// rotated-out key has no case yet, so none is minted.
func TestKinds(t *testing.T) {
	got := Kinds()
	want := []Kind{KindExpired, KindNotYetValid, KindOtherAudience, KindOtherIssuer, KindNoExp, KindNoAud}
	if len(got) != len(want) {
		t.Fatalf("Kinds() = %v, want %v", got, want)
	}
	for i := range want {
		if got[i] != want[i] {
			t.Fatalf("Kinds() = %v, want %v", got, want)
		}
	}
}
