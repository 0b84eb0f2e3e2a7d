package cmd

import (
	"fmt"
	"net/url"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"unicode"

	"github.com/spf13/cobra"
	"github.com/spf13/pflag"
)

// docFiles are the documents whose baverify command lines are checked:
// README.md and every page under docs/.
func docFiles(t *testing.T) []string {
	t.Helper()
	files := []string{filepath.Join("..", "README.md")}
	more, err := filepath.Glob(filepath.Join("..", "docs", "*.md"))
	if err != nil {
		t.Fatal(err)
	}
	return append(files, more...)
}

var (
	// inlineCode is a `code span` in prose.
	inlineCode = regexp.MustCompile("`([^`\n]+)`")
	// comment starts a shell or YAML comment.
	comment = regexp.MustCompile(`(?:^|\s)#(?:\s|$)`)
	// invocation is where a command line starts: baverify (or README's
	// `go run .`) as a word of its own (not baverify/tap/baverify,
	// baverify-token, baverify_1.2.3 or baverify's) where a shell runs a
	// command: at the start, after npx, a pipe, a list, "$(", a quote (a
	// package.json script) or a workflow's "run:". Output samples, where
	// baverify is a word in a sentence, and "install baverify DIR" are not.
	invocation = regexp.MustCompile(`(?:^\s*|["(]|\|\s+|&&\s+|;\s+|\bnpx\s+(?:--no\s+)?|\brun:\s+)(?:baverify|go run \.)(?:\s|$)`)
	// shellEnd ends a command's words: a pipe, a redirection, a list, a
	// comment, the end of a quoted script or of a command substitution.
	shellEnd = regexp.MustCompile(`\s(?:\||\|\||&&|;|#|>|2>|<)(?:\s|$)|[|;>]\s|"\s*,?\s*$|"$|\)(?:\s|$)`)
)

// docCommandLines returns the baverify command lines of a Markdown text:
// the lines of fenced code blocks and the code spans of prose that invoke
// baverify, each cut at the first shell operator after it.
func docCommandLines(text string) []string {
	var lines []string
	fenced := false
	for _, line := range strings.Split(text, "\n") {
		if strings.HasPrefix(strings.TrimSpace(line), "```") {
			fenced = !fenced
			continue
		}
		// A comment in a code block is prose: cut it off.
		candidates := []string{comment.Split(line, 2)[0]}
		if !fenced {
			candidates = nil
			for _, m := range inlineCode.FindAllStringSubmatch(line, -1) {
				candidates = append(candidates, m[1])
			}
		}
		for _, c := range candidates {
			for _, loc := range invocation.FindAllStringIndex(c, -1) {
				start := strings.Index(c[loc[0]:loc[1]], "baverify")
				if start < 0 {
					start = strings.Index(c[loc[0]:loc[1]], "go run")
				}
				rest := c[loc[0]+start:]
				if e := shellEnd.FindStringIndex(rest); e != nil {
					rest = rest[:e[0]]
				}
				lines = append(lines, strings.TrimSpace(rest))
			}
		}
	}
	return lines
}

// checkCommandLine returns what is wrong with one documented command line:
// an unknown command, or a flag the command does not have.
func checkCommandLine(root *cobra.Command, line string) []string {
	words := strings.Fields(line)
	// drop the program: baverify, or go run .
	if words[0] == "go" {
		words = words[2:]
	}
	words = words[1:]
	c := root
	for len(words) > 0 && !strings.HasPrefix(words[0], "-") {
		sub, _, err := c.Find(words[:1])
		if err != nil || sub == c {
			if c == root {
				return []string{"unknown command " + words[0]}
			}
			break // an argument
		}
		c = sub
		words = words[1:]
	}
	var problems []string
	for _, w := range words {
		if w == "--" {
			break
		}
		if !strings.HasPrefix(w, "-") || w == "-" || strings.HasPrefix(w, "-$") {
			continue
		}
		name, _, _ := strings.Cut(strings.TrimLeft(w, "-"), "=")
		var f *pflag.Flag
		if strings.HasPrefix(w, "--") {
			f = lookupFlag(c, name)
		} else if len(name) == 1 {
			f = lookupShorthand(c, name)
		} else {
			problems = append(problems, "a flag with one dash: "+w)
			continue
		}
		if f == nil {
			problems = append(problems, "baverify "+c.Name()+" has no flag "+w)
		}
	}
	return problems
}

func lookupFlag(c *cobra.Command, name string) *pflag.Flag {
	for _, fs := range []*pflag.FlagSet{c.Flags(), c.InheritedFlags(), c.PersistentFlags()} {
		if f := fs.Lookup(name); f != nil {
			return f
		}
	}
	if name == "help" || (c.Root() == c && name == "version") {
		return &pflag.Flag{Name: name} // cobra adds these when it runs
	}
	return nil
}

