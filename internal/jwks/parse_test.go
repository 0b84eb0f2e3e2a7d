package jwks

import (
	"crypto/sha256"
	"encoding/base64"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
)

func TestParseDocument(t *testing.T) {
	for _, tc := range []struct {
		name, doc string
		want      error // nil: parses
		msg       string
		keys      int
	}{
		{"empty set", `{"keys":[]}`, nil, "", 0},
		{"two keys", `{"keys":[{"kty":"OKP"},{"kty":"EC"}]}`, nil, "", 2},
		{"not JSON", `<html>`, ErrInvalidJSON, "", 0},
		{"empty body", ``, ErrInvalidJSON, "", 0},
		{"truncated", `{"keys":[`, ErrInvalidJSON, "", 0},
		{"an array", `[]`, ErrNotJWKS, "JSON array", 0},
		{"a string", `"keys"`, ErrNotJWKS, "JSON string", 0},
		{"no keys member", `{"issuer":"x"}`, ErrNotJWKS, `no "keys" member`, 0},
		{"a single JWK", `{"kty":"OKP","x":"a"}`, ErrNotJWKS, "single JWK", 0},
		{"keys is null", `{"keys":null}`, ErrNotJWKS, "not an array", 0},
		{"keys is an object", `{"keys":{}}`, ErrNotJWKS, "not an array", 0},
		{"too many keys", `{"keys":[` + strings.Repeat(`{},`, maxKeys) + `{}]}`, ErrNotJWKS, "more than", 0},
		{"too large", `{"keys":[],"x":"` + strings.Repeat("a", MaxBytes) + `"}`, ErrNotJWKS, "larger than", 0},
	} {
		t.Run(tc.name, func(t *testing.T) {
			set, err := Parse([]byte(tc.doc))
			if tc.want == nil {
				if err != nil || len(set.Keys) != tc.keys {
					t.Fatalf("Parse: %v, %+v", err, set)
				}
				return
			}
			if !errors.Is(err, tc.want) || !strings.Contains(err.Error(), tc.msg) {
				t.Fatalf("err = %v, want %v containing %q", err, tc.want, tc.msg)
			}
		})
	}
}

func TestParseKeys(t *testing.T) {
	const edX = "ApQ0cpk78a2fJDj34PVwA62miObq9_Rw4C__YW-sSQQ"
	for _, tc := range []struct {
		name, key string
		err       string // "" = parses
		check     func(t *testing.T, k Key)
	}{
		{"Ed25519", `{"kty":"OKP","crv":"Ed25519","alg":"EdDSA","x":"` + edX + `","kid":"a"}`, "", func(t *testing.T, k Key) {
			if k.Kid != "a" || !k.HasKid || k.Bits != 256 || k.Public == nil || k.Describe() != "OKP/Ed25519" {
				t.Errorf("%+v", k)
			}
		}},
		{"empty kid is present", `{"kty":"OKP","crv":"Ed25519","x":"` + edX + `","kid":""}`, "", func(t *testing.T, k Key) {
			if !k.HasKid || k.Kid != "" {
				t.Errorf("%+v", k)
			}
		}},
		{"private members are named", `{"kty":"OKP","crv":"Ed25519","x":"` + edX + `","d":"AAAA","p":"x","oth":[]}`, "wrong private key size", func(t *testing.T, k Key) {
			if !slices.Equal(k.PrivateMembers, []string{"d", "p", "oth"}) {
				t.Errorf("PrivateMembers = %v", k.PrivateMembers)
			}
		}},
		{"key_ops and use", `{"kty":"OKP","crv":"Ed25519","x":"` + edX + `","use":"sig","key_ops":["verify"]}`, "", func(t *testing.T, k Key) {
			if k.Use != "sig" || !k.HasKeyOps || !slices.Equal(k.KeyOps, []string{"verify"}) {
				t.Errorf("%+v", k)
			}
		}},
		{"not an object", `42`, "not a JSON object", nil},
		{"kid not a string", `{"kty":"OKP","kid":7}`, `"kid" is not a string`, nil},
		{"key_ops not strings", `{"kty":"OKP","key_ops":"verify"}`, `"key_ops" is not an array`, nil},
		{"no kty", `{"kid":"a"}`, `no "kty"`, nil},
		{"oct", `{"kty":"oct","k":"AAAA"}`, "symmetric", func(t *testing.T, k Key) {
			if !slices.Equal(k.PrivateMembers, []string{"k"}) {
				t.Errorf("PrivateMembers = %v", k.PrivateMembers)
			}
		}},
		{"unknown kty", `{"kty":"AKP"}`, `unsupported key type "AKP"`, nil},
		{"bad EC point", `{"kty":"EC","crv":"P-256","x":"AAAA","y":"AAAA"}`, "does not parse", nil},
		{"weak RSA keeps its size", "", "need at least 2048", func(t *testing.T, k Key) {
			if k.Bits != 1024 || k.Describe() != "RSA 1024" {
				t.Errorf("Bits = %d", k.Bits)
			}
		}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			doc := `{"keys":[` + tc.key + `]}`
			if tc.key == "" {
				b, err := os.ReadFile(filepath.Join("..", "..", "testdata", "jwks", "weak-rsa-key.json"))
				if err != nil {
					t.Fatal(err)
				}
				doc = string(b)
			}
			set, err := Parse([]byte(doc))
			if err != nil {
				t.Fatal(err)
			}
			k := set.Keys[0]
			switch {
			case tc.err == "" && k.Err != nil:
				t.Fatalf("Err = %v", k.Err)
			case tc.err != "" && (k.Err == nil || !strings.Contains(k.Err.Error(), tc.err)):
				t.Fatalf("Err = %v, want %q", k.Err, tc.err)
			}
			if tc.err == "" && k.Thumbprint == "" {
				t.Errorf("no thumbprint")
			}
			if tc.check != nil {
				tc.check(t, k)
			}
		})
	}
}

