package main

import (
	"bytes"
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/spf13/cobra"

	"github.com/baverify/baverify/cmd"
	"github.com/baverify/baverify/internal/compat"
	"github.com/baverify/baverify/internal/iostreams"
	"github.com/baverify/baverify/internal/render"
)

// execute runs baverify in-process and returns stdout.
func execute(t *testing.T, args ...string) string {
	t.Helper()
	ios, _, out, errOut := iostreams.Test()
	f := &cmd.Factory{IO: ios, Getenv: func(string) string { return "" }, Now: time.Now,
		CacheDir: func() (string, error) { return "", nil }}
	if code := cmd.Execute(context.Background(), f, args); code != 0 {
		t.Fatalf("baverify %s: exit %d, stderr %q", strings.Join(args, " "), code, errOut)
	}
	return out.String()
}

func generate(t *testing.T) string {
	t.Helper()
	dir := t.TempDir()
	if err := write(dir); err != nil {
		t.Fatal(err)
	}
	return dir
}

func read(t *testing.T, path string) string {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}

func TestReproducible(t *testing.T) {
	t.Setenv("SOURCE_DATE_EPOCH", "1") // must not leak into the man pages
	a, b := generate(t), generate(t)
	files, err := filepath.Glob(filepath.Join(a, "*", "*"))
	if err != nil || len(files) < 5 {
		t.Fatalf("generated %d files (%v), want the four scripts and the man pages", len(files), err)
	}
	for _, fa := range files {
		rel, _ := filepath.Rel(a, fa)
		if read(t, fa) != read(t, filepath.Join(b, rel)) {
			t.Errorf("%s differs between two runs", rel)
		}
	}
	if page := read(t, filepath.Join(a, "man", "baverify.1")); !strings.Contains(page, `"Nov 2026"`) {
		t.Errorf("baverify.1 does not carry the fixed date:\n%s", page)
	}
}

// The committed scripts are what `baverify completion SHELL` prints, so a
// user who generates their own gets the same thing.
func TestScriptsMatchCompletionCommand(t *testing.T) {
	dir := generate(t)
	for _, c := range completions {
		got := read(t, filepath.Join(dir, "completions", c.file))
		want := execute(t, "completion", c.shell)
		if got != want {
			t.Errorf("completions/%s differs from `baverify completion %s`", c.file, c.shell)
		}
		// cobra's scripts ask the binary for candidates; that is how the
		// flag values below reach every shell.
		if !strings.Contains(got, "__complete") {
			t.Errorf("completions/%s never calls `baverify __complete`", c.file)
		}
	}
}

// complete asks baverify for completions the way every script does, and
// returns the candidates (descriptions dropped) and the directive line.
func complete(t *testing.T, args ...string) ([]string, string) {
	t.Helper()
	out := execute(t, append([]string{cobra.ShellCompRequestCmd}, args...)...)
	lines := strings.Split(strings.TrimSuffix(out, "\n"), "\n")
	var cands []string
	for _, l := range lines[:len(lines)-1] {
		name, _, _ := strings.Cut(l, "\t")
		cands = append(cands, name)
	}
	return cands, lines[len(lines)-1]
}

func TestFlagValueCompletions(t *testing.T) {
	noFiles := ":4"   // ShellCompDirectiveNoFileComp
	files := ":0"     // ShellCompDirectiveDefault: the shell completes file names
	extFilter := ":8" // ShellCompDirectiveFilterFileExt: the candidates are extensions
	tests := []struct {
		args      []string
		want      []string
		directive string
	}{
		{[]string{"token", "--output", ""}, []string{"text", "json"}, noFiles},
		{[]string{"version", "--output", ""}, []string{"text", "json"}, noFiles},
		{[]string{"token", "--color", ""}, []string{"auto", "always", "never"}, noFiles},
		{[]string{"token", "--alg", ""}, []string{"EdDSA", "ES256", "ES384", "ES512", "RS256", "PS256"}, noFiles},
		{[]string{"token", "--jwks", ""}, []string{"json"}, extFilter},
		{[]string{"call", "--backend-library", ""}, []string{"python-jose", "PyJWT", "jsonwebtoken", compat.Default().IDs()[0]}, noFiles},
		{[]string{"jwks", "--expect-library", ""}, []string{"python-jose", "jwx"}, noFiles},
		{[]string{"compat", "--alg", ""}, []string{"EdDSA", "PS256"}, noFiles},
		{[]string{"token", "--cacert", ""}, []string{"pem", "crt"}, extFilter},
		{[]string{"token", "--token-file", ""}, nil, files},
		{[]string{"token", "--"}, []string{"--output", "--alg", "--color", "--jwks", "--token-file"}, noFiles},
		{[]string{""}, []string{"token", "jwks", "version"}, noFiles},
	}
	for _, tt := range tests {
		t.Run(strings.Join(tt.args, " "), func(t *testing.T) {
			got, directive := complete(t, tt.args...)
			if directive != tt.directive {
				t.Errorf("directive %s, want %s", directive, tt.directive)
			}
			for _, w := range tt.want {
				if !contains(got, w) {
					t.Errorf("candidates %q lack %q", got, w)
				}
			}
			if tt.want == nil && len(got) != 0 {
				t.Errorf("candidates %q, want none (file names come from the shell)", got)
			}
		})
	}
}

