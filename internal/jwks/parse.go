// Package jwks fetches, parses, caches and lints JSON Web Key Sets (RFC 7517).
// It never prints; results are structs for the renderers.
package jwks

import (
	"bytes"
	"crypto"
	"crypto/ecdsa"
	"crypto/ed25519"
	"crypto/rsa"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"math/big"
	"slices"
	"strings"

	"github.com/lestrrat-go/jwx/v3/jwk"
)

// MaxBytes bounds a JWKS document, fetched or read from a file.
const MaxBytes = 1 << 20

// maxKeys bounds how many keys one document may hold; a real deployment has
// a handful, and each key costs a parse.
const maxKeys = 1000

// PrivateMembers are the JWK members that carry private key material
// (RFC 7518 sections 6.2.2, 6.3.2 and 6.4.1; RFC 8037 for OKP "d").
var privateMembers = []string{"d", "p", "q", "dp", "dq", "qi", "oth", "k"}

// Set is a parsed JWKS. Keys that do not parse are kept, with their error,
// so that the linter can report them and verification can skip them.
type Set struct {
	Keys []Key
}

// Key is one member of a JWKS, as published.
type Key struct {
	Index     int      // position in the "keys" array
	Kid       string   // "kid", "" when absent
	HasKid    bool     // "kid" present (even if empty)
	Kty       string   // "kty"
	Alg       string   // "alg", "" when absent
	Crv       string   // "crv", "" when absent
	Use       string   // "use", "" when absent
	HasUse    bool     // "use" present (even if empty)
	KeyOps    []string // "key_ops"
	HasKeyOps bool
	// Bits is the RSA modulus size or the curve size; 0 when unknown.
	Bits int
	// Thumbprint is the RFC 7638 SHA-256 thumbprint, base64url; "" when the
	// key does not parse.
	Thumbprint string
	// PrivateMembers lists the private members present, by name only.
	PrivateMembers []string
	// Public is the public key (ed25519.PublicKey, *ecdsa.PublicKey or
	// *rsa.PublicKey); nil when the key does not parse.
	Public crypto.PublicKey
	// Err says why the key could not be used at all.
	Err error
	// Raw is the key's JSON object exactly as the document served it
	// (probe uses it as a confused verifier's HMAC secret).
	Raw []byte
}

// ErrRSAKeyTooLarge means an RSA modulus is over MaxRSABits: the key is
// refused before its signature maths could take minutes.
var ErrRSAKeyTooLarge = fmt.Errorf("over baverify's limit of %d", MaxRSABits)

// ErrInvalidJSON means the document is not JSON.
var ErrInvalidJSON = errors.New("not valid JSON")

// ErrNotJWKS means the document is JSON but not a JWKS object.
var ErrNotJWKS = errors.New(`not a JWKS (an object with a "keys" array)`)

// Parse parses a JWKS document. It fails only when the document as a whole
// is unusable (ErrInvalidJSON, ErrNotJWKS); problems with single keys are
// reported on the keys.
func Parse(data []byte) (*Set, error) {
	if len(data) > MaxBytes {
		return nil, fmt.Errorf("%w: larger than %d bytes", ErrNotJWKS, MaxBytes)
	}
	switch {
	case len(data) == 0:
		return nil, fmt.Errorf("%w: empty response, 0 bytes", ErrInvalidJSON)
	case bytes.HasPrefix(data, []byte("\xef\xbb\xbf")):
		return nil, fmt.Errorf("%w: the document starts with a byte order mark (UTF-8 BOM), which JSON forbids", ErrInvalidJSON)
	}
	var doc map[string]json.RawMessage
	if err := json.Unmarshal(data, &doc); err != nil {
		var typeErr *json.UnmarshalTypeError
		if errors.As(err, &typeErr) {
			return nil, fmt.Errorf("%w: the document is a JSON %s", ErrNotJWKS, typeErr.Value)
		}
		return nil, fmt.Errorf("%w: %v", ErrInvalidJSON, err)
	}
	rawKeys, ok := doc["keys"]
	if !ok {
		if _, single := doc["kty"]; single {
			return nil, fmt.Errorf(`%w: this is a single JWK; wrap it as {"keys":[...]}`, ErrNotJWKS)
		}
		return nil, fmt.Errorf(`%w: no "keys" member`, ErrNotJWKS)
	}
	var members []json.RawMessage
	if err := json.Unmarshal(rawKeys, &members); err != nil || bytes.Equal(bytes.TrimSpace(rawKeys), []byte("null")) {
		return nil, fmt.Errorf(`%w: "keys" is not an array`, ErrNotJWKS)
	}
	if len(members) > maxKeys {
		return nil, fmt.Errorf("%w: %d keys, more than the %d baverify reads", ErrNotJWKS, len(members), maxKeys)
	}
	set := &Set{Keys: make([]Key, 0, len(members))}
	for i, raw := range members {
		set.Keys = append(set.Keys, parseKey(i, raw))
	}
	return set, nil
}

