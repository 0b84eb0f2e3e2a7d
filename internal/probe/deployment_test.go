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