func contains(list []string, s string) bool {
	for _, l := range list {
		if l == s {
			return true
		}
	}
	return false
}

func TestManPages(t *testing.T) {
	dir := generate(t)
	token := read(t, filepath.Join(dir, "man", "baverify-token.1"))
	for _, want := range []string{`\fB--output\fP`, `\fB--alg\fP`, `\fB--jwks\fP`, `.SH EXAMPLE`} {
		if !strings.Contains(token, want) {
			t.Errorf("baverify-token.1 lacks %q", want)
		}
	}
	if root := read(t, filepath.Join(dir, "man", "baverify.1")); !strings.Contains(root, `\fB--version\fP`) {
		t.Error("baverify.1 does not list --version")
	}
	// A page for every command a user can see, and none for hidden ones.
	for _, c := range rootCmd().Commands() {
		page := filepath.Join(dir, "man", "baverify-"+c.Name()+".1")
		_, err := os.Stat(page)
		if c.IsAvailableCommand() && err != nil {
			t.Errorf("no man page for %s: %v", c.Name(), err)
		}
		if !c.IsAvailableCommand() && err == nil {
			t.Errorf("man page for the hidden command %s", c.Name())
		}
	}
}

// Stale pages go: a command that was removed loses its page.
func TestStalePagesRemoved(t *testing.T) {
	dir := t.TempDir()
	if err := os.MkdirAll(filepath.Join(dir, "man"), 0o755); err != nil {
		t.Fatal(err)
	}
	stale := filepath.Join(dir, "man", "baverify-gone.1")
	if err := os.WriteFile(stale, []byte("old"), 0o644); err != nil {
		t.Fatal(err)
	}
	if err := write(dir); err != nil {
		t.Fatal(err)
	}
	if _, err := os.Stat(stale); !os.IsNotExist(err) {
		t.Errorf("%s survived regeneration", stale)
	}
}

// Every command a user can see teaches in its --help: a one-line summary,
// a paragraph, and examples.
func TestHelpTeaches(t *testing.T) {
	var visit func(*cobra.Command)
	visit = func(c *cobra.Command) {
		if !c.IsAvailableCommand() && c.HasParent() {
			return
		}
		if c.Short == "" || strings.Contains(c.Short, "\n") {
			t.Errorf("%s: Short must be one line, is %q", c.CommandPath(), c.Short)
		}
		if strings.TrimSpace(c.Long) == "" {
			t.Errorf("%s: no Long paragraph", c.CommandPath())
		}
		if strings.TrimSpace(c.Example) == "" {
			t.Errorf("%s: no Example", c.CommandPath())
		}
		for _, sub := range c.Commands() {
			visit(sub)
		}
	}
	visit(rootCmd())
	var buf bytes.Buffer
	root := rootCmd()
	root.SetOut(&buf)
	root.SetArgs([]string{"version", "--help"})
	if err := root.Execute(); err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(buf.String(), "Examples:\n  baverify version") {
		t.Errorf("version --help shows no examples:\n%s", buf.String())
	}
}

// README's compatibility table is what the data file generates: a change
// to internal/compat/matrix.json without scripts/gen-docs.sh fails here
// (and in scripts/check-generated.sh).
func TestREADMECompatibilityTableUpToDate(t *testing.T) {
	readme := read(t, filepath.Join("..", "..", "README.md"))
	want, err := compatSection([]byte(readme), render.CompatMarkdown(compat.Default()))
	if err != nil {
		t.Fatal(err)
	}
	if string(want) != readme {
		t.Fatal("README.md's compatibility table is stale: run scripts/gen-docs.sh")
	}
	if _, err := compatSection([]byte("no markers"), "x"); err == nil {
		t.Fatal("a README without the markers must be an error")
	}
}

// writeREADME touches only the section between the markers, and leaves a
// directory without README.md alone.
func TestWriteREADME(t *testing.T) {
	dir := t.TempDir()
	path := filepath.Join(dir, "README.md")
	if err := writeREADME(path); err != nil {
		t.Fatalf("no README: %v", err)
	}
	if err := os.WriteFile(path, []byte("# x\n"+compatBegin+"stale\n"+compatEnd+"after\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	if err := writeREADME(path); err != nil {
		t.Fatal(err)
	}
	got := read(t, path)
	if !strings.HasPrefix(got, "# x\n"+compatBegin+"Measured with ") || !strings.HasSuffix(got, compatEnd+"after\n") || strings.Contains(got, "stale") {
		t.Fatalf("%s", got)
	}
}
