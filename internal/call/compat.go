package call

import (
	"fmt"
	"slices"

	"github.com/baverify/baverify/internal/compat"
)

// The algorithm part of a diagnosis comes from the measured compatibility
// table (internal/compat), never from a list written here: which setups
// fail on the token's algorithm, and how.

func (d *diagnosis) initBackend() {
	d.matrix = d.f.Matrix
	if d.matrix == nil {
		d.matrix = compat.Default()
	}
	if d.f.BackendLibrary != "" {
		// A name the table has not measured names no setup (a non-nil,
		// empty list): the diagnosis says so and claims nothing of it.
		d.lookup = d.matrix.Find(d.f.BackendLibrary, "")
		d.backend = append([]compat.Setup{}, d.lookup.Setups...)
	}
	for _, r := range d.matrix.Rows(d.tok.alg) {
		if r.Outcome != compat.OK && compat.Quotes(d.said, r.Error) {
			d.quoted = true
		}
	}
}

// backendNamed: --backend-library names a library baverify knows.
func (d *diagnosis) backendNamed() bool { return d.backend != nil }

// backendName is the library as the user named it, spelled as the table does.
func (d *diagnosis) backendName() string {
	if lib, ok := compat.CanonicalLibrary(d.f.BackendLibrary); ok {
		return lib
	}
	// A framework or an alias: the libraries it designates ("express" is
	// express-jwt).
	var libs []string
	for _, s := range d.backend {
		if !slices.Contains(libs, s.Library) {
			libs = append(libs, s.Library)
		}
	}
	if len(libs) > 0 {
		return compat.JoinAnd(libs)
	}
	return d.f.BackendLibrary
}

// algEvidence is the evidence line on the token's algorithm.
func (d *diagnosis) algEvidence() string {
	alg := d.tok.alg
	line := "alg " + alg
	if alg == "EdDSA" {
		line += " (Better Auth's default)"
	}
	if d.backendNamed() {
		return line + ": the backend must allow it"
	}
	if cannot := d.matrix.CannotAlg(alg, nil); len(cannot) > 0 {
		return line + ": the backend's library must support it (measured: " + compat.JoinAnd(compat.Names(cannot)) + " cannot; " + d.matrix.CoverageLine() + ")"
	}
	if compat.Measured(alg) {
		return line + ": the backend must allow it (every measured setup verifies it; " + d.matrix.CoverageLine() + ")"
	}
	return line + ": the backend must allow it"
}

// libraryEvidence says what the table knows of the named backend library
// and this algorithm, when that is not itself a likely cause: it is not
// measured, or it verifies the algorithm.
func (d *diagnosis) libraryEvidence() []string {
	alg := d.tok.alg
	if !d.backendNamed() || alg == "" {
		return nil
	}
	lib := d.backendName()
	switch {
	case len(d.backend) == 0:
		return []string{d.lookup.CannotTell("whether it verifies " + alg)}
	case !compat.Measured(alg):
		return []string{alg + " is not measured: baverify cannot tell whether " + lib + " verifies it"}
	case len(d.matrix.CannotAlg(alg, d.backend)) == 0:
		var setups, claims []string
		for _, r := range d.matrix.Rows(alg) {
			if !containsID(d.backend, r.Setup.ID) {
				continue
			}
			switch {
			case r.Verifies():
				setups = append(setups, compat.Describe(r.Setup))
			case r.Cause == compat.CauseClaims:
				// Measured to refuse on a claim it requires, whatever the
				// algorithm: the evidence for a claim, not the algorithm.
				claims = append(claims, "measured: "+compat.RowLine(r)+" (a claim it requires, not the algorithm; fix: "+r.Fix+")")
			}
		}
		var out []string
		if len(setups) > 0 {
			out = append(out, fmt.Sprintf("measured: %s verifies %s: the algorithm is not the cause, look at the rest of the evidence", compat.JoinAnd(setups), alg))
		}
		return append(out, claims...)
	}
	return nil
}

