package verify

import (
	"context"
	"crypto"
	"crypto/ecdsa"
	"crypto/ed25519"
	"crypto/rsa"
	"crypto/sha256"
	"encoding/json"
	"math/big"
	"os"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/baverify/baverify/internal/jwks"
)

// BenchmarkBatchCheck measures Batch.Check on a real Better Auth token per
// algorithm against the raw standard-library signature check on the same
// bytes (the floor: nothing can verify faster than the signature math).
// Both run in the same loop, alternately in blocks, so machine noise hits
// both; it reports the per-token times, the median of the per-block ratios,
// and allocations per token (b.N counts blocks of 8 tokens).
//
//	go test -run '^$' -bench BatchCheck -benchtime 3s ./internal/verify
func BenchmarkBatchCheck(b *testing.B) {
	for _, alg := range []string{"EdDSA", "ES256", "RS256"} {
		b.Run(alg, func(b *testing.B) {
			dir := "../../testdata/real/" + alg + "/"
			tokRaw, err := os.ReadFile(dir + "token.jwt")
			if err != nil {
				b.Fatal(err)
			}
			tok := []byte(strings.TrimSpace(string(tokRaw)))
			doc, err := os.ReadFile(dir + "jwks.json")
			if err != nil {
				b.Fatal(err)
			}
			var meta struct {
				Origin string
				Iat    int64
			}
			metaRaw, _ := os.ReadFile(dir + "meta.json")
			if err := json.Unmarshal(metaRaw, &meta); err != nil {
				b.Fatal(err)
			}
			set, err := jwks.Parse(doc)
			if err != nil {
				b.Fatal(err)
			}
			now := time.Unix(meta.Iat+60, 0)
			v := &Verifier{Keys: StaticKeys{Keys: &KeySet{Set: set, Source: "bench"}},
				Policy: Policy{Issuer: meta.Origin, Audiences: []string{meta.Origin}}, Now: func() time.Time { return now }}
			bv, err := NewBatch(context.Background(), v)
			if err != nil {
				b.Fatal(err)
			}
			raw := rawVerifier(b, alg, set.Keys[0].Public, tok)
			var sc Scratch
			var out Outcome
			check := func() {
				bv.Check(context.Background(), tok, &sc, &out)
				if !out.Valid || !bv.fast(tok, &sc, &out) {
					b.Fatalf("not valid through the fast path: %+v", out.Errors)
				}
			}
			check()
			allocs := testing.AllocsPerRun(200, func() { bv.Check(context.Background(), tok, &sc, &out) })
			rawAllocs := testing.AllocsPerRun(200, func() { raw() })
			// Blocks of calls, raw then batch, back to back: the median of
			// the per-block ratios shrugs off the bursts of a shared machine.
			const block = 8
			var rawNs, batchNs time.Duration
			var ratios []float64
			b.ResetTimer()
			for i := 0; b.Loop(); i++ {
				t0 := time.Now()
				for j := 0; j < block; j++ {
					if !raw() {
						b.Fatal("raw verification failed")
					}
				}
				t1 := time.Now()
				for j := 0; j < block; j++ {
					bv.Check(context.Background(), tok, &sc, &out)
				}
				t2 := time.Now()
				rawNs += t1.Sub(t0)
				batchNs += t2.Sub(t1)
				ratios = append(ratios, float64(t2.Sub(t1))/float64(t1.Sub(t0)))
			}
			slices.Sort(ratios)
			n := float64(b.N * block)
			b.ReportMetric(float64(rawNs.Nanoseconds())/n, "raw-ns/token")
			b.ReportMetric(float64(batchNs.Nanoseconds())/n, "batch-ns/token")
			b.ReportMetric(ratios[len(ratios)/2], "ratio")
			b.ReportMetric(allocs, "allocs/token")
			b.ReportMetric(rawAllocs, "raw-allocs/token")
		})
	}
}

// rawVerifier is the bare standard-library check of the token's signature,
// with the signature already decoded and the key already parsed.
func rawVerifier(b *testing.B, alg string, pub crypto.PublicKey, tok []byte) func() bool {
	i := strings.LastIndexByte(string(tok), '.')
	input := tok[:i]
	sig, err := b64Decode(string(tok[i+1:]))
	if err != nil {
		b.Fatal(err)
	}
	switch alg {
	case "EdDSA":
		k := pub.(ed25519.PublicKey)
		return func() bool { return ed25519.Verify(k, input, sig) }
	case "ES256":
		k := pub.(*ecdsa.PublicKey)
		r, s := new(big.Int).SetBytes(sig[:32]), new(big.Int).SetBytes(sig[32:])
		return func() bool { d := sha256.Sum256(input); return ecdsa.Verify(k, d[:], r, s) }
	case "RS256":
		k := pub.(*rsa.PublicKey)
		return func() bool { d := sha256.Sum256(input); return rsa.VerifyPKCS1v15(k, crypto.SHA256, d[:], sig) == nil }
	}
	b.Fatalf("no raw verifier for %s", alg)
	return nil
}
