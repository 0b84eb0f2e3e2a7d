package doctor

import (
	"strings"
	"testing"

	"github.com/baverify/baverify/internal/testenv"
)

// library_alg blames the algorithm only for the setups that fail on it:
// simplejwt's default settings refuse a Better Auth token for its claims
// (no jti), whatever its algorithm.
func TestLibraryCheck(t *testing.T) {
	for _, tc := range []struct {
		alg, library string
		status       Status
		want, not    string
	}{
		{"ES256", "drf", Warn, "djangorestframework-simplejwt verifies ES256 tokens in some setups only (measured): djangorestframework-simplejwt/default-claims refuses the token's claims, not its algorithm", "cannot verify"},
		{"EdDSA", "drf", Fail, "djangorestframework-simplejwt cannot verify EdDSA, the algorithm this deployment signs with (measured)", "claims"},
		{"EdDSA", "python-jose", Fail, "python-jose cannot verify EdDSA", "claims"},
		{"ES256", "pyjwt", Pass, "measured: PyJWT verifies ES256", "cannot"},
	} {
		r := &run{token: strings.TrimSpace(testenv.LoadReal(t, tc.alg).Token)}
		c := r.libraryCheck(Backend{Library: tc.library})
		if c.Status != tc.status || !strings.Contains(c.Message, tc.want) || strings.Contains(c.Message, tc.not) {
			t.Errorf("%s %s: %s %q", tc.library, tc.alg, c.Status, c.Message)
		}
	}
}