// algCause names the algorithm when the evidence fits: the answer quotes
// an error a library is measured to raise for it, the named backend
// library is measured not to verify it, the answer names the algorithm,
// or measured setups fail on it exactly as the backend did (5xx: an
// uncaught error; 401: a refusal). decisive says the evidence points at
// the algorithm itself (a quoted error, the backend's words, the named
// library measured to fail with this very status); otherwise it is one of
// the causes that fit, and the diagnosis lists the others beside it.
func (d *diagnosis) algCause(valid bool) (f *Finding, decisive bool) {
	alg, said, status := d.tok.alg, d.said, d.status()
	if alg == "" {
		return nil, false
	}
	verified := "the token is signed with " + alg
	if d.tok.kid != "" {
		verified += " (kid " + d.tok.kid + ")"
	}
	if valid {
		verified += " and verifies locally"
	}
	var among []compat.Setup
	if d.backendNamed() {
		among = d.backend
	}
	suspects := d.matrix.Suspects(alg, status, said, among)
	measured := "measured"
	rowsOf := func(ss []compat.Suspect) []compat.Row {
		rows := make([]compat.Row, len(ss))
		for i, s := range ss {
			rows[i] = s.Row
		}
		return rows
	}
	lines := func(rows []compat.Row) []string {
		out := make([]string, len(rows))
		for i, r := range rows {
			out[i] = compat.RowLine(r)
		}
		return out
	}
	if len(suspects) > 0 && suspects[0].Quoted {
		s := suspects[0]
		ev := append([]string{verified}, d.saidEvidence()...)
		ev = append(ev, measured+": "+compat.RowLine(s.Row))
		return &Finding{Code: CodeAlgUnsupported, Severity: SeverityWarning,
			Message:  fmt.Sprintf("the backend cannot verify %s: its answer quotes %q, the error %s raises for %s", alg, compat.ErrorPhrase(s.Error), s.Setup.Name(), alg),
			Evidence: ev,
			Hint:     compat.FixHint([]compat.Row{s.Row})}, true
	}
	if d.backendNamed() {
		if cannot := d.matrix.CannotAlg(alg, d.backend); len(cannot) > 0 {
			lib := d.backendName()
			msg := fmt.Sprintf("likely cause: %s cannot verify %s (measured)", lib, alg)
			if len(suspects) == 0 {
				msg = fmt.Sprintf("%s cannot verify %s (measured), though it is measured to fail otherwise than this HTTP %d: the backend may catch the error and answer differently, or fail before it verifies", lib, alg, status)
			}
			ev := append([]string{verified}, d.bodyEvidence()...)
			ev = append(ev, lines(cannot)...)
			return &Finding{Code: CodeAlgUnsupported, Severity: SeverityWarning, Message: msg, Evidence: ev, Hint: compat.FixHint(cannot)}, len(suspects) > 0
		}
	}
	if patterns().alg.MatchString(said) && status/100 != 2 {
		return &Finding{Code: CodeAlgUnsupported, Severity: SeverityWarning,
			Message:  fmt.Sprintf("likely: the backend does not accept %s; its answer names the algorithm", alg),
			Evidence: append([]string{verified}, d.saidEvidence()...),
			Hint:     "allow " + alg + " in the backend's verifier (its algorithms list), or have Better Auth sign with one the backend allows"}, true
	}
	if len(suspects) == 0 || d.backendNamed() {
		return nil, false
	}
	rows := rowsOf(suspects)
	hint := compat.FixHint(rows)
	ev := append([]string{verified}, d.bodyEvidence()...)
	if status/100 == 5 {
		ev = append(ev, measured+", these setups fail on "+alg+" with an error other than their documented one, which the usual handler turns into a 500:")
		ev = append(ev, lines(rows)...)
		return &Finding{Code: CodeAlgUnsupported, Severity: SeverityWarning,
			Message:  fmt.Sprintf("likely cause: the backend's JWT library cannot verify %s", alg),
			Evidence: ev, Hint: hint}, false
	}
	// A refusal has many causes: the algorithm is offered only when the
	// backend's words point nowhere else (nor say the header never arrived).
	if d.saidNoHeader() || patterns().audience.MatchString(said) || patterns().issuer.MatchString(said) || patterns().key.MatchString(said) || patterns().time.MatchString(said) || claimPatterns().MatchString(said) {
		return nil, false
	}
	ev = append(ev, measured+", these setups refuse "+alg+" tokens:")
	ev = append(ev, lines(rows)...)
	return &Finding{Code: CodeAlgUnsupported, Severity: SeverityWarning,
		Message:  fmt.Sprintf("possible cause: the backend's JWT library refuses %s", alg),
		Evidence: ev, Hint: hint}, false
}

func containsID(list []compat.Setup, id string) bool {
	for _, s := range list {
		if s.ID == id {
			return true
		}
	}
	return false
}