// TestThumbprintRFC7638 checks the thumbprint against RFC 7638's own
// example (section 3.1) and against a hand-built Ed25519 member string.
func TestThumbprintRFC7638(t *testing.T) {
	rfc := `{"keys":[{"kty":"RSA","n":"0vx7agoebGcQSuuPiLJXZptN9nndrQmbXEps2aiAFbWhM78LhWx4cbbfAAtVT86zwu1RK7aPFFxuhDR1L6tSoc_BJECPebWKRXjBZCiFV4n3oknjhMstn64tZ_2W-5JsGY4Hc5n9yBXArwl93lqt7_RN5w6Cf0h4QyQ5v-65YGjQR0_FDW2QvzqY368QQMicAtaSqzs8KJZgnYb9c7d0zgdAZHzu6qMQvRL5hajrn1n91CbOpbISD08qNLyrdkt-bFTWhAI4vMQFh6WeZu0fM4lFd2NcRwr3XPksINHaQ-G_xBniIqbw0Ls1jF44-csFCur-kEgU8awapJzKnqDKgw","e":"AQAB","alg":"RS256","kid":"2011-04-29"}]}`
	set, err := Parse([]byte(rfc))
	if err != nil {
		t.Fatal(err)
	}
	if got := set.Keys[0].Thumbprint; got != "NzbLsXh8uDCcd-6MNwXF4W_7noWXFZAfHkxZsRGC9Xs" {
		t.Errorf("RFC 7638 example: thumbprint %s", got)
	}
	const x = "ApQ0cpk78a2fJDj34PVwA62miObq9_Rw4C__YW-sSQQ"
	set, err = Parse([]byte(`{"keys":[{"alg":"EdDSA","crv":"Ed25519","x":"` + x + `","kty":"OKP","kid":"k"}]}`))
	if err != nil {
		t.Fatal(err)
	}
	sum := sha256.Sum256([]byte(`{"crv":"Ed25519","kty":"OKP","x":"` + x + `"}`))
	if want := base64.RawURLEncoding.EncodeToString(sum[:]); set.Keys[0].Thumbprint != want {
		t.Errorf("Ed25519 thumbprint %s, want %s", set.Keys[0].Thumbprint, want)
	}
}

