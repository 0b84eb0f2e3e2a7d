package issuer

import (
	"testing"
	"time"
)

// BenchmarkMint is one token in process with Better Auth's default claims,
// per algorithm: payload, header, signature, encoding (the target is under
// 10 ms a token).
func BenchmarkMint(b *testing.B) {
	for _, alg := range Algs() {
		b.Run(alg, func(b *testing.B) {
			k, err := GenerateKey(alg, time.Now())
			if err != nil {
				b.Fatal(err)
			}
			ks, err := NewKeySet([]*Key{k}, KeySetOptions{})
			if err != nil {
				b.Fatal(err)
			}
			d := Defaults{Issuer: "http://127.0.0.1:4455", Audience: []string{"http://127.0.0.1:4455"}, User: DefaultUser()}
			b.ReportAllocs()
			for b.Loop() {
				if _, err := ks.MintRequest(MintRequest{Exp: "-1m"}, d); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}
