package cmd

import (
	"strings"
	"testing"

	"github.com/baverify/baverify/internal/doctor"
)

func TestDoctorUsage(t *testing.T) {
	base := []string{"doctor", "--base-url", "http://127.0.0.1:9"}
	for _, tc := range []struct {
		name string
		args []string
		want string
	}{
		{"no base URL", []string{"doctor"}, "--base-url"},
		{"library without backend", append(base, "--backend-library", "PyJWT"), "goes with --backend"},
		{"libraries not paired", append(base, "--backend", "http://a/x", "--backend", "http://b/x", "--backend-library", "PyJWT", "--backend-library", "PyJWT", "--backend-library", "jose"), "once per --backend"},
		{"backend not http", append(base, "--backend", "ftp://a/x"), "http(s) URL"},
		{"origin with a path", append(base, "--origin", "http://localhost:5173/app"), "--origin"},
		{"attacker flags without --probe", append(base, "--attacker-url", "http://tunnel.example"), "go with --probe"},
		{"password in a flag", append(base, "--email", "a@example.com", "--password", "x"), "never put a password in a flag"},
		{"an argument", append(base, "hunter2"), "takes no arguments"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			r := run(t, runConfig{}, tc.args...)
			if r.code != ExitUsage || !strings.Contains(r.stderr, tc.want) {
				t.Errorf("exit %d, stderr %q; want 2 and %q", r.code, r.stderr, tc.want)
			}
			if strings.Contains(r.stderr, "hunter2") {
				t.Errorf("an argument was echoed: %q", r.stderr)
			}
		})
	}
}

func TestDoctorPairLibraries(t *testing.T) {
	for _, tc := range []struct {
		backends, libs []string
		want           []doctor.Backend
	}{
		{[]string{"http://a/x", "http://b/x"}, nil, []doctor.Backend{{URL: "http://a/x"}, {URL: "http://b/x"}}},
		{[]string{"http://a/x", "http://b/x"}, []string{"PyJWT"}, []doctor.Backend{{URL: "http://a/x", Library: "PyJWT"}, {URL: "http://b/x", Library: "PyJWT"}}},
		{[]string{"http://a/x", "http://b/x"}, []string{"python-jose", "-"}, []doctor.Backend{{URL: "http://a/x", Library: "python-jose"}, {URL: "http://b/x"}}},
	} {
		o := &doctorOptions{backends: tc.backends, libs: tc.libs}
		got, err := o.pairLibraries()
		if err != nil || len(got) != len(tc.want) {
			t.Fatalf("%v %v: %v, %v", tc.backends, tc.libs, got, err)
		}
		for i := range got {
			if got[i] != tc.want[i] {
				t.Errorf("%v %v: backend %d = %+v, want %+v", tc.backends, tc.libs, i, got[i], tc.want[i])
			}
		}
	}
}
