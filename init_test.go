package main

import (
	"os"
	"os/exec"
	"regexp"
	"strconv"
	"strings"
	"testing"
)

func TestMain(m *testing.M) {
	// The child of TestPackageInitDoesNoWork: every package init has run
	// by now; exit before any test does.
	if os.Getenv("BAVERIFY_INIT_TRACE_CHILD") == "1" {
		os.Exit(0)
	}
	// The child of the process tests: this test binary runs baverify itself.
	if os.Getenv("BAVERIFY_RUN_MAIN") == "1" {
		os.Args = append([]string{"baverify"}, os.Args[1:]...)
		main()
		os.Exit(0)
	}
	os.Exit(m.Run())
}

// Start-up is most of a baverify run, so baverify's own packages do no work
// at init: no regexp compiled, no table built. The runtime's init trace of
// this test binary (which links every package main does) counts their
// allocations; a package-level regexp.MustCompile alone makes hundreds.
func TestPackageInitDoesNoWork(t *testing.T) {
	cmd := exec.Command(os.Args[0])
	cmd.Env = append(os.Environ(), "GODEBUG=inittrace=1", "BAVERIFY_INIT_TRACE_CHILD=1")
	out, err := cmd.CombinedOutput()
	if err != nil {
		t.Fatalf("%v\n%s", err, out)
	}
	line := regexp.MustCompile(`(?m)^init (github\.com/baverify/baverify/\S+) @.* (\d+) bytes, (\d+) allocs$`)
	seen := 0
	for _, m := range line.FindAllStringSubmatch(string(out), -1) {
		seen++
		bytes, _ := strconv.Atoi(m[2])
		allocs, _ := strconv.Atoi(m[3])
		if allocs > 16 || bytes > 4096 {
			t.Errorf("init of %s allocates %d bytes in %d allocations: move the work to first use (sync.OnceValue)", m[1], bytes, allocs)
		}
	}
	// A package without init work has no trace line at all; the runtime's
	// own line proves the trace was on.
	if !strings.Contains(string(out), "init runtime @") {
		t.Fatalf("no init trace:\n%s", out)
	}
	t.Logf("%d of baverify's packages run init code, all within bounds", seen)
}
