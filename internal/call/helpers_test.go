package call

import (
	"context"
	"encoding/json"
	"testing"
	"time"

	"github.com/baverify/baverify/internal/keysource"
	"github.com/baverify/baverify/internal/testenv"
	"github.com/baverify/baverify/internal/verify"
)

// realToken is a token captured from a real Better Auth 1.7.25 (testdata/real).
type realToken = testenv.Real

func loadReal(t testing.TB, alg string) realToken { return testenv.LoadReal(t, alg) }

// verifyAt verifies the real token against its own JWKS, pinned to its
// origin, at the given time. keys=false verifies with no key source.
func verifyAt(t testing.TB, rt realToken, at time.Time, keys bool) *verify.Result {
	t.Helper()
	v := &verify.Verifier{Now: func() time.Time { return at },
		Policy: verify.Policy{Issuer: rt.Origin, Audiences: []string{rt.Origin}, BaseURL: rt.Origin}}
	if keys {
		v.Keys = &keysource.Reader{Name: rt.JWKSPath}
	}
	return v.Verify(context.Background(), rt.Token)
}

func jsonValid(s string) bool { return json.Valid([]byte(s)) }
