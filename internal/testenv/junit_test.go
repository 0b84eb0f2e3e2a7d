package testenv

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
)

func TestValidateJUnit(t *testing.T) {
	// The probe's JUnit (a golden file) is valid: the validator knows the
	// structure baverify's JUnit already uses.
	probe, err := os.ReadFile(filepath.Join("..", "..", "cmd", "testdata", "probe_fooled.junit.xml"))
	if err != nil {
		t.Fatal(err)
	}
	if err := ValidateJUnit(probe); err != nil {
		t.Errorf("the probe's JUnit: %v", err)
	}
	const ok = `<testsuites tests="2" failures="1" errors="0" skipped="1"><testsuite name="s" tests="2" failures="1" errors="0" skipped="1">` +
		`<testcase name="a" classname="c"><failure message="m">x</failure></testcase><testcase name="b" classname="c"><skipped message="n"/></testcase></testsuite></testsuites>`
	if err := ValidateJUnit([]byte(ok)); err != nil {
		t.Errorf("valid: %v", err)
	}
	for _, tc := range []struct{ name, xml, want string }{
		{"not well-formed", `<testsuites><testsuite name="s" tests="0">`, "well-formed"},
		{"wrong root", `<report/>`, "root"},
		{"count off", strings.Replace(ok, `<testsuite name="s" tests="2"`, `<testsuite name="s" tests="3"`, 1), "holds 2"},
		{"sum off", strings.Replace(ok, `<testsuites tests="2" failures="1"`, `<testsuites tests="2" failures="0"`, 1), "sum"},
		{"no classname", strings.Replace(ok, `name="a" classname="c"`, `name="a"`, 1), "classname"},
		{"two outcomes", strings.Replace(ok, `<failure message="m">x</failure>`, `<failure message="m"/><error message="e"/>`, 1), "outcomes"},
		{"failure without message", strings.Replace(ok, `<failure message="m">`, `<failure>`, 1), "no message"},
		{"unknown element", strings.Replace(ok, `<skipped message="n"/>`, `<skipped message="n"/><note/>`, 1), "holds <note>"},
		{"suite without name", strings.Replace(ok, `<testsuite name="s"`, `<testsuite`, 1), "no name"},
	} {
		if err := ValidateJUnit([]byte(tc.xml)); err == nil || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("%s: got %v, want an error with %q", tc.name, err, tc.want)
		}
	}
}
