package compat

import (
	"slices"
	"strings"
)

// Suspect is a setup whose measured behaviour fits a backend's answer.
type Suspect struct {
	Row
	// Quoted: the backend's answer contains this setup's measured error
	// message, which identifies it better than any status code.
	Quoted bool
}

// Suspects returns the setups that behave, for alg, the way a backend did:
// first those whose measured error message the answer quotes (whatever
// their outcome: a backend may catch a crash and answer 401 with its
// message), then those whose outcome fits the status (5xx: crash; 401 or
// 403: rejected), each group in table order. Setups that verify alg never
// fit, nor do those that fail on a claim rather than on the algorithm
// (Cause "claims"). among limits the search to some setups (nil: the
// whole table).
func (m *Matrix) Suspects(alg string, status int, said string, among []Setup) []Suspect {
	want := Outcome("")
	switch {
	case status/100 == 5:
		want = Crash
	case status == 401 || status == 403:
		want = Rejected
	}
	var quoted, fitting []Suspect
	for _, r := range m.Rows(alg) {
		if r.Outcome == OK || r.Cause == CauseClaims || (among != nil && !containsSetup(among, r.Setup.ID)) {
			continue
		}
		switch {
		case Quotes(said, r.Error):
			quoted = append(quoted, Suspect{Row: r, Quoted: true})
		case r.Outcome == want:
			fitting = append(fitting, Suspect{Row: r})
		}
	}
	return append(quoted, fitting...)
}

func containsSetup(list []Setup, id string) bool {
	return slices.ContainsFunc(list, func(s Setup) bool { return s.ID == id })
}

// minPhrase is the shortest error phrase matched in a backend's answer: a
// shorter one ("invalid") would match answers of any library.
const minPhrase = 12

// Quotes reports whether a backend's answer contains the message of a
// measured error ("JWKError: Unable to find an algorithm for key" is
// quoted by "Unable to find an algorithm for key: {...}"). The class name
// is dropped (str(e) in Python does not print it), and so is anything
// after a colon, a parenthesis or an ellipsis, where messages carry values.
func Quotes(said, measured string) bool {
	phrase := ErrorPhrase(measured)
	if len(phrase) < minPhrase || said == "" {
		return false
	}
	return strings.Contains(strings.ToLower(said), strings.ToLower(phrase))
}

// ErrorPhrase is the constant part of a measured error: its message
// without the class name and without the values that follow.
func ErrorPhrase(measured string) string {
	s := strings.TrimSpace(measured)
	if class, rest, ok := strings.Cut(s, ": "); ok && !strings.ContainsAny(class, " '\"") {
		s = rest
	}
	for _, sep := range []string{": ", " (", "...", "…"} {
		if i := strings.Index(s, sep); i >= 0 {
			s = s[:i]
		}
	}
	return strings.TrimSpace(s)
}

// CannotAlg is Cannot without the setups that fail on a claim rather
// than on the algorithm: the measured evidence about the algorithm.
func (m *Matrix) CannotAlg(alg string, among []Setup) []Row {
	var out []Row
	for _, r := range m.Cannot(alg, among) {
		if r.Cause != CauseClaims {
			out = append(out, r)
		}
	}
	return out
}

// Cannot returns the setups, among those given (nil: all), that do not
// verify alg, in table order.
func (m *Matrix) Cannot(alg string, among []Setup) []Row {
	var out []Row
	for _, r := range m.Rows(alg) {
		if r.Outcome != OK && (among == nil || containsSetup(among, r.Setup.ID)) {
			out = append(out, r)
		}
	}
	return out
}
