package jwks

import (
	"fmt"
	"strings"

	"github.com/baverify/baverify/internal/compat"
)

// signingKey reports whether a key can verify JWS signatures at all: it
// parses, has a signature key type and curve, and is not marked for
// another use. The compatibility table is about such keys only.
func signingKey(k *Key) bool {
	return k.Err == nil && (k.Kty == "OKP" || k.Kty == "EC" || k.Kty == "RSA") && supportedCurve(k.Kty, k.Crv) &&
		(k.Use == "" || k.Use == "sig")
}

// cannotVerify lists the measured setups that do not verify tokens signed
// with k (not those that refuse every token on a claim they require:
// that is no fault of the key); nil when the table cannot tell.
func cannotVerify(m *compat.Matrix, k *Key) []compat.Entry {
	if !signingKey(k) || k.Alg == "" {
		return nil
	}
	rep := m.ForToken(k.Alg, k.Kty, k.Crv)
	if rep.NotMeasured != "" {
		return nil
	}
	out := []compat.Entry{}
	for _, e := range rep.Entries {
		if !e.Verifies && e.Cause != compat.CauseClaims {
			out = append(out, e)
		}
	}
	return out
}

// libraries checks --expect-library: every signing key is verified by
// some measured setup of each library. What the table cannot tell (a key
// without alg, an algorithm it did not measure, a library it has no row
// of yet) fails too: a CI assertion that cannot be checked is not met.
func (l *linter) libraries(set *Set, m *compat.Matrix, names []string) {
	if m == nil {
		m = compat.Default()
	}
	for _, name := range names {
		setups, err := m.Select(name)
		if err != nil {
			continue // the command refuses unknown names before linting
		}
		lib := name
		if canon, ok := compat.CanonicalLibrary(name); ok {
			lib = canon
		}
		for i := range set.Keys {
			k := &set.Keys[i]
			if !signingKey(k) {
				continue
			}
			kn := keyName(k)
			switch {
			case len(setups) == 0:
				l.add(CodeExpectLibrary, SeverityError, k,
					fmt.Sprintf("%s is not in the measured table yet: baverify cannot tell whether it verifies %s", lib, kn),
					"see baverify compat for the measured libraries; until "+lib+" is measured, check it with a real token")
			case k.Alg == "":
				l.add(CodeExpectLibrary, SeverityError, k,
					fmt.Sprintf("%s has no alg: baverify cannot tell whether %s verifies it", kn, lib),
					"publish alg on every key (Better Auth 1.7 does)")
			case m.ForToken(k.Alg, k.Kty, k.Crv).NotMeasured != "":
				l.add(CodeExpectLibrary, SeverityError, k,
					fmt.Sprintf("%s (%s): %s, so baverify cannot tell whether %s verifies it", kn, k.Alg, m.ForToken(k.Alg, k.Kty, k.Crv).NotMeasured, lib),
					"sign with an algorithm Better Auth makes keys for (jwks.keyPairConfig.alg)")
			default:
				cannot := m.Cannot(k.Alg, setups)
				if len(cannot) < len(setups) {
					continue // some measured setup of the library verifies it
				}
				lines := make([]string, len(cannot))
				for i, r := range cannot {
					lines[i] = compat.RowLine(r)
				}
				hint := compat.FixHint(cannot)
				if algs := verifiedBy(m, setups); len(algs) > 0 {
					hint += "; " + lib + " verifies " + compat.JoinAnd(algs) + " (measured)"
				}
				l.add(CodeExpectLibrary, SeverityError, k,
					fmt.Sprintf("%s (%s) cannot be verified by %s (measured): %s", kn, k.Alg, lib, strings.Join(lines, "; ")),
					hint)
			}
		}
	}
}

// verifiedBy lists the algorithms some setup among setups verifies.
func verifiedBy(m *compat.Matrix, setups []compat.Setup) []string {
	var out []string
	for _, alg := range compat.Algorithms() {
		if len(m.Cannot(alg, setups)) < len(setups) {
			out = append(out, alg)
		}
	}
	return out
}
