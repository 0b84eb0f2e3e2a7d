package compat

import (
	"fmt"
	"strings"
)

// Describe names a setup in output: library, version and setup.
func Describe(s *Setup) string { return s.Name() + " (" + s.Setup + ")" }

// Behaviour says in one line what a setup does with a token it does not
// verify, what a backend then answers, and the fix, e.g.
// `raises JWKError: Unable to find an algorithm for key, not the library's
// documented error: a FastAPI backend answers 500`. It is "" for ok.
//
// A framework setup's result carries the status the framework was
// measured to answer, and says that instead.
func Behaviour(r Result, language string) string {
	var verb string
	switch r.Outcome {
	case Crash:
		verb = "raises " + r.Error + ", not the library's documented error"
		if r.Status != 0 {
			verb = "lets " + r.Error + " escape"
		}
	case Rejected:
		verb = "refuses it: " + r.Error
	default:
		return ""
	}
	if r.Status != 0 {
		return fmt.Sprintf("%s: the framework answers %d (measured)", verb, r.Status)
	}
	return verb + ": " + Consequence(r.Outcome, language)
}

// RowLine is Describe and Behaviour together, and what the measured
// frameworks over the library answer instead (OverNote).
func RowLine(r Row) string {
	line := Describe(r.Setup) + ": " + Behaviour(r.Result, r.Setup.Language)
	if note := r.Setup.OverNote(r.Alg); note != "" {
		line += " (" + note + ")"
	}
	return line
}

// FixHint joins the fixes of rows, each once, and explains keyPairConfig
// when a fix names it.
func FixHint(rows []Row) string {
	var fixes []string
	config := false
	for _, r := range rows {
		if r.Fix == "" || containsFold(fixes, r.Fix) {
			continue
		}
		fixes = append(fixes, r.Fix)
		config = config || strings.Contains(r.Fix, "keyPairConfig")
	}
	hint := strings.Join(fixes, "; ")
	if config {
		hint += ` (keyPairConfig.alg is Better Auth's jwt({ jwks: { keyPairConfig: { alg: "RS256" } } }); a live key keeps signing with its old algorithm until it is rotated or removed)`
	}
	return hint
}

// Names lists the setups of rows by library and version, each once.
func Names(rows []Row) []string {
	var out []string
	for _, r := range rows {
		if n := r.Setup.Name(); !containsFold(out, n) {
			out = append(out, n)
		}
	}
	return out
}

// JoinAnd joins with commas and a final "and".
func JoinAnd(list []string) string {
	switch len(list) {
	case 0:
		return ""
	case 1:
		return list[0]
	}
	return strings.Join(list[:len(list)-1], ", ") + " and " + list[len(list)-1]
}

func containsFold(list []string, s string) bool {
	for _, l := range list {
		if strings.EqualFold(l, s) {
			return true
		}
	}
	return false
}
