// Command yardstick is a stdlib-only EdDSA JWT verifier for one JWKS, the
// speed reference of scripts/bench.sh: it does what `baverify token
// --batch` does for an ordinary token (split, base64url, JSON, kid lookup,
// signature, exp/nbf/iat/iss/aud, counts) and nothing more: no diagnosis,
// no order, no duplicate-member or UTF-8 checks. It is not part of
// baverify.
//
//	yardstick -jwks jwks.json -iss ISS -aud AUD -now UNIX -j N < tokens.txt
package main

import (
	"bufio"
	"bytes"
	"crypto/ed25519"
	"encoding/base64"
	"encoding/json"
	"flag"
	"fmt"
	"os"
	"sync"
	"sync/atomic"
)

type header struct {
	Alg string `json:"alg"`
	Kid string `json:"kid"`
}

type claims struct {
	Exp *float64        `json:"exp"`
	Nbf *float64        `json:"nbf"`
	Iat *float64        `json:"iat"`
	Iss string          `json:"iss"`
	Aud json.RawMessage `json:"aud"`
}

type verifier struct {
	keys     map[string]ed25519.PublicKey
	iss, aud string
	now      float64
}

func (v *verifier) verify(tok []byte) bool {
	parts := bytes.Split(tok, []byte("."))
	if len(parts) != 3 {
		return false
	}
	dec := base64.RawURLEncoding
	hb, err := dec.DecodeString(string(parts[0]))
	if err != nil {
		return false
	}
	var h header
	if json.Unmarshal(hb, &h) != nil || h.Alg != "EdDSA" {
		return false
	}
	key, ok := v.keys[h.Kid]
	if !ok {
		return false
	}
	pb, err := dec.DecodeString(string(parts[1]))
	if err != nil {
		return false
	}
	var c claims
	if json.Unmarshal(pb, &c) != nil {
		return false
	}
	if c.Exp == nil || *c.Exp <= v.now || c.Nbf != nil && *c.Nbf > v.now || c.Iat != nil && *c.Iat > v.now || c.Iss != v.iss {
		return false
	}
	var one string
	var many []string
	switch {
	case json.Unmarshal(c.Aud, &one) == nil:
		if one != v.aud {
			return false
		}
	case json.Unmarshal(c.Aud, &many) == nil:
		found := false
		for _, a := range many {
			found = found || a == v.aud
		}
		if !found {
			return false
		}
	default:
		return false
	}
	sig, err := dec.DecodeString(string(parts[2]))
	if err != nil {
		return false
	}
	return ed25519.Verify(key, tok[:len(parts[0])+1+len(parts[1])], sig)
}

func main() {
	jwksPath := flag.String("jwks", "", "JWKS file")
	iss := flag.String("iss", "", "expected iss")
	aud := flag.String("aud", "", "expected aud")
	now := flag.Float64("now", 0, "Unix time to evaluate at")
	workers := flag.Int("j", 1, "workers")
	flag.Parse()
	doc, err := os.ReadFile(*jwksPath)
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(3)
	}
	var set struct {
		Keys []struct{ Kty, Crv, X, Kid string }
	}
	if err := json.Unmarshal(doc, &set); err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(3)
	}
	v := &verifier{keys: map[string]ed25519.PublicKey{}, iss: *iss, aud: *aud, now: *now}
	for _, k := range set.Keys {
		x, err := base64.RawURLEncoding.DecodeString(k.X)
		if k.Kty == "OKP" && k.Crv == "Ed25519" && err == nil && len(x) == ed25519.PublicKeySize {
			v.keys[k.Kid] = x
		}
	}
	var valid, invalid atomic.Int64
	lines := make(chan [][]byte, 4**workers)
	var wg sync.WaitGroup
	for i := 0; i < *workers; i++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for batch := range lines {
				for _, l := range batch {
					if v.verify(l) {
						valid.Add(1)
					} else {
						invalid.Add(1)
					}
				}
			}
		}()
	}
	sc := bufio.NewScanner(os.Stdin)
	sc.Buffer(make([]byte, 64<<10), 1<<20)
	batch := make([][]byte, 0, 256)
	for sc.Scan() {
		l := bytes.TrimSpace(sc.Bytes())
		if len(l) == 0 {
			continue
		}
		batch = append(batch, append([]byte(nil), l...))
		if len(batch) == cap(batch) {
			lines <- batch
			batch = make([][]byte, 0, 256)
		}
	}
	lines <- batch
	close(lines)
	wg.Wait()
	fmt.Printf("%d valid, %d invalid\n", valid.Load(), invalid.Load())
	if invalid.Load() > 0 || sc.Err() != nil {
		os.Exit(1)
	}
}
