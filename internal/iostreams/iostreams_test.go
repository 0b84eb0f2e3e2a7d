package iostreams

import "testing"

func TestUseColor(t *testing.T) {
	env := func(kv ...string) func(string) string {
		m := map[string]string{}
		for i := 0; i+1 < len(kv); i += 2 {
			m[kv[i]] = kv[i+1]
		}
		return func(k string) string { return m[k] }
	}
	for _, tc := range []struct {
		name string
		mode ColorMode
		tty  bool
		env  func(string) string
		want bool
	}{
		{"terminal", ColorAuto, true, env(), true},
		{"pipe", ColorAuto, false, env(), false},
		{"NO_COLOR=1", ColorAuto, true, env("NO_COLOR", "1"), false},
		{"NO_COLOR=0 still means no colour", ColorAuto, true, env("NO_COLOR", "0"), false},
		{"empty NO_COLOR is unset", ColorAuto, true, env("NO_COLOR", ""), true},
		{"TERM=dumb", ColorAuto, true, env("TERM", "dumb"), false},
		{"never", ColorNever, true, env(), false},
		{"always on a pipe", ColorAlways, false, env(), true},
	} {
		if got := UseColor(tc.mode, tc.tty, tc.env); got != tc.want {
			t.Errorf("%s: UseColor = %v", tc.name, got)
		}
	}
}