// FuzzParse: Parse never panics, fails only with its two sentinels, and
// the keys it returns are consistent.
func FuzzParse(f *testing.F) {
	for _, dir := range []string{filepath.Join("..", "..", "testdata", "jwks"), filepath.Join("..", "..", "testdata", "real")} {
		_ = filepath.WalkDir(dir, func(path string, d os.DirEntry, err error) error {
			if err == nil && !d.IsDir() && strings.HasSuffix(path, ".json") {
				if b, err := os.ReadFile(path); err == nil {
					f.Add(b)
				}
			}
			return nil
		})
	}
	f.Add([]byte(`{"keys":[{"kty":"RSA","n":"AQAB","e":"AQAB"},{"kty":"EC","crv":"P-384"},null,[],"x"]}`))
	f.Fuzz(func(t *testing.T, data []byte) {
		set, err := Parse(data)
		if err != nil {
			if !errors.Is(err, ErrInvalidJSON) && !errors.Is(err, ErrNotJWKS) {
				t.Fatalf("unexpected error kind: %v", err)
			}
			return
		}
		for i, k := range set.Keys {
			if k.Index != i || k.Bits < 0 {
				t.Fatalf("key %d: %+v", i, k)
			}
			if (k.Err == nil) != (k.Public != nil) {
				t.Fatalf("key %d: Err %v but Public %T", i, k.Err, k.Public)
			}
			if k.Err == nil && k.Thumbprint == "" {
				t.Fatalf("key %d parses but has no thumbprint", i)
			}
			if len(k.PrivateMembers) > len(privateMembers) {
				t.Fatalf("key %d: private members %v", i, k.PrivateMembers)
			}
		}
	})
}

// Each key keeps its JSON object byte for byte, as served.
func TestParseKeepsTheRawKey(t *testing.T) {
	t.Parallel()
	doc := `{"keys":[ {"kty":"OKP","crv":"Ed25519", "x":"11qYAYKxCrfVS_7TyWQHOg7hcvPapiMlrwIaaPcHURo","kid":"a"} ]}`
	set, err := Parse([]byte(doc))
	if err != nil {
		t.Fatal(err)
	}
	if got, want := string(set.Keys[0].Raw), `{"kty":"OKP","crv":"Ed25519", "x":"11qYAYKxCrfVS_7TyWQHOg7hcvPapiMlrwIaaPcHURo","kid":"a"}`; got != want {
		t.Errorf("Raw = %s", got)
	}
}

// rsaJWK is an RSA JWK whose modulus has exactly bits bits and whose
// exponent is 2^31-1: what a set needs to cost minutes of signature maths.
// Only the size matters, so n is not a product of primes.
func rsaJWK(kid string, bits int) string {
	n := make([]byte, (bits+7)/8)
	for i := range n {
		n[i] = 0x5a
	}
	n[0] = 0xff >> (len(n)*8 - bits)
	n[len(n)-1] |= 1
	return `{"kty":"RSA","kid":"` + kid + `","alg":"RS256","use":"sig","n":"` + base64.RawURLEncoding.EncodeToString(n) +
		`","e":"` + base64.RawURLEncoding.EncodeToString([]byte{0x7f, 0xff, 0xff, 0xff}) + `"}`
}

// An RSA key above MaxRSABits is refused at parse time, before any maths,
// and keeps its size for the messages; one at the limit is a key.
func TestRSAKeyAboveTheLimitIsRefused(t *testing.T) {
	for _, tc := range []struct {
		bits    int
		refused bool
	}{{MaxRSABits, false}, {MaxRSABits + 1, true}, {524288, true}} {
		set, err := Parse([]byte(`{"keys":[` + rsaJWK("k", tc.bits) + `]}`))
		if err != nil {
			t.Fatal(err)
		}
		k := set.Keys[0]
		if k.Bits != tc.bits {
			t.Errorf("%d bits: Bits = %d", tc.bits, k.Bits)
		}
		if got := errors.Is(k.Err, ErrRSAKeyTooLarge); got != tc.refused {
			t.Errorf("%d bits: Err = %v, refused want %v", tc.bits, k.Err, tc.refused)
		}
		if tc.refused && (k.Public != nil || !strings.Contains(k.Err.Error(), fmt.Sprintf("RSA key of %d bits: over baverify's limit of 16384", tc.bits))) {
			t.Errorf("%d bits: Public %T, Err %v", tc.bits, k.Public, k.Err)
		}
	}
}