func lookupShorthand(c *cobra.Command, s string) *pflag.Flag {
	for _, fs := range []*pflag.FlagSet{c.Flags(), c.InheritedFlags(), c.PersistentFlags()} {
		if f := fs.ShorthandLookup(s); f != nil {
			return f
		}
	}
	if s == "h" {
		return &pflag.Flag{Name: "help"}
	}
	return nil
}

// TestDocsCommandsExist: every baverify command and flag shown in README.md
// and docs/*.md exists, in code blocks and in code spans alike.
func TestDocsCommandsExist(t *testing.T) {
	f, _, _ := newTestFactory(t, runConfig{})
	root := NewRootCmd(f)
	root.InitDefaultHelpCmd()
	root.InitDefaultCompletionCmd()
	checked := 0
	for _, file := range docFiles(t) {
		text, err := os.ReadFile(file)
		if err != nil {
			t.Fatal(err)
		}
		lines := docCommandLines(string(text))
		// A page with a line that starts with a baverify command, but no
		// command found, means the extraction broke; a page of prose
		// (docs/security.md) or of scripts (docs/development.md) has none.
		if len(lines) == 0 && strings.Contains(string(text), "\nbaverify ") {
			t.Errorf("%s: no baverify command lines found; is the extraction broken?", file)
		}
		for _, line := range lines {
			checked++
			for _, p := range checkCommandLine(root, line) {
				t.Errorf("%s: %q: %s", filepath.Base(file), line, p)
			}
		}
	}
	t.Logf("%d command lines checked", checked)
}

// TestDocsCommandCheck: the checker finds what it must find, so that the
// test above cannot pass by checking nothing.
func TestDocsCommandCheck(t *testing.T) {
	f, _, _ := newTestFactory(t, runConfig{})
	root := NewRootCmd(f)
	root.InitDefaultHelpCmd()
	root.InitDefaultCompletionCmd()
	md := "Run `baverify tokn x`.\n\n```sh\n" +
		"baverify jwks --strict --bogus https://a.example   # comment --not-a-flag\n" +
		"npx baverify probe -Z https://a.example | jq --raw-output .x\n" +
		`  "auth:jwks": "baverify jwks --strikt $BETTER_AUTH_URL",` + "\n" +
		"brew install --cask baverify/tap/baverify --nope\n" +
		"tar xzf a.tgz && sudo install baverify /usr/local/bin/ --nope\n" +
		"  hint: baverify sends Origin (the --base-url origin)\n" +
		"- run: baverify jwks --strict --max-key 3 https://a.example\n" +
		"go run . token --jwks j.json --token-file t.jwt\n" +
		"baverify completion bash --no-descriptions\n" +
		"npm i -D baverify   # then npx baverify … or --whatever\n" +
		"OLD=$(baverify issuer mint --retire --kid \"$KID\" --retyre)   # a substitution\n" +
		"```\n"
	lines := docCommandLines(md)
	var got []string
	for _, l := range lines {
		got = append(got, checkCommandLine(root, l)...)
	}
	want := []string{
		"unknown command tokn",
		"baverify jwks has no flag --bogus",
		"baverify probe has no flag -Z",
		"baverify jwks has no flag --strikt",
		"baverify jwks has no flag --max-key",
		"baverify mint has no flag --retyre",
	}
	if strings.Join(got, "\n") != strings.Join(want, "\n") {
		t.Errorf("lines %q\ngot problems:\n%s\nwant:\n%s", lines, strings.Join(got, "\n"), strings.Join(want, "\n"))
	}
}

var (
	// mdLink is the target of an inline Markdown link or image, without
	// its title.
	mdLink = regexp.MustCompile(`\]\(([^)\s]+)(?:\s+"[^"]*")?\)`)
	// atxHeading is a "# Heading" line.
	atxHeading = regexp.MustCompile(`^#{1,6}\s+(.*?)(?:\s+#+)?\s*$`)
	// inlineLink is [text](target) inside a heading: GitHub slugs the text.
	inlineLink = regexp.MustCompile(`\[([^\]]*)\]\([^)]*\)`)
)

// githubSlug is the anchor GitHub gives a heading: lower case, every
// character but letters, digits, spaces, hyphens and underscores dropped,
// each space a hyphen.
func githubSlug(heading string) string {
	var b strings.Builder
	for _, r := range strings.ToLower(inlineLink.ReplaceAllString(heading, "$1")) {
		switch {
		case unicode.IsLetter(r) || unicode.IsNumber(r) || r == '-' || r == '_':
			b.WriteRune(r)
		case r == ' ':
			b.WriteRune('-')
		}
	}
	return b.String()
}

