package verify

import (
	"encoding/json"
	"testing"
)

// TestExtremeExpiresAtJSON: an exp inside baverify's own bounds (±1e12)
// but outside the years RFC 3339 can write (0000-9999) still gives one
// JSON object; expiresAt is then the NumericDate, as a string, and
// expiresIn the exact difference in seconds.
func TestExtremeExpiresAtJSON(t *testing.T) {
	k := keyFor(t, "EdDSA")
	set := setOf(t, k.jwk())
	for _, tc := range []struct {
		exp       any
		expiresAt string
		expiresIn int64
	}{
		{int64(253402300799), "9999-12-31T23:59:59Z", 253402300799 - testNow},
		{int64(253402300800), "253402300800", 253402300800 - testNow},
		{1e12, "1000000000000", 1e12 - testNow},
		{json.Number("253402300800.5"), "253402300800.5", 253402300800 - testNow},
		{int64(-62167219200), "0000-01-01T00:00:00Z", -62167219200 - testNow},
		{int64(-62167219201), "-62167219201", -62167219201 - testNow},
		{-1e12, "-1000000000000", -1e12 - testNow},
	} {
		r := verifyWith(t, set, pinned(), k.sign(t, betterAuthClaims("exp", tc.exp)))
		b, err := json.Marshal(r)
		if err != nil {
			t.Fatalf("exp %v: %v", tc.exp, err)
		}
		var got struct {
			ExpiresAt string `json:"expiresAt"`
			ExpiresIn int64  `json:"expiresIn"`
		}
		if err := json.Unmarshal(b, &got); err != nil {
			t.Fatalf("exp %v: %v in %s", tc.exp, err, b)
		}
		if got.ExpiresAt != tc.expiresAt || got.ExpiresIn != tc.expiresIn {
			t.Errorf("exp %v: expiresAt %q expiresIn %d, want %q %d", tc.exp, got.ExpiresAt, got.ExpiresIn, tc.expiresAt, tc.expiresIn)
		}
	}
}
