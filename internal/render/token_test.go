package render

import (
	"fmt"
	"strings"
	"testing"

	"github.com/baverify/baverify/internal/compat"
)

// The Backends line of a token report: how many measured setups cannot
// verify the algorithm and which libraries, that all can (and that the
// others are unknown), or that the algorithm is not measured.
func TestBackendsLine(t *testing.T) {
	m := richMatrix(t)
	ed := m.ForToken("EdDSA", "OKP", "Ed25519")
	rs := m.ForToken("RS256", "RSA", "")
	// The shipped table: simplejwt's default settings refuse an ES256
	// token for its claims, go-oidc's for its algorithm.
	es256 := compat.Default().ForToken("ES256", "EC", "P-256")
	es := m.ForToken("ES384", "EC", "P-384")
	failing := 0
	for _, e := range ed.Entries {
		if !e.Verifies {
			failing++
		}
	}
	for _, tc := range []struct {
		name, got string
		want      []string
	}{
		{"EdDSA", BackendsLine(&ed, Styles{}), []string{"Backends: ", " measured setups cannot verify EdDSA (python-jose", "— baverify compat --alg EdDSA, or --backends"}},
		{"ES256, refused for its claims", BackendsLine(&es256, Styles{}), []string{"cannot verify ES256 (go-oidc); 1 refuses the token's claims, not its algorithm (djangorestframework-simplejwt) — "}},
		{"RS256", BackendsLine(&rs, Styles{}), []string{"Backends: all ", " measured setups verify RS256; stacks not measured are unknown (baverify compat)"}},
		{"ES384", BackendsLine(&es, Styles{}), []string{"Backends: ES384 is not measured"}},
	} {
		if strings.Contains(tc.got, "\n") {
			t.Errorf("%s: more than one line: %q", tc.name, tc.got)
		}
		for _, w := range tc.want {
			if !strings.Contains(tc.got, w) {
				t.Errorf("%s: %q lacks %q", tc.name, tc.got, w)
			}
		}
	}
	if failing == 0 || !strings.HasPrefix(BackendsLine(&ed, Styles{}), fmt.Sprintf("Backends: %d of %d ", failing, len(ed.Entries))) {
		t.Errorf("EdDSA counts: %q (%d failing of %d)", BackendsLine(&ed, Styles{}), failing, len(ed.Entries))
	}
}
