package verify

import (
	"context"
	"fmt"
	"strings"
	"time"

	"github.com/baverify/baverify/internal/jwks"
)

// DefaultAlgorithms is the allowlist when none is given: every asymmetric
// JWS algorithm a Better Auth deployment or its peers plausibly use. Never
// "none", never HMAC: a verifier that accepts HS256 with a public key as the
// secret is the classic algorithm-confusion hole.
var defaultAlgorithms = []string{"EdDSA", "ES256", "ES384", "ES512", "RS256", "RS384", "RS512", "PS256", "PS384", "PS512"}

// DefaultAlgorithms returns a copy of the default allowlist.
func DefaultAlgorithms() []string { return append([]string(nil), defaultAlgorithms...) }

// knownAlgorithms are the names --alg accepts: the defaults plus "Ed25519",
// RFC 9864's fully specified name for EdDSA over Ed25519.
var knownAlgorithms = []string{"EdDSA", "ES256", "ES384", "ES512", "RS256", "RS384", "RS512", "PS256", "PS384", "PS512", "Ed25519"}

// KnownAlgorithms returns every name --alg accepts, for completion.
func KnownAlgorithms() []string { return append([]string(nil), knownAlgorithms...) }

// ParseAlgorithm validates one --alg value and returns its canonical name.
func ParseAlgorithm(s string) (string, error) {
	for _, a := range knownAlgorithms {
		if strings.EqualFold(a, s) {
			return a, nil
		}
	}
	switch u := strings.ToUpper(s); {
	case u == "NONE":
		return "", fmt.Errorf("--alg none is never allowed: an unsigned token proves nothing")
	case strings.HasPrefix(u, "HS"):
		return "", fmt.Errorf("--alg %s is never allowed: HMAC needs a shared secret, and accepting it beside public keys opens algorithm confusion; Better Auth signs with public-key algorithms only", s)
	}
	return "", fmt.Errorf("--alg %q is not a known algorithm (one of %s)", s, strings.Join(knownAlgorithms, ", "))
}

// Policy is what a token must satisfy.
type Policy struct {
	// Issuer is the expected iss; "" means iss is not checked (not pinned).
	Issuer string
	// Audiences are accepted aud values; nil means aud is not checked.
	Audiences []string
	// Algorithms is the allowlist; nil means DefaultAlgorithms.
	Algorithms []string
	// Leeway is the clock skew tolerated for exp, nbf and iat.
	Leeway time.Duration
	// Require lists claims that must be present (exp always is).
	Require []string
	// BaseURL is the Better Auth baseURL the user gave, for hints.
	BaseURL string
	// Discovered says the key source came from the token's own iss.
	Discovered bool
	// NotDiscovered says why the token's iss was not used to find a JWKS,
	// when there is no key source and it might have been.
	NotDiscovered string
}

// KeySet is a parsed JWKS and where it came from.
type KeySet struct {
	Set    *jwks.Set
	Source string // URL, file or "-"
	// Origin says where the keys came from (network, cache, ...); nil for
	// sets made in code.
	Origin *KeysOrigin
	// PrivateMembers is set when the source publishes private key material.
	PrivateMembers bool
}

// KeySource gives the verifier its keys. Implementations fetch, read files
// or serve a cache; Load's error, when the source cannot be read or is not
// a JWKS, makes the verdict "could not check".
type KeySource interface {
	Load(ctx context.Context) (*KeySet, error)
	// Refresh is asked at most once per verification, when the token's kid
	// is not in the set. It returns nil when refetching would not help (a
	// file, a document fetched moments ago, the refetch rate limit).
	Refresh(ctx context.Context) (*KeySet, error)
}

// StaticKeys is a KeySource over a parsed set, for files, stdin and tests.
type StaticKeys struct{ Keys *KeySet }

// Load returns the set.
func (s StaticKeys) Load(context.Context) (*KeySet, error) { return s.Keys, nil }

// Refresh never refreshes a static set.
func (s StaticKeys) Refresh(context.Context) (*KeySet, error) { return nil, nil }