// mdOutsideCode calls fn with each line of a Markdown text that is not in a
// fenced code block: links and headings in code are examples, not links.
func mdOutsideCode(text string, fn func(line string)) {
	fenced := false
	for _, line := range strings.Split(text, "\n") {
		if strings.HasPrefix(strings.TrimSpace(line), "```") {
			fenced = !fenced
			continue
		}
		if !fenced {
			fn(line)
		}
	}
}

// mdAnchors returns the anchors of a Markdown text's headings, a repeated
// heading numbered -1, -2, ... as GitHub does.
func mdAnchors(text string) map[string]bool {
	anchors := map[string]bool{}
	seen := map[string]int{}
	mdOutsideCode(text, func(line string) {
		m := atxHeading.FindStringSubmatch(line)
		if m == nil {
			return
		}
		slug := githubSlug(m[1])
		if n := seen[slug]; n > 0 {
			anchors[fmt.Sprintf("%s-%d", slug, n)] = true
		} else {
			anchors[slug] = true
		}
		seen[slug]++
	})
	return anchors
}

// brokenLinks returns every relative link of the Markdown files that does
// not resolve: a file or directory that does not exist, or a #anchor that
// is no heading of the Markdown file it points into (the file itself for a
// bare #anchor). Links to other sites are not followed.
func brokenLinks(files []string) []string {
	var broken []string
	for _, file := range files {
		text, err := os.ReadFile(file)
		if err != nil {
			broken = append(broken, fmt.Sprintf("%s: %v", file, err))
			continue
		}
		mdOutsideCode(string(text), func(line string) {
			for _, m := range mdLink.FindAllStringSubmatch(line, -1) {
				target := m[1]
				if u, err := url.Parse(target); err != nil || u.Scheme != "" {
					continue // https:, mailto:
				}
				path, anchor, _ := strings.Cut(target, "#")
				dest := file
				if path != "" {
					dest = filepath.Join(filepath.Dir(file), filepath.FromSlash(path))
				}
				destText, err := os.ReadFile(dest)
				if err != nil {
					if st, serr := os.Stat(dest); serr == nil && st.IsDir() && anchor == "" {
						continue
					}
					broken = append(broken, fmt.Sprintf("%s: %s: no such file", filepath.Base(file), target))
					continue
				}
				if anchor != "" && strings.HasSuffix(dest, ".md") && !mdAnchors(string(destText))[anchor] {
					broken = append(broken, fmt.Sprintf("%s: %s: no heading with that anchor", filepath.Base(file), target))
				}
			}
		})
	}
	return broken
}

// TestDocsLinks: every relative link and #anchor in README.md and docs/*.md
// leads somewhere, and README stays a front door, not a manual.
func TestDocsLinks(t *testing.T) {
	files := docFiles(t)
	for _, b := range brokenLinks(files) {
		t.Error(b)
	}
	readme, err := os.ReadFile(files[0])
	if err != nil {
		t.Fatal(err)
	}
	if n := strings.Count(string(readme), "\n"); n >= 300 {
		t.Errorf("README.md has %d lines: keep it under 300 and move reference text to docs/", n)
	}
}

// TestDocsLinkCheck: the link checker finds what it must find, so that
// TestDocsLinks cannot pass by checking nothing.
func TestDocsLinkCheck(t *testing.T) {
	dir := t.TempDir()
	write := func(name, text string) string {
		t.Helper()
		path := filepath.Join(dir, filepath.FromSlash(name))
		if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(path, []byte(text), 0o644); err != nil {
			t.Fatal(err)
		}
		return path
	}
	write("docs/token.md", "# `baverify token`\n\n## `token --batch`: thousands of tokens at once\n\n## Exit codes\n\n## Exit codes\n\n```sh\n# not a heading\n```\n")
	readme := write("README.md", "# x\n\n"+
		"[ok](docs/token.md) [ok](docs/token.md#baverify-token) [ok](docs/token.md#token---batch-thousands-of-tokens-at-once)\n"+
		"[ok](docs/token.md#exit-codes-1) [ok](#x) [ok](docs) [ok](https://example.com/#nope) ![ok](docs/token.md \"title\")\n"+
		"[bad](docs/missing.md) [bad](docs/token.md#exit-codes-2) [bad](#y) [bad](docs/token.md#not-a-heading)\n"+
		"```\n[in code](nowhere.md)\n```\n")
	got := brokenLinks([]string{readme})
	want := []string{
		"README.md: docs/missing.md: no such file",
		"README.md: docs/token.md#exit-codes-2: no heading with that anchor",
		"README.md: #y: no heading with that anchor",
		"README.md: docs/token.md#not-a-heading: no heading with that anchor",
	}
	if strings.Join(got, "\n") != strings.Join(want, "\n") {
		t.Errorf("got:\n%s\nwant:\n%s", strings.Join(got, "\n"), strings.Join(want, "\n"))
	}
}
