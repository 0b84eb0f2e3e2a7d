package verify

import (
	"errors"
	"fmt"
	"slices"
	"strings"

	"github.com/baverify/baverify/internal/jwks"
)

// keyShape says which kty and crv an algorithm needs.
func keyShape(alg string) (kty, crv string) {
	switch alg {
	case "EdDSA", "Ed25519":
		return "OKP", "Ed25519"
	case "ES256":
		return "EC", "P-256"
	case "ES384":
		return "EC", "P-384"
	case "ES512":
		return "EC", "P-521"
	case "RS256", "RS384", "RS512", "PS256", "PS384", "PS512":
		return "RSA", ""
	}
	return "", ""
}

// signatureLength is the exact length a JWS signature has for alg and key.
func signatureLength(alg string, k *jwks.Key) int {
	switch alg {
	case "EdDSA", "Ed25519", "ES256":
		return 64
	case "ES384":
		return 96
	case "ES512":
		return 132
	}
	return (k.Bits + 7) / 8
}

// unusableReasons lists why k cannot verify alg; empty means usable.
func unusableReasons(k *jwks.Key, alg string) []string {
	weakRSA := k.Kty == "RSA" && k.Bits > 0 && k.Bits < jwks.MinRSABits
	if k.Err != nil && !weakRSA {
		// jwx refuses a weak RSA key as unparseable; the size says more.
		return []string{k.Err.Error()}
	}
	var reasons []string
	kty, crv := keyShape(alg)
	switch {
	case k.Kty != kty:
		reasons = append(reasons, fmt.Sprintf("%s needs a %s key, this one is %s", alg, shapeName(kty, crv), k.Describe()))
	case crv != "" && k.Crv != crv:
		reasons = append(reasons, fmt.Sprintf("%s needs curve %s, this key is on %s", alg, crv, k.Crv))
	}
	if k.Alg != "" && k.Alg != alg {
		reasons = append(reasons, fmt.Sprintf("the key is published for alg %s, the token says %s", k.Alg, alg))
	}
	if k.HasUse && k.Use != "sig" {
		reasons = append(reasons, fmt.Sprintf("the key's use is %q, not \"sig\"", k.Use))
	}
	if k.HasKeyOps && !slices.Contains(k.KeyOps, "verify") {
		reasons = append(reasons, fmt.Sprintf("the key's key_ops %v do not include \"verify\"", k.KeyOps))
	}
	if op := k.RepeatedKeyOp(); op != "" {
		reasons = append(reasons, fmt.Sprintf("the key's key_ops list %q twice (RFC 7517 section 4.3 forbids duplicates)", op))
	}
	if weakRSA {
		reasons = append(reasons, fmt.Sprintf("the RSA modulus has %d bits, fewer than %d", k.Bits, jwks.MinRSABits))
	}
	return reasons
}

func shapeName(kty, crv string) string {
	if crv != "" {
		return kty + "/" + crv
	}
	return kty
}

// selection is the outcome of looking for the token's key.
type selection struct {
	key     *jwks.Key
	code    Code // "" when key is set
	message string
	hint    string
}

// selectKey finds the key for a token: by kid when the header has one (the
// key must carry exactly that kid), otherwise the one key usable for alg.
// It never guesses between several candidates.
func selectKey(set *jwks.Set, kid string, hasKid bool, alg string) selection {
	if hasKid {
		var same []*jwks.Key
		for i := range set.Keys {
			if set.Keys[i].HasKid && set.Keys[i].Kid == kid {
				same = append(same, &set.Keys[i])
			}
		}
		if len(same) == 0 {
			return selection{code: CodeKeyNotFound,
				message: fmt.Sprintf("kid %s is not in the JWKS (%s)", kid, describeKids(set)),
				hint:    "the key was rotated out of the JWKS, or this token comes from another environment (another Better Auth deployment or database)"}
		}
		var usable []*jwks.Key
		var reasons []string
		for _, k := range same {
			if r := unusableReasons(k, alg); len(r) == 0 {
				usable = append(usable, k)
			} else {
				reasons = append(reasons, r...)
			}
		}
		switch {
		case len(usable) == 1:
			return selection{key: usable[0]}
		case len(usable) > 1:
			return selection{code: CodeKeyNotFound,
				message: fmt.Sprintf("the JWKS has %d keys with kid %s that can verify %s; baverify does not guess", len(usable), kid, alg),
				hint:    "every key in a JWKS needs its own kid; this JWKS is broken (run baverify jwks on it)"}
		}
		hint := keyUnusableHint(alg)
		if errors.Is(same[0].Err, jwks.ErrRSAKeyTooLarge) {
			hint = fmt.Sprintf("Better Auth's RSA keys have 2048 bits; baverify refuses keys over %d bits before any signature maths (one check could cost minutes of CPU): check which JWKS this token's iss leads to, and run baverify jwks on it", jwks.MaxRSABits)
		}
		return selection{key: same[0], code: CodeKeyUnusable,
			message: fmt.Sprintf("the key %s cannot verify %s: %s", kid, alg, strings.Join(reasons, "; ")),
			hint:    hint}
	}
	var usable []*jwks.Key
	for i := range set.Keys {
		if len(unusableReasons(&set.Keys[i], alg)) == 0 {
			usable = append(usable, &set.Keys[i])
		}
	}
	switch len(usable) {
	case 1:
		return selection{key: usable[0]}
	case 0:
		return selection{code: CodeKeyNotFound,
			message: fmt.Sprintf("the token has no kid and no key in the JWKS can verify %s (%s)", alg, describeKids(set)),
			hint:    "Better Auth always sets a kid; a token without one was probably not issued by Better Auth's jwt plugin"}
	}
	names := make([]string, 0, len(usable))
	for _, k := range usable {
		names = append(names, keyName(k))
	}
	return selection{code: CodeKeyNotFound,
		message: fmt.Sprintf("the token has no kid and %d keys can verify %s (%s); baverify does not guess", len(usable), alg, strings.Join(names, ", ")),
		hint:    "a token without a kid is only verifiable against a JWKS with one usable key; Better Auth always sets a kid, so this token was probably minted elsewhere"}
}

func keyUnusableHint(alg string) string {
	return "the token and the JWKS disagree about the key: check jwks.keyPairConfig.alg in Better Auth (changing it keeps signing with the old live key until it rotates) and which JWKS this token belongs to; alg " + alg + " comes from the token"
}

func keyName(k *jwks.Key) string {
	if k.HasKid {
		return k.Kid
	}
	return fmt.Sprintf("key #%d", k.Index)
}

func describeKids(set *jwks.Set) string {
	if len(set.Keys) == 0 {
		return "it has no keys"
	}
	kids := set.Kids()
	if len(kids) == 0 {
		return fmt.Sprintf("it has %d keys without kid", len(set.Keys))
	}
	const show = 5
	if len(kids) > show {
		return fmt.Sprintf("it has %s and %d more", strings.Join(kids[:show], ", "), len(kids)-show)
	}
	return "it has " + strings.Join(kids, ", ")
}

// setHasKid reports whether some key of the set carries exactly kid.
func setHasKid(set *jwks.Set, kid string) bool {
	for _, k := range set.Keys {
		if k.HasKid && k.Kid == kid {
			return true
		}
	}
	return false
}
