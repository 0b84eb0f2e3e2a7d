package compat

import (
	"fmt"
	"slices"
	"strings"

	"github.com/baverify/baverify/internal/humanize"
)

// The names a user types for a backend: a library or package name, a
// setup id, a framework ("express", "nestjs", "drf") or an alias the data
// file lists per setup. A name the table does not know is not an error:
// it is not measured, and Lookup says so with the closest measured rows.

// Lookup is what the table says about a name.
type Lookup struct {
	// Name is the name as asked.
	Name string
	// Setups are the measured setups the name designates (none when the
	// name is not measured).
	Setups []Setup
	// Unmeasured is the known-unmeasured stack the name designates, if any.
	Unmeasured *Unmeasured
	// Closest are measured setups near the name (same language, or a
	// similar name), for a name that designates none; at most five.
	Closest []Setup
}

// Measured reports whether the name designates measured setups.
func (l Lookup) Measured() bool { return len(l.Setups) > 0 }

// Statement says, for a name that designates no measured setup, that
// baverify cannot tell what it verifies, why, and the closest measured
// rows.
func (l Lookup) Statement() string { return l.CannotTell("what it verifies") }

// CannotTell is Statement about something else baverify cannot tell
// ("whether it verifies EdDSA"); "" when the name is measured.
func (l Lookup) CannotTell(what string) string {
	if l.Measured() {
		return ""
	}
	msg := fmt.Sprintf("%s is not measured: baverify cannot tell %s", l.Name, what)
	if l.Unmeasured != nil {
		msg = fmt.Sprintf("%s (%s) is not measured: %s; baverify cannot tell %s", l.Name, l.Unmeasured.Stack, l.Unmeasured.Reason, what)
	}
	if len(l.Closest) > 0 {
		ids := make([]string, len(l.Closest))
		for i, s := range l.Closest {
			ids[i] = s.ID
		}
		msg += "; the closest measured setups: " + strings.Join(ids, ", ")
	}
	return msg
}

// Find resolves a name a user typed, without regard to case, to the
// setups it designates: a setup id (that setup), a library name, a
// framework, or a name the data file lists (every setup of them). language
// ("" for any; "Rust", "Node" and "JavaScript", "Python", "Go", "Ruby")
// narrows a name several languages share: jsonwebtoken is a Node library
// and a Rust crate.
func (m *Matrix) Find(name, language string) Lookup {
	name = strings.TrimSpace(name)
	lang := canonicalLanguage(language)
	l := Lookup{Name: name}
	key := normalName(name)
	for _, s := range m.Setups {
		if strings.EqualFold(s.ID, name) {
			if lang == "" || strings.EqualFold(s.Language, lang) {
				l.Setups = []Setup{s}
				return l
			}
		}
	}
	// A library's own name wins over the names other setups are also
	// known by: jsonwebtoken is the Node library unless --language says
	// Rust.
	for _, match := range []func(Setup) bool{
		func(s Setup) bool { return libraryKey(s.Library) == key || normalName(s.Library) == key },
		func(s Setup) bool { return slices.Contains(setupKeys(s), key) },
	} {
		for _, s := range m.Setups {
			if (lang == "" || strings.EqualFold(s.Language, lang)) && match(s) {
				l.Setups = append(l.Setups, s)
			}
		}
		if len(l.Setups) > 0 {
			return l
		}
	}
	for i := range m.NotMeasured {
		u := &m.NotMeasured[i]
		if lang != "" && !strings.EqualFold(u.Language, lang) {
			continue
		}
		for _, n := range append([]string{u.Stack}, u.Names...) {
			if normalName(n) == key || normalName(strings.TrimSuffix(n, " ("+u.Language+")")) == key && lang != "" {
				l.Unmeasured = u
			}
		}
		if l.Unmeasured != nil {
			break
		}
	}
	l.Closest = m.closest(key, lang)
	return l
}

