package cmd

import (
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"runtime"
	"strings"
	"testing"
)

// TestDocsInstallFromSource: README's install section gives a route that
// works from a clone, before any release exists, and that route builds a
// baverify that runs. The published routes are marked as such.
func TestDocsInstallFromSource(t *testing.T) {
	if testing.Short() {
		t.Skip("builds baverify")
	}
	readme, err := os.ReadFile(filepath.Join("..", "README.md"))
	if err != nil {
		t.Fatal(err)
	}
	section := string(readme)
	start := strings.Index(section, "\n## Install\n")
	if start < 0 {
		t.Fatal("README.md has no ## Install section")
	}
	section = section[start+1:]
	if end := strings.Index(section[3:], "\n## "); end >= 0 {
		section = section[:end+3]
	}
	for _, want := range []string{
		"CGO_ENABLED=0 go install .",
		"go build -o baverify .",
		"scripts/npm-pack.sh --platforms host dist/npm",
		"docs/install.md",
	} {
		if !strings.Contains(section, want) {
			t.Errorf("README's install section does not give %q", want)
		}
	}
	// npx, npm install, brew and go install @latest come after the line that
	// says they need a published release.
	published := strings.Index(section, "Once a release is published")
	for _, route := range []string{"npx baverify", "npm install --save-dev baverify", "brew install", "go install github.com/baverify/baverify@latest"} {
		if i := strings.Index(section, route); i < 0 || published < 0 || i < published {
			t.Errorf("README's install section gives %q before saying that it needs a published release", route)
		}
	}

	// The from-source route, as README gives it, into a temporary folder.
	if !regexp.MustCompile(`(?m)^go build -o baverify \. `).MatchString(section) {
		t.Fatal("README's install section has no line starting with go build -o baverify .")
	}
	exe := filepath.Join(t.TempDir(), "baverify")
	if runtime.GOOS == "windows" {
		exe += ".exe"
	}
	build := exec.Command("go", "build", "-o", exe, ".")
	build.Dir = ".."
	build.Env = append(os.Environ(), "CGO_ENABLED=0")
	if out, err := build.CombinedOutput(); err != nil {
		t.Fatalf("go build -o baverify .: %v\n%s", err, out)
	}
	out, err := exec.Command(exe, "version").CombinedOutput()
	if err != nil {
		t.Fatalf("baverify version: %v\n%s", err, out)
	}
	if !regexp.MustCompile(`^baverify version \S+ `).Match(out) {
		t.Errorf("baverify version printed %q", out)
	}
}
