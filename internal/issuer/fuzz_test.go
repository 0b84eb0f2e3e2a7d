package issuer

import (
	"encoding/json"
	"strings"
	"testing"
	"time"
)

// LoadKeys reads a file a user hands over: whatever it holds, it returns
// keys that sign or an error, and never panics.
func FuzzLoadKeys(f *testing.F) {
	for _, alg := range Algs() {
		k, err := GenerateKey(alg, time.Now())
		if err != nil {
			f.Fatal(err)
		}
		b, _ := MarshalPrivate([]*Key{k})
		f.Add(b)
	}
	f.Add([]byte(`{"keys":[{"kty":"OKP","crv":"Ed25519","kid":"a","alg":"EdDSA","d":"AA","x":"AA"}]}`))
	f.Add([]byte(`{"keys":[{"kty":"oct","k":"AA","kid":"a","alg":"HS256","d":"x"}]}`))
	f.Fuzz(func(t *testing.T, data []byte) {
		keys, err := LoadKeys(data, time.Now())
		if err != nil {
			return
		}
		ks, err := NewKeySet(keys, KeySetOptions{})
		if err != nil {
			return
		}
		if _, err := ks.Mint(Claims{Issuer: "i", Audience: []string{"a"}}, MintOptions{}); err != nil {
			t.Fatalf("loaded keys that cannot sign: %v", err)
		}
	})
}

// The mint route's body comes from whoever reaches the issuer: any body
// gives a token whose payload is a JSON object, or an error.
func FuzzMintRequest(f *testing.F) {
	f.Add([]byte(`{}`))
	f.Add([]byte(`{"exp":"-1m","nbf":"5m","aud":["a","b"],"claims":{"admin":true,"exp":"x"}}`))
	f.Add([]byte(`{"noExp":true,"noAud":true,"noIss":true,"noUser":true,"sub":"\u0000"}`))
	f.Add([]byte(`{"newKey":true}`))
	f.Add([]byte(`{"retire":true}`))
	f.Add([]byte(`{"kid":"x","retire":true,"newKey":true}`))
	k, err := GenerateKey("EdDSA", time.Now())
	if err != nil {
		f.Fatal(err)
	}
	ks, _ := NewKeySet([]*Key{k}, KeySetOptions{})
	f.Fuzz(func(t *testing.T, body []byte) {
		var req MintRequest
		if json.Unmarshal(body, &req) != nil {
			return
		}
		tok, err := ks.MintRequest(req, Defaults{Issuer: "i", Audience: []string{"a"}, User: DefaultUser()})
		if err != nil {
			return
		}
		parts := strings.Split(tok, ".")
		if len(parts) != 3 {
			t.Fatalf("not a compact JWS: %q", tok)
		}
		var payload map[string]json.RawMessage
		if err := json.Unmarshal(seg(t, tok, 1), &payload); err != nil {
			t.Fatalf("payload is not a JSON object: %v", err)
		}
	})
}