// Select returns the setups a name designates (Find with any language).
// A library of Libraries() the table has no row of gives no setups and no
// error; any other name that designates none is an error naming the
// closest measured setups. Callers that go on without it (call, probe,
// compat) use Find.
func (m *Matrix) Select(name string) ([]Setup, error) {
	l := m.Find(name, "")
	if _, known := CanonicalLibrary(name); known && !l.Measured() {
		return []Setup{}, nil
	}
	if !l.Measured() {
		return nil, fmt.Errorf("unknown library %q: %s", strings.TrimSpace(name), l.Statement())
	}
	return l.Setups, nil
}

// CanonicalLibrary returns the library's name as the table spells it.
func CanonicalLibrary(name string) (string, bool) {
	for _, lib := range Libraries() {
		if strings.EqualFold(lib, strings.TrimSpace(name)) {
			return lib, true
		}
	}
	return "", false
}

// Keys returns every name Find resolves (ids, libraries, frameworks and
// the data file's names), for shell completion.
func (m *Matrix) Keys() []string {
	var out []string
	add := func(n string) {
		if n != "" && !slices.ContainsFunc(out, func(o string) bool { return strings.EqualFold(o, n) }) {
			out = append(out, n)
		}
	}
	for _, s := range m.Setups {
		add(s.Library)
		add(s.ID)
		for _, n := range s.Names {
			if !strings.Contains(n, " ") {
				add(n)
			}
		}
	}
	return out
}

// libraryKey is a scoped npm package's name without its @, as it is also
// typed ("nestjs/jwt").
func libraryKey(lib string) string { return normalName(strings.TrimPrefix(lib, "@")) }

func setupKeys(s Setup) []string {
	keys := []string{normalName(s.Library), normalName(s.Framework)}
	for _, n := range s.Names {
		keys = append(keys, normalName(n))
	}
	// A scoped npm package is typed with or without its scope's @.
	if strings.HasPrefix(s.Library, "@") {
		keys = append(keys, normalName(strings.TrimPrefix(s.Library, "@")))
	}
	return keys
}

// normalName folds case and the spellings a name is typed with: a Go
// module's host prefix ("github.com/coreos/go-oidc/v3").
func normalName(n string) string {
	n = strings.ToLower(strings.TrimSpace(n))
	n = strings.TrimPrefix(n, "github.com/")
	return n
}

func canonicalLanguage(l string) string {
	switch strings.ToLower(strings.TrimSpace(l)) {
	case "":
		return ""
	case "node", "nodejs", "node.js", "js", "javascript", "typescript", "ts":
		return "JavaScript"
	case "python", "py":
		return "Python"
	case "go", "golang":
		return "Go"
	case "ruby", "rb":
		return "Ruby"
	case "rust", "rs":
		return "Rust"
	}
	return strings.TrimSpace(l)
}

// closest returns up to five measured setups near key: those whose names
// contain it or are contained in it, else those of the language asked,
// else those within a few edits of it.
func (m *Matrix) closest(key, lang string) []Setup {
	var near, sameLang, typo []Setup
	for _, s := range m.Setups {
		keys := append(setupKeys(s), normalName(s.ID))
		switch {
		case key != "" && slices.ContainsFunc(keys, func(k string) bool {
			return k != "" && len(k) >= 3 && len(key) >= 3 && (strings.Contains(k, key) || strings.Contains(key, k))
		}):
			near = append(near, s)
		case lang != "" && strings.EqualFold(s.Language, lang):
			sameLang = append(sameLang, s)
		case slices.ContainsFunc(keys, func(k string) bool { return k != "" && humanize.EditDistance(k, key) <= 2 }):
			typo = append(typo, s)
		}
	}
	out := near
	if len(out) == 0 {
		out = sameLang
	}
	if len(out) == 0 {
		out = typo
	}
	if len(out) > 5 {
		out = out[:5]
	}
	return out
}