func parseKey(index int, raw json.RawMessage) Key {
	k := Key{Index: index, Raw: bytes.Clone(raw)}
	var fields map[string]json.RawMessage
	if err := json.Unmarshal(raw, &fields); err != nil {
		k.Err = errors.New("the key is not a JSON object")
		return k
	}
	var err error
	if k.Kid, k.HasKid, err = stringMember(fields, "kid"); err != nil {
		k.Err = err
	}
	k.Kty, _, err = stringMember(fields, "kty")
	k.Err = firstErr(k.Err, err)
	k.Alg, _, err = stringMember(fields, "alg")
	k.Err = firstErr(k.Err, err)
	k.Crv, _, err = stringMember(fields, "crv")
	k.Err = firstErr(k.Err, err)
	k.Use, k.HasUse, err = stringMember(fields, "use")
	k.Err = firstErr(k.Err, err)
	if ops, ok := fields["key_ops"]; ok {
		k.HasKeyOps = true
		if err := json.Unmarshal(ops, &k.KeyOps); err != nil {
			k.Err = firstErr(k.Err, errors.New(`"key_ops" is not an array of strings`))
		}
	}
	for _, m := range privateMembers {
		if _, ok := fields[m]; ok {
			k.PrivateMembers = append(k.PrivateMembers, m)
		}
	}
	if k.Err != nil {
		return k
	}
	if k.Kty == "" {
		k.Err = errors.New(`no "kty"`)
		return k
	}
	switch k.Kty {
	case "OKP", "EC", "RSA":
	case "oct":
		k.Err = errors.New("a symmetric (oct) key cannot verify public-key signatures")
		return k
	default:
		k.Err = fmt.Errorf("unsupported key type %q", k.Kty)
		return k
	}
	if k.Kty == "RSA" {
		// jwx refuses RSA keys under 2048 bits; the size is read here so
		// that a weak key is reported as weak, not as unparseable.
		k.Bits = rsaModulusBits(fields)
		if k.Bits > MaxRSABits {
			k.Err = fmt.Errorf("RSA key of %d bits: %w", k.Bits, ErrRSAKeyTooLarge)
			return k
		}
	}
	parsed, err := jwk.ParseKey(raw)
	if err != nil {
		k.Err = fmt.Errorf("the %s key does not parse: %s", k.Kty, cleanJWXError(err))
		return k
	}
	pub, err := jwk.PublicKeyOf(parsed)
	if err != nil {
		k.Err = fmt.Errorf("no public key: %s", cleanJWXError(err))
		return k
	}
	var rawPub any
	if err := jwk.Export(pub, &rawPub); err != nil {
		k.Err = fmt.Errorf("no public key: %s", cleanJWXError(err))
		return k
	}
	switch p := rawPub.(type) {
	case ed25519.PublicKey:
		k.Public, k.Bits = p, 256
	case *ecdsa.PublicKey:
		k.Public, k.Bits = p, p.Curve.Params().BitSize
	case *rsa.PublicKey:
		k.Public, k.Bits = p, p.N.BitLen()
	default:
		k.Err = fmt.Errorf("unsupported public key %T", rawPub)
		return k
	}
	if tp, err := pub.Thumbprint(crypto.SHA256); err == nil {
		k.Thumbprint = base64.RawURLEncoding.EncodeToString(tp)
	}
	return k
}

// rsaModulusBits returns the bit length of an RSA key's "n", 0 when it is
// missing or not base64url.
func rsaModulusBits(fields map[string]json.RawMessage) int {
	n, _, err := stringMember(fields, "n")
	if err != nil || n == "" {
		return 0
	}
	b, err := base64.RawURLEncoding.DecodeString(strings.TrimRight(n, "="))
	if err != nil {
		return 0
	}
	return new(big.Int).SetBytes(b).BitLen()
}

func stringMember(fields map[string]json.RawMessage, name string) (string, bool, error) {
	raw, ok := fields[name]
	if !ok {
		return "", false, nil
	}
	var s string
	if err := json.Unmarshal(raw, &s); err != nil {
		return "", true, fmt.Errorf("%q is not a string", name)
	}
	return s, true, nil
}

func firstErr(a, b error) error {
	if a != nil {
		return a
	}
	return b
}

// cleanJWXError shortens jwx's nested error chains to their last part,
// which is the one a person can act on.
func cleanJWXError(err error) string {
	msg := err.Error()
	if i := strings.LastIndex(msg, ": "); i >= 0 && i+2 < len(msg) {
		return msg[i+2:]
	}
	return msg
}

// Kids returns the kids of the set, in order, for messages.
func (s *Set) Kids() []string {
	kids := make([]string, 0, len(s.Keys))
	for _, k := range s.Keys {
		if k.HasKid {
			kids = append(kids, k.Kid)
		}
	}
	return kids
}

// RepeatedKeyOp returns a key_ops value that appears more than once (RFC
// 7517 section 4.3 forbids it), or "".
func (k *Key) RepeatedKeyOp() string {
	for i, op := range k.KeyOps {
		if slices.Contains(k.KeyOps[:i], op) {
			return op
		}
	}
	return ""
}

// Describe returns "kty/crv" or "RSA 2048" for messages and tables.
func (k *Key) Describe() string {
	switch {
	case k.Kty == "RSA" && k.Bits > 0:
		return fmt.Sprintf("RSA %d", k.Bits)
	case k.Crv != "":
		return k.Kty + "/" + k.Crv
	default:
		return k.Kty
	}
}
