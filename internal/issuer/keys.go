// Package issuer is a local stand-in for a Better Auth deployment's jwt
// plugin, for backend test suites: it makes keys the way Better Auth does
// (the five algorithms, a 32-character kid), publishes them as Better Auth
// 1.7 publishes its JWKS (member order, headers, lazy rotation with a grace
// period), and signs tokens with Better Auth's default claims. It is a test
// double: its keys are its own and its iss/aud are its own base URL, so a
// backend configured for a real deployment refuses everything it signs.
package issuer

import (
	"bytes"
	"crypto"
	"crypto/ecdsa"
	"crypto/ed25519"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/rsa"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"math/big"
	"slices"
	"strings"
	"time"

	"github.com/lestrrat-go/jwx/v3/jwk"
)

// Algs are the algorithms Better Auth's jwt plugin signs with (1.7), in the
// order the documentation lists them.
func Algs() []string { return []string{"EdDSA", "ES256", "ES512", "RS256", "PS256"} }

// DefaultAlg is the jwt plugin's default keyPairConfig.alg.
const DefaultAlg = "EdDSA"

// rsaBits is jose's default modulusLength, which Better Auth keeps.
const rsaBits = 2048

// kidAlphabet and kidLength are Better Auth's generateId(): 32 characters
// from [A-Za-z0-9]. The kid is the id of the key's row, not a thumbprint.
const (
	kidAlphabet = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789"
	kidLength   = 32
)

// Key is one signing key, as a row of Better Auth's jwks table holds it.
type Key struct {
	Kid       string
	Alg       string
	CreatedAt time.Time
	// ExpiresAt is when the key stops signing; zero means never (rotation
	// off). It stays in the JWKS until ExpiresAt plus the grace period.
	ExpiresAt time.Time
	signer    crypto.Signer
	// testKey: made by a mint request with newKey, for a test of key
	// rotation: published like the others, it signs only when asked for by
	// its kid, so the tokens of everyone else are unchanged.
	testKey bool
	// retired: taken out of the JWKS by a mint request with retire, as an
	// operator deletes a compromised key's row. It signs only when asked
	// for by its kid: tokens of a key the JWKS no longer has.
	retired bool
}

// Public returns the key's public half.
func (k *Key) Public() crypto.PublicKey { return k.signer.Public() }

// ParseAlg returns the canonical name of one of Algs (case-insensitive).
func ParseAlg(s string) (string, error) {
	for _, a := range Algs() {
		if strings.EqualFold(a, s) {
			return a, nil
		}
	}
	return "", fmt.Errorf("alg %q: Better Auth signs with %s only", s, strings.Join(Algs(), ", "))
}

// NewKid returns a kid in Better Auth's format, read from r (nil means
// crypto/rand).
func NewKid(r io.Reader) (string, error) {
	if r == nil {
		r = rand.Reader
	}
	// Rejection sampling keeps the 62 characters equally likely.
	out := make([]byte, 0, kidLength)
	buf := make([]byte, 48)
	for len(out) < kidLength {
		if _, err := io.ReadFull(r, buf); err != nil {
			return "", fmt.Errorf("kid: %w", err)
		}
		for _, b := range buf {
			if b < 248 && len(out) < kidLength { // 248 = 4*62
				out = append(out, kidAlphabet[int(b)%len(kidAlphabet)])
			}
		}
	}
	return string(out), nil
}

// GenerateKey makes a new key for alg, created at now, as Better Auth's
// createJwk does (Ed25519, P-256, P-521 or RSA 2048 with e=65537).
func GenerateKey(alg string, now time.Time) (*Key, error) {
	alg, err := ParseAlg(alg)
	if err != nil {
		return nil, err
	}
	var signer crypto.Signer
	switch alg {
	case "EdDSA":
		_, signer, err = ed25519.GenerateKey(rand.Reader)
	case "ES256":
		signer, err = ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	case "ES512":
		signer, err = ecdsa.GenerateKey(elliptic.P521(), rand.Reader)
	default: // RS256, PS256
		signer, err = rsa.GenerateKey(rand.Reader, rsaBits)
	}
	if err != nil {
		return nil, fmt.Errorf("generate %s key: %w", alg, err)
	}
	kid, err := NewKid(nil)
	if err != nil {
		return nil, err
	}
	return &Key{Kid: kid, Alg: alg, CreatedAt: now, signer: signer}, nil
}

// member is one name/value pair of a JSON object whose order matters.
type member struct {
	name  string
	value any
}

// writeObject writes members as a JSON object in their order, leaving out
// nil values.
func writeObject(buf *bytes.Buffer, members []member) error {
	buf.WriteByte('{')
	first := true
	for _, m := range members {
		if m.value == nil {
			continue
		}
		if !first {
			buf.WriteByte(',')
		}
		first = false
		name, _ := json.Marshal(m.name)
		buf.Write(name)
		buf.WriteByte(':')
		v, err := json.Marshal(m.value)
		if err != nil {
			return fmt.Errorf("%s: %w", m.name, err)
		}
		buf.Write(v)
	}
	buf.WriteByte('}')
	return nil
}

