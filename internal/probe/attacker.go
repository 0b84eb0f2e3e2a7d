package probe

import (
	"crypto"
	"crypto/ecdsa"
	"crypto/ed25519"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/rsa"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/json"
	"encoding/pem"
	"fmt"
	"io"
	"math/big"
	"time"

	"github.com/baverify/baverify/internal/verify"
)

// Attacker is a key baverify makes for one probe, of the genuine token's
// algorithm, under the genuine kid: the key of embedded_jwk, and the key
// the attacker listener publishes for jku_header, x5u_header and
// iss_discovery.
type Attacker struct {
	Alg, Kid string
	signer   crypto.Signer
	jwk      map[string]any
	// CertPEM is a self-signed X.509 certificate of the key, for x5u, and
	// CertDER the same in DER, for x5c.
	CertPEM []byte
	CertDER []byte
	random  io.Reader
}

// NewAttacker makes a fresh key for the token's alg; random nil means
// crypto/rand.
func NewAttacker(token string, random io.Reader) (*Attacker, error) {
	tok, err := verify.Decode(token)
	if err != nil {
		return nil, err
	}
	alg, _, err := tok.Header.String("alg")
	if err != nil {
		return nil, err
	}
	kid, _, _ := tok.Header.String("kid")
	if random == nil {
		random = rand.Reader
	}
	a := &Attacker{Alg: alg, Kid: kid, random: random}
	switch alg {
	case "EdDSA":
		pub, priv, err := ed25519.GenerateKey(random)
		if err != nil {
			return nil, err
		}
		a.signer = priv
		a.jwk = map[string]any{"kty": "OKP", "crv": "Ed25519", "x": enc(pub)}
	case "ES256", "ES384", "ES512":
		curve, crv, size := ecParams(alg)
		priv, err := ecdsa.GenerateKey(curve, random)
		if err != nil {
			return nil, err
		}
		pub, err := priv.PublicKey.Bytes() // 0x04 || X || Y
		if err != nil {
			return nil, err
		}
		a.signer = priv
		a.jwk = map[string]any{"kty": "EC", "crv": crv, "x": enc(pub[1 : 1+size]), "y": enc(pub[1+size:])}
	case "RS256", "RS384", "RS512", "PS256", "PS384", "PS512":
		priv, err := rsa.GenerateKey(random, 2048)
		if err != nil {
			return nil, err
		}
		a.signer = priv
		a.jwk = map[string]any{"kty": "RSA", "n": enc(priv.N.Bytes()), "e": enc(big.NewInt(int64(priv.E)).Bytes())}
	default:
		return nil, fmt.Errorf("no key can be made for alg %q", alg)
	}
	if a.CertDER, err = a.certificate(); err != nil {
		return nil, err
	}
	a.CertPEM = pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: a.CertDER})
	return a, nil
}

func ecParams(alg string) (elliptic.Curve, string, int) {
	switch alg {
	case "ES384":
		return elliptic.P384(), "P-384", 48
	case "ES512":
		return elliptic.P521(), "P-521", 66
	}
	return elliptic.P256(), "P-256", 32
}

// PublicJWK is the public key as a JWK, without kid (embedded_jwk carries
// it this way).
func (a *Attacker) PublicJWK() map[string]any {
	m := make(map[string]any, len(a.jwk))
	for k, v := range a.jwk {
		m[k] = v
	}
	return m
}

// JWKS is the key set the listener serves: the public key under the
// genuine kid, so that a backend picking keys by kid finds it.
func (a *Attacker) JWKS() []byte {
	k := a.PublicJWK()
	k["alg"], k["use"] = a.Alg, "sig"
	if a.Kid != "" {
		k["kid"] = a.Kid
	}
	b, _ := json.Marshal(map[string]any{"keys": []any{k}})
	return b
}

// JWKSWithKid is the key set with the key under kid (kid_url serves it
// under the URL that is the kid).
func (a *Attacker) JWKSWithKid(kid string) []byte {
	k := a.PublicJWK()
	k["alg"], k["use"], k["kid"] = a.Alg, "sig", kid
	b, _ := json.Marshal(map[string]any{"keys": []any{k}})
	return b
}

// Public is the attacker's public key.
func (a *Attacker) Public() crypto.PublicKey { return a.signer.Public() }

func (a *Attacker) certificate() ([]byte, error) {
	tmpl := &x509.Certificate{
		SerialNumber: big.NewInt(1),
		Subject:      pkix.Name{CommonName: "baverify probe attacker key"},
		// A fixed window: the certificate's dates are not what is tested.
		NotBefore: time.Date(2020, 1, 1, 0, 0, 0, 0, time.UTC),
		NotAfter:  time.Date(2100, 1, 1, 0, 0, 0, 0, time.UTC),
		KeyUsage:  x509.KeyUsageDigitalSignature,
	}
	return x509.CreateCertificate(a.random, tmpl, tmpl, a.signer.Public(), a.signer)
}

// sign signs the payload segment under the genuine header with some
// members set, as a JWS of the attacker's alg.
func (a *Attacker) sign(header verify.Object, set map[string]any, payloadSeg string) (string, error) {
	h, err := setMembers(header, set)
	if err != nil {
		return "", err
	}
	input := enc(h) + "." + payloadSeg
	sig, err := a.signInput([]byte(input))
	if err != nil {
		return "", err
	}
	return input + "." + enc(sig), nil
}

func (a *Attacker) signInput(in []byte) ([]byte, error) {
	switch k := a.signer.(type) {
	case ed25519.PrivateKey:
		return ed25519.Sign(k, in), nil
	case *ecdsa.PrivateKey:
		_, _, size := ecParams(a.Alg)
		h := jwsHash(a.Alg).New()
		h.Write(in)
		r, s, err := ecdsa.Sign(a.random, k, h.Sum(nil))
		if err != nil {
			return nil, err
		}
		out := make([]byte, 2*size)
		r.FillBytes(out[:size])
		s.FillBytes(out[size:])
		return out, nil
	case *rsa.PrivateKey:
		hash := jwsHash(a.Alg)
		h := hash.New()
		h.Write(in)
		if a.Alg[0] == 'P' {
			return rsa.SignPSS(a.random, k, hash, h.Sum(nil), &rsa.PSSOptions{SaltLength: rsa.PSSSaltLengthEqualsHash})
		}
		return rsa.SignPKCS1v15(a.random, k, hash, h.Sum(nil))
	}
	return nil, fmt.Errorf("no signer for alg %q", a.Alg)
}

// jwsHash is the hash of an RS, PS or ES alg (by its digits).
func jwsHash(alg string) crypto.Hash {
	switch alg[len(alg)-3:] {
	case "384":
		return crypto.SHA384
	case "512":
		return crypto.SHA512
	}
	return crypto.SHA256
}
