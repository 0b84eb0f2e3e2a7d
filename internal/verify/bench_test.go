package verify

import (
	"context"
	"os"
	"testing"
	"time"

	"github.com/baverify/baverify/internal/jwks"
)

// BenchmarkVerify measures the pipeline alone (decode, key selection,
// signature, claims) per algorithm, with keys already parsed.
func BenchmarkVerify(b *testing.B) {
	for _, alg := range []string{"EdDSA", "ES256", "ES512", "RS256", "PS256"} {
		b.Run(alg, func(b *testing.B) {
			k := keyFor(b, alg)
			token := k.sign(b, betterAuthClaims())
			v := &Verifier{Keys: StaticKeys{Keys: &KeySet{Set: setOf(b, k.jwk()), Source: "bench"}},
				Policy: pinned(), Now: func() time.Time { return fixedNow }}
			b.ReportAllocs()
			for b.Loop() {
				if r := v.Verify(context.Background(), token); !r.Valid {
					b.Fatal(r.Errors)
				}
			}
		})
	}
}

// BenchmarkDecode measures decoding a real Better Auth token.
func BenchmarkDecode(b *testing.B) {
	raw, err := os.ReadFile("../../testdata/real/EdDSA/token.jwt")
	if err != nil {
		b.Fatal(err)
	}
	b.ReportAllocs()
	for b.Loop() {
		if _, err := Decode(string(raw)); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkParseJWKS measures parsing a real Better Auth JWKS per algorithm.
func BenchmarkParseJWKS(b *testing.B) {
	for _, alg := range []string{"EdDSA", "ES256", "RS256"} {
		b.Run(alg, func(b *testing.B) {
			body, err := os.ReadFile("../../testdata/real/" + alg + "/jwks.json")
			if err != nil {
				b.Fatal(err)
			}
			b.ReportAllocs()
			for b.Loop() {
				if _, err := jwks.Parse(body); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}
