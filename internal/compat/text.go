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

// FixHint joins the fixes of rows, each alternative once, and explains
// keyPairConfig when a fix names it. A fix is a list of alternatives
// ("PyJWT with PyJWKClient, or keyPairConfig.alg ES256 or RS256"); rows
// often share one (the algorithm switch), which is said once, last.
func FixHint(rows []Row) string {
	var own, shared []string
	for _, r := range rows {
		for _, alt := range strings.Split(r.Fix, ", or ") {
			alt = strings.TrimSpace(alt)
			switch {
			case alt == "":
			case strings.Contains(alt, "keyPairConfig"):
				if !containsFold(shared, alt) {
					shared = append(shared, alt)
				}
			case !containsFold(own, alt):
				own = append(own, alt)
			}
		}
	}
	hint := strings.Join(own, "; ")
	if len(shared) > 0 {
		if hint != "" {
			hint += "; or "
		}
		hint += strings.Join(shared, "; ")
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

// Refusals says, by setup id, why rows (setups that do not verify a token
// of alg) refuse it: its algorithm, or a claim the setup requires, which
// any algorithm would meet the same way. E.g. "a/x cannot verify ES256;
// b/default-claims refuses the token's claims, not its algorithm".
func Refusals(rows []Row, alg string) string {
	var algIDs, claimIDs []string
	for _, r := range rows {
		if r.Cause == CauseClaims {
			claimIDs = append(claimIDs, r.Setup.ID)
		} else {
			algIDs = append(algIDs, r.Setup.ID)
		}
	}
	var parts []string
	if len(algIDs) > 0 {
		parts = append(parts, JoinAnd(algIDs)+" cannot verify "+alg)
	}
	if len(claimIDs) > 0 {
		verb := " refuse"
		if len(claimIDs) == 1 {
			verb = " refuses"
		}
		parts = append(parts, JoinAnd(claimIDs)+verb+" the token's claims, not its algorithm")
	}
	return strings.Join(parts, "; ")
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
