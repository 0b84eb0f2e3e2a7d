package compat

import "fmt"

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
}

// TokenReport is what the table says about one token.
type TokenReport struct {
	Alg          string
	MeasuredWith string
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
	rep := TokenReport{Alg: alg, MeasuredWith: m.MeasuredWith, Entries: []Entry{}}
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
			Verifies: r.Verifies(), Outcome: r.Outcome, Error: r.Error, Fix: r.Fix,
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
