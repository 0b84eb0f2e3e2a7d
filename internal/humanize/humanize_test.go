package humanize

import (
	"testing"
	"time"
)

func TestDuration(t *testing.T) {
	for d, want := range map[time.Duration]string{
		0: "0s", 45 * time.Second: "45s", 1500 * time.Millisecond: "2s", -3 * time.Minute: "3m",
		12*time.Minute + 3*time.Second: "12m3s", 2*time.Hour + 5*time.Minute: "2h5m", time.Hour: "1h",
		76 * time.Hour: "3d4h", 48 * time.Hour: "2d",
	} {
		if got := Duration(d); got != want {
			t.Errorf("Duration(%v) = %q, want %q", d, got, want)
		}
	}
	now := time.Unix(1000, 0)
	if got := Relative(now.Add(90*time.Second), now); got != "in 1m30s" {
		t.Errorf("Relative future = %q", got)
	}
	if got := Relative(now.Add(-4*time.Minute), now); got != "4m ago" {
		t.Errorf("Relative past = %q", got)
	}
}

func TestClip(t *testing.T) {
	for _, tc := range []struct {
		s    string
		n    int
		want string
	}{
		{"short", 10, "short"},
		{"exactly", 7, "exactly"},
		{"abcdef", 3, "abc…"},
		{"ééé", 3, "é…"}, // never half a rune
		{"abc", 0, "…"},
	} {
		if got := Clip(tc.s, tc.n); got != tc.want {
			t.Errorf("Clip(%q, %d) = %q, want %q", tc.s, tc.n, got, tc.want)
		}
	}
}

// Times beyond the ~292 years a time.Duration holds are still told right,
// not saturated ("-9223372036s ago").
func TestRelativeFarAway(t *testing.T) {
	now := time.Unix(1795707986, 0)
	for _, tc := range []struct {
		sec  int64
		want string
	}{
		{253402300800, "in 7978y143d"},
		{-62167219201, "2028y91d ago"},
		{1795707986 + 400*86400, "in 1y35d"},
		{1795707986 - 365*86400, "1y ago"},
	} {
		if got := Relative(time.Unix(tc.sec, 0), now); got != tc.want {
			t.Errorf("Relative(%d) = %q, want %q", tc.sec, got, tc.want)
		}
	}
}

func TestEditDistance(t *testing.T) {
	for _, tc := range []struct {
		a, b string
		want int
	}{{"", "", 0}, {"jwks", "jwks", 0}, {"jwk", "jwks", 1}, {"tokne", "token", 2}, {"express", "", 7}, {"kitten", "sitting", 3}} {
		if got := EditDistance(tc.a, tc.b); got != tc.want {
			t.Errorf("EditDistance(%q, %q) = %d, want %d", tc.a, tc.b, got, tc.want)
		}
	}
}
