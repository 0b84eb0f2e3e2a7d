package compat

import (
	"fmt"
	"strings"
)

// Entry is one setup's measured behaviour with a token: the element of
// `token --output json`'s compatibility array. Error and Fix are "" when
// the setup verifies it.
type Entry struct {
	Library  string  `json:"library"`
	Language string  `json:"language"`
	Setup    string  `json:"setup"`
	Version  string  `json:"version"`
	Verifies bool    `json:"verifies"`
	Outcome  Outcome `json:"outcome"`
	Error    string  `json:"error"`
	Fix      string  `json:"fix"`
	// Status is the HTTP status a framework setup was measured to answer
	// when it does not verify the token (Result.Status); absent for a
	// library called directly.
	Status int `json:"status,omitempty"`
	// Cause is "claims" when the setup refuses the token for a claim it
	// requires, not for its algorithm or key (Result.Cause).
	Cause string `json:"cause,omitempty"`
	// Frameworks says what the measured frameworks over the library answer
	// (Setup.OverNote), for output; not part of the JSON.
	Frameworks string `json:"-"`
}

// Coverage says how much the table measured: what every place that shows
// compatibility says beside it, since a stack not in it is unknown.
type Coverage struct {
	// MeasuredSetups is the number of setups measured (table rows).
	MeasuredSetups int `json:"measuredSetups"`
	// Unmeasured says that any other stack is unknown, and names the
	// stacks known not to be measured.
	Unmeasured string `json:"unmeasured"`
}

// Coverage returns the table's coverage.
func (m *Matrix) Coverage() Coverage {
	stacks := make([]string, len(m.NotMeasured))
	for i, u := range m.NotMeasured {
		stacks[i] = u.Stack
	}
	msg := "a stack not in the table is not measured: baverify cannot tell what it verifies"
	if len(stacks) > 0 {
		msg += " (not measured: " + strings.Join(stacks, "; ") + ")"
	}
	return Coverage{MeasuredSetups: m.MeasuredSetups(), Unmeasured: msg}
}

// CoverageLine is Coverage in one line of output.
func (m *Matrix) CoverageLine() string {
	return fmt.Sprintf("%d setups measured; any other stack is unknown", m.MeasuredSetups())
}

// TokenReport is what the table says about one token.
type TokenReport struct {
	Alg          string
	MeasuredWith string
	// Coverage is how much the table measured.
	Coverage Coverage
	// Entries are every setup, in table order; empty when NotMeasured.
	Entries []Entry
	// NotMeasured says why the table has nothing on this token ("" when it
	// has): an algorithm or a key that Better Auth does not make.
	NotMeasured string
}

// ForToken returns the table's rows for a token signed with alg by a key
// of type kty on curve crv ("" when the key is not known: then the key
// Better Auth makes for alg is assumed).
func (m *Matrix) ForToken(alg, kty, crv string) TokenReport {
	rep := TokenReport{Alg: alg, MeasuredWith: m.MeasuredWith, Coverage: m.Coverage(), Entries: []Entry{}}
	wantKty, wantCrv, ok := KeyShape(alg)
	switch {
	case !ok || !Measured(alg):
		rep.NotMeasured = fmt.Sprintf("%s is not measured: Better Auth signs with EdDSA, ES256, ES512, RS256 or PS256", alg)
		return rep
	case kty != "" && (kty != wantKty || (wantCrv != "" && crv != wantCrv)):
		shape := kty
		if crv != "" {
			shape += "/" + crv
		}
		rep.NotMeasured = fmt.Sprintf("%s with an %s key is not measured: the table was measured with Better Auth's keys (%s)", alg, shape, keyName(wantKty, wantCrv))
		return rep
	}
	for _, r := range m.Rows(alg) {
		rep.Entries = append(rep.Entries, Entry{
			Library: r.Setup.Library, Language: r.Setup.Language, Setup: r.Setup.Setup, Version: r.Setup.Version,
			Verifies: r.Verifies(), Outcome: r.Outcome, Error: r.Error, Fix: r.Fix, Status: r.Status, Cause: r.Cause, Frameworks: r.Setup.OverNote(alg),
		})
	}
	return rep
}

func keyName(kty, crv string) string {
	if crv != "" {
		return kty + "/" + crv
	}
	return kty
}