func b64(b []byte) string { return base64.RawURLEncoding.EncodeToString(b) }

// b64Int is a big integer as a JWK writes it: big-endian, unpadded, in
// size bytes when size > 0 (EC coordinates are fixed-size).
func b64Int(n *big.Int, size int) string {
	if size > 0 {
		return b64(n.FillBytes(make([]byte, size)))
	}
	return b64(n.Bytes())
}

func curveSize(c elliptic.Curve) int { return (c.Params().BitSize + 7) / 8 }

func curveName(c elliptic.Curve) string {
	switch c {
	case elliptic.P256():
		return "P-256"
	case elliptic.P521():
		return "P-521"
	}
	return c.Params().Name
}

// publicMembers are the key's JWKS entry in Better Auth's order: alg, crv,
// then jose's exportJWK members, kid last (no use, no key_ops).
func (k *Key) publicMembers() []member {
	switch pub := k.signer.Public().(type) {
	case ed25519.PublicKey:
		return []member{{"alg", k.Alg}, {"crv", "Ed25519"}, {"x", b64(pub)}, {"kty", "OKP"}, {"kid", k.Kid}}
	case *ecdsa.PublicKey:
		n := curveSize(pub.Curve)
		x, y := ecPoint(pub)
		return []member{{"alg", k.Alg}, {"crv", curveName(pub.Curve)}, {"kty", "EC"}, {"x", b64Int(x, n)}, {"y", b64Int(y, n)}, {"kid", k.Kid}}
	case *rsa.PublicKey:
		return []member{{"alg", k.Alg}, {"kty", "RSA"}, {"n", b64Int(pub.N, 0)}, {"e", b64Int(big.NewInt(int64(pub.E)), 0)}, {"kid", k.Kid}}
	}
	return nil
}

// ecPoint returns the coordinates of an ECDSA public key.
func ecPoint(pub *ecdsa.PublicKey) (x, y *big.Int) {
	b, err := pub.Bytes() // uncompressed: 0x04 || X || Y
	if err != nil || len(b) == 0 {
		return new(big.Int), new(big.Int)
	}
	n := (len(b) - 1) / 2
	return new(big.Int).SetBytes(b[1 : 1+n]), new(big.Int).SetBytes(b[1+n:])
}

// privateMembers are the key with its private part, for a keys file.
func (k *Key) privateMembers() []member {
	switch priv := k.signer.(type) {
	case ed25519.PrivateKey:
		pub := priv.Public().(ed25519.PublicKey)
		return []member{{"alg", k.Alg}, {"crv", "Ed25519"}, {"d", b64(priv.Seed())}, {"x", b64(pub)}, {"kty", "OKP"}, {"kid", k.Kid}}
	case *ecdsa.PrivateKey:
		n := curveSize(priv.Curve)
		x, y := ecPoint(&priv.PublicKey)
		d, err := priv.Bytes()
		if err != nil {
			return nil
		}
		return []member{{"alg", k.Alg}, {"crv", curveName(priv.Curve)}, {"kty", "EC"}, {"x", b64Int(x, n)}, {"y", b64Int(y, n)}, {"d", b64(d)}, {"kid", k.Kid}}
	case *rsa.PrivateKey:
		priv.Precompute()
		return []member{{"alg", k.Alg}, {"kty", "RSA"},
			{"n", b64Int(priv.N, 0)}, {"e", b64Int(big.NewInt(int64(priv.E)), 0)}, {"d", b64Int(priv.D, 0)},
			{"p", b64Int(priv.Primes[0], 0)}, {"q", b64Int(priv.Primes[1], 0)},
			{"dp", b64Int(priv.Precomputed.Dp, 0)}, {"dq", b64Int(priv.Precomputed.Dq, 0)}, {"qi", b64Int(priv.Precomputed.Qinv, 0)},
			{"kid", k.Kid}}
	}
	return nil
}

// MarshalPublic returns keys as a JWKS, {"keys":[...]}, byte for byte in
// Better Auth's form.
func MarshalPublic(keys []*Key) ([]byte, error) {
	return marshalSet(keys, (*Key).publicMembers)
}

// MarshalPrivate returns keys as a JWK set with their private parts: the
// keys file that LoadKeys reads. Keep it out of any real deployment.
func MarshalPrivate(keys []*Key) ([]byte, error) {
	return marshalSet(keys, (*Key).privateMembers)
}

func marshalSet(keys []*Key, members func(*Key) []member) ([]byte, error) {
	var buf bytes.Buffer
	buf.WriteString(`{"keys":[`)
	for i, k := range keys {
		if i > 0 {
			buf.WriteByte(',')
		}
		m := members(k)
		if m == nil {
			return nil, fmt.Errorf("key %s: unsupported key type", k.Kid)
		}
		if err := writeObject(&buf, m); err != nil {
			return nil, err
		}
	}
	buf.WriteString("]}")
	return buf.Bytes(), nil
}

// maxKeysFile bounds a keys file; a few keys take a few kilobytes.
const maxKeysFile = 1 << 20

// LoadKeys reads a keys file (MarshalPrivate's output, or any JWK set of
// private keys with kid and alg): the keys a test suite pins. Every key must
// have a private part, a kid and one of Algs that fits its type; the last
// key signs.
func LoadKeys(data []byte, now time.Time) ([]*Key, error) {
	if len(data) > maxKeysFile {
		return nil, fmt.Errorf("keys file: larger than %d bytes", maxKeysFile)
	}
	var set struct {
		Keys []json.RawMessage `json:"keys"`
	}
	if err := json.Unmarshal(data, &set); err != nil {
		return nil, fmt.Errorf("keys file: not a JWK set: %v", err)
	}
	if len(set.Keys) == 0 {
		return nil, errors.New(`keys file: no keys (want {"keys":[...]}, as baverify issuer keys writes it)`)
	}
	var keys []*Key
	for i, raw := range set.Keys {
		k, err := loadKey(raw, now)
		if err != nil {
			return nil, fmt.Errorf("keys file: key %d: %w", i+1, err)
		}
		for _, other := range keys {
			if other.Kid == k.Kid {
				return nil, fmt.Errorf("keys file: kid %q appears twice", k.Kid)
			}
		}
		keys = append(keys, k)
	}
	return keys, nil
}

func loadKey(raw json.RawMessage, now time.Time) (*Key, error) {
	var meta struct {
		Kid string `json:"kid"`
		Alg string `json:"alg"`
		D   string `json:"d"`
	}
	if err := json.Unmarshal(raw, &meta); err != nil {
		return nil, err
	}
	if meta.Kid == "" {
		return nil, errors.New("no kid")
	}
	alg, err := ParseAlg(meta.Alg)
	if err != nil {
		return nil, err
	}
	if meta.D == "" {
		return nil, fmt.Errorf("kid %s: a public key; the keys file holds private keys", meta.Kid)
	}
	parsed, err := jwk.ParseKey(raw)
	if err != nil {
		return nil, fmt.Errorf("kid %s: %v", meta.Kid, err)
	}
	var priv any
	if err := jwk.Export(parsed, &priv); err != nil {
		return nil, fmt.Errorf("kid %s: %v", meta.Kid, err)
	}
	var signer crypto.Signer
	ok := false
	switch p := priv.(type) {
	case ed25519.PrivateKey:
		signer, ok = p, alg == "EdDSA"
	case *ed25519.PrivateKey:
		signer, ok = *p, alg == "EdDSA"
	case *ecdsa.PrivateKey:
		signer, ok = p, (alg == "ES256" && p.Curve == elliptic.P256()) || (alg == "ES512" && p.Curve == elliptic.P521())
	case *rsa.PrivateKey:
		signer, ok = p, slices.Contains([]string{"RS256", "PS256"}, alg) && p.N.BitLen() >= rsaBits
	}
	if ok {
		if err := consistent(signer); err != nil {
			return nil, fmt.Errorf("kid %s: %v", meta.Kid, err)
		}
	}
	if !ok {
		return nil, fmt.Errorf("kid %s: the key does not fit alg %s (Ed25519 for EdDSA, P-256 for ES256, P-521 for ES512, RSA of at least %d bits for RS256 and PS256)", meta.Kid, alg, rsaBits)
	}
	return &Key{Kid: meta.Kid, Alg: alg, CreatedAt: now, signer: signer}, nil
}

// consistent checks that a loaded private key's public half is the one its
// private part gives: a key file whose members disagree would sign tokens
// that its own JWKS cannot verify.
func consistent(signer crypto.Signer) error {
	switch p := signer.(type) {
	case ed25519.PrivateKey:
		if len(p) != ed25519.PrivateKeySize || !bytes.Equal(ed25519.NewKeyFromSeed(p.Seed())[32:], p[32:]) {
			return errors.New("x is not the public key of d")
		}
	case *ecdsa.PrivateKey:
		d, err := p.Bytes()
		if err != nil {
			return err
		}
		want, err := ecdsa.ParseRawPrivateKey(p.Curve, d)
		if err != nil {
			return err
		}
		if !want.PublicKey.Equal(&p.PublicKey) {
			return errors.New("x and y are not the public key of d")
		}
	case *rsa.PrivateKey:
		if err := p.Validate(); err != nil {
			return fmt.Errorf("inconsistent RSA key: %v", err)
		}
	}
	return nil
}
