package jwks

import (
	"crypto/rsa"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"slices"
	"strings"
	"time"

	"github.com/baverify/baverify/internal/compat"
	"github.com/baverify/baverify/internal/httpclient"
	"github.com/baverify/baverify/internal/humanize"
)

// Severity says how bad a finding is.
type Severity string

// Severities, worst first.
const (
	SeverityError   Severity = "error"
	SeverityWarning Severity = "warning"
	SeverityInfo    Severity = "info"
)

// Finding codes. They are part of baverify's interface (docs/jwks.md, JSON).
const (
	CodeInvalidJSON           = "invalid_json"
	CodeInvalidJWKS           = "invalid_jwks"
	CodeEmptyJWKS             = "empty_jwks"
	CodePrivateKeyMaterial    = "private_key_material"
	CodeSymmetricKeyPublished = "symmetric_key_published"
	CodeDuplicateKid          = "duplicate_kid"
	CodeMissingKid            = "missing_kid"
	CodeMissingAlg            = "missing_alg"
	CodeWeakRSAKey            = "weak_rsa_key"
	CodeRSAKeyTooLarge        = "rsa_key_too_large"
	CodeUnsupportedKty        = "unsupported_kty"
	CodeAlgKeyMismatch        = "alg_key_mismatch"
	CodeKeyUseNotSig          = "key_use_not_sig"
	CodeHTTPStatus            = "http_status"
	CodeContentType           = "content_type"
	CodeNoCacheHeaders        = "no_cache_headers"
	CodeInsecureTransport     = "insecure_transport"
	CodeExpectAlg             = "expect_alg"
	CodeExpectKid             = "expect_kid"
	CodeMinKeys               = "min_keys"
	CodeMaxKeys               = "max_keys"
	CodeExpectLibrary         = "expect_library"
	CodeWeakRSAExponent       = "weak_rsa_exponent"
	CodeRSALeadingZero        = "rsa_leading_zero"
)

// Codes lists every finding code, in the order of the constants above.
func Codes() []string {
	return []string{
		CodeInvalidJSON, CodeInvalidJWKS, CodeEmptyJWKS, CodePrivateKeyMaterial, CodeSymmetricKeyPublished,
		CodeDuplicateKid, CodeMissingKid, CodeMissingAlg, CodeWeakRSAKey, CodeRSAKeyTooLarge, CodeUnsupportedKty, CodeAlgKeyMismatch,
		CodeKeyUseNotSig, CodeHTTPStatus, CodeContentType, CodeNoCacheHeaders, CodeInsecureTransport,
		CodeExpectAlg, CodeExpectKid, CodeMinKeys, CodeMaxKeys, CodeExpectLibrary,
		CodeWeakRSAExponent, CodeRSALeadingZero,
	}
}

// MinRSABits is the smallest RSA modulus that passes the linter (RFC 7518
// section 3.3); Better Auth's RS256 and PS256 keys have 2048 bits.
const MinRSABits = 2048

// MaxRSABits is the largest RSA modulus baverify uses. Checking a signature
// costs the square of the size: a 524,288-bit key with e = 2^31-1 takes
// minutes of CPU, so a larger key is refused before any maths.
const MaxRSABits = 16384

// maxShown bounds a kid or alg quoted in a message.
const maxShown = 64

// Finding is one lint result. Kid is nil when the finding is not about one
// key, or the key has no kid (the message then names it by position).
type Finding struct {
	Code     string   `json:"code"`
	Severity Severity `json:"severity"`
	Kid      *string  `json:"kid"`
	Message  string   `json:"message"`
	Hint     string   `json:"hint"`
}

// KeySummary is one key as the report lists it. Members the key does not
// publish are null.
type KeySummary struct {
	Kid        *string `json:"kid"`
	Kty        *string `json:"kty"`
	Alg        *string `json:"alg"`
	Crv        *string `json:"crv"`
	Bits       *int    `json:"bits"`
	Use        *string `json:"use"`
	Thumbprint *string `json:"thumbprint"`
	// CannotVerify are the measured library setups that do not verify
	// tokens signed with this key: [] when every one does, null when the
	// table cannot tell (no alg, an algorithm or key it did not measure).
	CannotVerify []compat.Entry `json:"cannotVerify"`
}

// CacheFacts say how the JWKS cache took part in reading a document. They
// are for the text report only.
type CacheFacts struct {
	Enabled     bool          // a cache directory was in use
	Revalidated bool          // a stale entry was confirmed by 304 Not Modified
	Stored      bool          // the answer was written to the cache
	Freshness   time.Duration // how long the server says the entry stays fresh
	ServerTTL   bool          // the server gave a freshness (max-age, no-cache or Expires)
	TTL         time.Duration // --cache-ttl, 0 when not set
}

// Report is the outcome of linting a JWKS document.
type Report struct {
	Source    string       `json:"source"`
	FetchedAt string       `json:"fetchedAt"` // RFC 3339
	HTTP      *HTTPInfo    `json:"http"`      // nil for a file or stdin
	Keys      []KeySummary `json:"keys"`
	Findings  []Finding    `json:"findings"`
	// Error is set when the JWKS could not be read at all (exit 3): the
	// report then has no keys and no findings, and says why.
	Error *ReadError `json:"error"`

	// Strict counts warnings as failures (--strict).
	Strict bool `json:"-"`
	// Cache is how the cache was used; the zero value means not at all.
	Cache CacheFacts `json:"-"`
}

// ReadError is why a JWKS could not be read: Message is the whole error
// (with the URL or file), Cause only what went wrong.
type ReadError struct {
	Message string `json:"message"`
	Cause   string `json:"cause"`
}

// Unreadable is the report of a JWKS that could not be read at all, so
// that --output json writes a report whatever the outcome.
func Unreadable(source string, at time.Time, err error) *Report {
	cause := err
	var se *SourceError
	if errors.As(err, &se) {
		source, cause = se.Source, se.Err
	}
	return &Report{Source: httpclient.RedactURLPasswords(source), FetchedAt: at.UTC().Format(time.RFC3339), Keys: []KeySummary{}, Findings: []Finding{},
		Error: &ReadError{Message: httpclient.RedactURLPasswords(err.Error()), Cause: httpclient.RedactURLPasswords(cause.Error())}}
}

// LintOptions are the CI assertions and the clock.
type LintOptions struct {
	ExpectAlgs []string // some usable key has each of these algs
	ExpectKids []string // each of these kids is published
	MinKeys    int      // 0: no lower bound
	MaxKeys    int      // 0: no upper bound
	// ExpectLibraries are library names or setup ids (valid ones: the
	// command checks them) that must verify every signing key.
	ExpectLibraries []string
	// Matrix is the compatibility table; nil means the embedded one.
	Matrix *compat.Matrix
	Strict bool // warnings fail too
	// Now stamps documents that carry no fetch time (files, stdin).
	Now time.Time
}

// Count returns how many findings have severity s.
func (r *Report) Count(s Severity) int {
	n := 0
	for _, f := range r.Findings {
		if f.Severity == s {
			n++
		}
	}
	return n
}

// Failed reports whether the JWKS fails: an error finding, or with Strict
// a warning, or no JWKS at all.
func (r *Report) Failed() bool {
	return r.Error != nil || r.Count(SeverityError) > 0 || (r.Strict && r.Count(SeverityWarning) > 0)
}

// Lint checks a JWKS document: its HTTP answer, its structure, every key,
// and the CI assertions. It runs on whatever parses: a key that does not
// parse is a finding, not the end of the report.
func Lint(doc *Document, opts LintOptions) *Report {
	r := &Report{Source: doc.Source, HTTP: doc.HTTP, Keys: []KeySummary{}, Findings: []Finding{}, Strict: opts.Strict}
	fetched := doc.FetchedAt
	if fetched.IsZero() {
		fetched = opts.Now
	}
	r.FetchedAt = fetched.UTC().Format(time.RFC3339)
	l := &linter{r: r}

	if doc.HTTP != nil {
		l.http(doc)
		if doc.HTTP.Status != http.StatusOK {
			return r // the body is an error answer, not a JWKS
		}
	}
	set, err := Parse(doc.Body)
	if err != nil {
		l.document(err)
		return r
	}
	matrix := opts.Matrix
	if matrix == nil {
		matrix = compat.Default()
	}
	for i := range set.Keys {
		k := &set.Keys[i]
		s := summarize(k)
		s.CannotVerify = cannotVerify(matrix, k)
		r.Keys = append(r.Keys, s)
		l.key(k)
	}
	if len(set.Keys) == 0 {
		l.add(CodeEmptyJWKS, SeverityError, nil, "the JWKS has no keys",
			"no token can be verified: Better Auth creates a key on the first GET /jwks when it has none, and otherwise on the next signing; an empty set means every key is past expiresAt + jwks.gracePeriod (sign a token to create one, and keep gracePeriod longer than the token lifetime)")
	}
	l.duplicates(set)
	l.assertions(set, opts)
	l.libraries(set, matrix, opts.ExpectLibraries)
	return r
}

type linter struct{ r *Report }

func (l *linter) add(code string, sev Severity, k *Key, msg, hint string) {
	f := Finding{Code: code, Severity: sev, Message: msg, Hint: hint}
	if k != nil && k.HasKid && k.Kid != "" {
		kid := k.Kid
		f.Kid = &kid
	}
	l.r.Findings = append(l.r.Findings, f)
}

func (l *linter) http(doc *Document) {
	h := doc.HTTP
	if h.Status != http.StatusOK {
		msg := fmt.Sprintf("the JWKS endpoint answered HTTP %d, not 200", h.Status)
		hint := "the JWKS endpoint must answer GET with 200 and the key set"
		switch {
		case h.Status == http.StatusNotFound:
			hint = "no JWKS there: is the jwt() plugin enabled, and do jwks.jwksPath or the baseURL path differ from the defaults? (--jwks-path, or --base-url with its path; jwks.remoteUrl also turns the local endpoint off)"
		case h.Status >= 300 && h.Status < 400:
			hint = "baverify follows redirects; this one could not be followed (a redirect loop, or no Location header)"
		case h.Status >= 500:
			hint = "the server failed: check its logs"
		}
		if body := strings.TrimSpace(string(doc.Body)); body != "" {
			msg += ": " + humanize.Clip(body, 200)
		}
		l.add(CodeHTTPStatus, SeverityError, nil, msg, hint)
	}
	if h.Status == http.StatusOK && !IsJSONContentType(h.ContentType) {
		ct := h.ContentType
		if ct == "" {
			ct = "none"
		}
		l.add(CodeContentType, SeverityWarning, nil,
			fmt.Sprintf("the Content-Type is %s, not JSON", humanize.Clip(ct, 100)),
			"serve the JWKS as application/json (Better Auth does): some clients refuse other types, and an HTML page here usually means a proxy or the frontend answered")
	}
	// Cache headers matter on the answer that carries the JWKS; on a 404
	// or a 500 they are noise next to the real problem.
	if h.CacheControl == "" && h.Status == http.StatusOK {
		what := "no Cache-Control, ETag or Last-Modified header"
		hint := "backends then refetch on every request or cache for as long as they like; set Cache-Control: max-age (in a proxy in front of Better Auth), and make sure your backend caches the JWKS and refetches once on an unknown kid"
		if h.ETag != "" || h.LastModified != "" {
			what = "no Cache-Control header (only validators, so clients must guess how long to cache)"
			hint = "set Cache-Control: max-age so that backends know how long the keys may be cached"
		}
		l.add(CodeNoCacheHeaders, SeverityInfo, nil, "the answer has "+what, hint)
	}
	if u, err := url.Parse(doc.Source); err == nil && httpclient.PlainHTTP(u) {
		l.add(CodeInsecureTransport, SeverityWarning, nil,
			"the JWKS is served over plain http to "+humanize.Clip(u.Host, 100),
			"serve it over https: anyone on the path can replace the keys and have their own tokens accepted")
	}
}

// document reports a document that is not a JWKS at all.
func (l *linter) document(err error) {
	msg := strings.TrimPrefix(err.Error(), ErrInvalidJSON.Error()+": ")
	if errors.Is(err, ErrInvalidJSON) {
		l.add(CodeInvalidJSON, SeverityError, nil, "the document is not valid JSON: "+msg,
			"is this the JWKS endpoint ({baseURL}/api/auth/jwks by default)? An HTML page or a truncated body here usually means a proxy, the frontend or a wrong path answered")
		return
	}
	l.add(CodeInvalidJWKS, SeverityError, nil, "the document is "+msg,
		`a JWKS is an object {"keys":[...]} (RFC 7517 section 5); point baverify at Better Auth's jwks endpoint, not at a single key or another API`)
}

// key lints one key.
func (l *linter) key(k *Key) {
	name := keyName(k)
	if len(k.PrivateMembers) > 0 {
		l.add(CodePrivateKeyMaterial, SeverityError, k,
			fmt.Sprintf("%s publishes private key material: %s", name, strings.Join(k.PrivateMembers, ", ")),
			"remove the private members and rotate the key now: anyone who has read this JWKS can sign tokens your backends accept")
	}
	if l.encryptionKey(k, name) {
		return
	}
	supportedShape := true
	switch {
	case k.Kty == "oct":
		supportedShape = false
		l.add(CodeSymmetricKeyPublished, SeverityError, k,
			name+" is a symmetric (oct) key",
			"never publish a symmetric key: it is the signing secret itself; remove it and rotate (Better Auth's jwt plugin signs with EdDSA, ES256, ES512, PS256 or RS256 only)")
	case k.Kty != "" && k.Kty != "OKP" && k.Kty != "EC" && k.Kty != "RSA":
		supportedShape = false
		l.add(CodeUnsupportedKty, SeverityWarning, k,
			fmt.Sprintf("%s has key type %s, which verifiers such as baverify, jose and PyJWT skip", name, quote(k.Kty)),
			"fine for a key meant for other clients; Better Auth publishes OKP (Ed25519), EC (P-256, P-521) and RSA keys")
	case k.Kty != "" && !supportedCurve(k.Kty, k.Crv):
		supportedShape = false
		if _, signing := algShapes[k.Alg]; signing {
			break // labelled for signatures: alg_key_mismatch below says what is wrong
		}
		l.add(CodeUnsupportedKty, SeverityWarning, k,
			fmt.Sprintf("%s is a %s key on curve %s, which cannot verify JWS signatures here", name, k.Kty, quote(k.Crv)),
			"signature keys are OKP on Ed25519 or EC on P-256, P-384 or P-521; X25519 and X448 are for key agreement")
	}
	weak := k.Kty == "RSA" && k.Bits > 0 && k.Bits < MinRSABits
	if weak {
		l.add(CodeWeakRSAKey, SeverityError, k,
			fmt.Sprintf("%s is an RSA key of %d bits, fewer than %d", name, k.Bits, MinRSABits),
			"rotate to a key of 2048 bits or more (Better Auth's RS256 and PS256 keys have 2048); verifiers such as jwx refuse it, and it can be factored")
	}
	tooLarge := errors.Is(k.Err, ErrRSAKeyTooLarge)
	if tooLarge {
		l.add(CodeRSAKeyTooLarge, SeverityError, k,
			fmt.Sprintf("%s: %s", name, k.Err),
			"rotate to a 2048-, 3072- or 4096-bit key (Better Auth's RS256 and PS256 keys have 2048): a key this large lets every token cost a verifier minutes of CPU")
	}
	if k.Err != nil && supportedShape && !weak && !tooLarge {
		l.add(CodeInvalidJWKS, SeverityError, k,
			fmt.Sprintf("%s does not parse: %s", name, strings.TrimPrefix(humanize.Clip(k.Err.Error(), 200), "the "+k.Kty+" key does not parse: ")),
			"fix or remove the key: verifiers skip it, and some refuse the whole set")
	}
	if k.Alg != "" && (k.Kty == "OKP" || k.Kty == "EC" || k.Kty == "RSA") {
		if msg := algMismatch(k); msg != "" {
			l.add(CodeAlgKeyMismatch, SeverityError, k, name+": "+msg,
				"make alg match the key: EdDSA for Ed25519, ES256 for P-256, ES384 for P-384, ES512 for P-521, RS256 or PS256 for RSA (Better Auth derives both from jwks.keyPairConfig)")
		}
	}
	if !k.HasKid || k.Kid == "" {
		l.add(CodeMissingKid, SeverityWarning, k, name+" has no kid",
			"give every key a kid (Better Auth always does): without one, verifiers must try every key or refuse the token")
	}
	if k.Alg == "" && supportedShape && k.Kty != "" {
		l.add(CodeMissingAlg, SeverityWarning, k, name+" has no alg",
			"PyJWT's PyJWKClient and jwx skip keys without alg; Better Auth 1.7 always publishes it (older versions did not): upgrade, or set alg on the key")
	}
	if k.HasUse && k.Use != "sig" {
		l.add(CodeKeyUseNotSig, SeverityWarning, k,
			fmt.Sprintf("%s has use %s, not \"sig\"", name, quote(k.Use)),
			`verifiers refuse to check signatures with it: set use to "sig" or remove use (Better Auth publishes none)`)
	}
	if op := k.RepeatedKeyOp(); op != "" {
		l.add(CodeKeyUseNotSig, SeverityWarning, k,
			fmt.Sprintf("%s: key_ops lists %s twice, which RFC 7517 section 4.3 forbids", name, quote(op)),
			`jose and baverify do not verify with such a key: list each operation once, or remove key_ops (Better Auth publishes none)`)
	}
	if k.Kty == "RSA" {
		l.rsa(k, name)
	}
	if k.HasKeyOps && !slices.Contains(k.KeyOps, "verify") {
		ops := make([]string, len(k.KeyOps))
		for i, op := range k.KeyOps {
			ops[i] = quote(op)
		}
		l.add(CodeKeyUseNotSig, SeverityWarning, k,
			fmt.Sprintf("%s has key_ops [%s] without \"verify\"", name, humanize.Clip(strings.Join(ops, ", "), 200)),
			`verifiers refuse to check signatures with it: add "verify" to key_ops or remove key_ops (Better Auth publishes none)`)
	}
}

// jweKeyTypes returns the key types a JWE key management algorithm takes
// (RFC 7518 section 4), nil when alg is none of them.
func jweKeyTypes(alg string) []string {
	switch alg {
	case "ECDH-ES", "ECDH-ES+A128KW", "ECDH-ES+A192KW", "ECDH-ES+A256KW":
		return []string{"OKP", "EC"}
	case "RSA-OAEP", "RSA-OAEP-256", "RSA-OAEP-384", "RSA-OAEP-512", "RSA1_5":
		return []string{"RSA"}
	}
	return nil
}

// encryptionKey lints a key published for encryption (a JWE algorithm, or
// use "enc" on a key-agreement curve) and reports whether it was one. Such
// a key is legitimate next to the signing keys: it only cannot verify, a
// warning. Labelled both ways (a JWE alg with use "sig", or a JWE alg on a
// key it does not fit) it is an error.
func (l *linter) encryptionKey(k *Key, name string) bool {
	ktys := jweKeyTypes(k.Alg)
	jwe := ktys != nil
	agreementCurve := k.Kty == "OKP" && (k.Crv == "X25519" || k.Crv == "X448")
	if !jwe && !(k.Use == "enc" && agreementCurve && k.Alg == "") {
		return false
	}
	fits := jwe && slices.Contains(ktys, k.Kty) && !(k.Kty == "OKP" && !agreementCurve)
	switch {
	case jwe && !fits:
		l.add(CodeAlgKeyMismatch, SeverityError, k,
			fmt.Sprintf("%s: alg %s is an encryption algorithm that does not fit a %s key", name, quote(k.Alg), k.Describe()),
			"make alg match the key (ECDH-ES for X25519, X448 or an EC key; RSA-OAEP for RSA), or remove the key: it can neither verify nor encrypt as published")
	case k.Use == "sig":
		l.add(CodeAlgKeyMismatch, SeverityError, k,
			fmt.Sprintf("%s has use \"sig\" but alg %s, an encryption algorithm", name, quote(k.Alg)),
			`an encryption key cannot verify signatures: set use to "enc", or publish a signing key (EdDSA, ES256, RS256...) for signatures`)
	default:
		what := k.Describe()
		if k.Alg != "" {
			what += ", alg " + quote(k.Alg)
		}
		if k.HasUse {
			what += ", use " + quote(k.Use)
		}
		l.add(CodeKeyUseNotSig, SeverityWarning, k,
			fmt.Sprintf("%s is an encryption key (%s): it cannot verify token signatures", name, what),
			"fine when the JWKS also serves encryption: verifiers skip it for signatures; Better Auth's jwt plugin publishes signing keys only, so make sure a signing key is there too")
	}
	if !k.HasKid || k.Kid == "" {
		l.add(CodeMissingKid, SeverityWarning, k, name+" has no kid",
			"give every key a kid (Better Auth always does): without one, verifiers must try every key or refuse the token")
	}
	return true
}

// rsa lints the RSA public numbers: the exponent, and the minimal octets
// RFC 7518 section 6.3.1 wants for n and e.
func (l *linter) rsa(k *Key, name string) {
	if pub, ok := k.Public.(*rsa.PublicKey); ok && pub.E < 65537 {
		l.add(CodeWeakRSAExponent, SeverityWarning, k,
			fmt.Sprintf("%s has the public exponent e = %d, below 65537", name, pub.E),
			"rotate to a key with e = 65537 (AQAB), as Better Auth and every common key generator make: small exponents are what signature forgeries against lax PKCS#1 v1.5 verifiers rely on (Bleichenbacher 2006), and FIPS 186 wants e above 2^16")
	}
	var fields map[string]json.RawMessage
	if json.Unmarshal(k.Raw, &fields) != nil {
		return
	}
	for _, m := range []string{"n", "e"} {
		v, _, err := stringMember(fields, m)
		if err != nil {
			continue
		}
		b, err := base64.RawURLEncoding.DecodeString(v)
		if err != nil || len(b) < 2 || b[0] != 0 {
			continue
		}
		l.add(CodeRSALeadingZero, SeverityWarning, k,
			fmt.Sprintf("%s: %q starts with a zero octet; RFC 7518 section 6.3.1 wants the minimum number of octets", name, m),
			"encode "+m+" without leading zero octets (a DER INTEGER copied as it is keeps one): a verifier that enforces RFC 7518 may refuse the key")
	}
}

// duplicates reports every kid that more than one key carries.
func (l *linter) duplicates(set *Set) {
	seen := map[string][]int{}
	var order []string
	for _, k := range set.Keys {
		if !k.HasKid || k.Kid == "" {
			continue
		}
		if _, ok := seen[k.Kid]; !ok {
			order = append(order, k.Kid)
		}
		seen[k.Kid] = append(seen[k.Kid], k.Index)
	}
	for _, kid := range order {
		idx := seen[kid]
		if len(idx) < 2 {
			continue
		}
		pos := make([]string, len(idx))
		for i, n := range idx {
			pos[i] = fmt.Sprintf("#%d", n)
		}
		l.add(CodeDuplicateKid, SeverityError, &set.Keys[idx[0]],
			fmt.Sprintf("kid %s is carried by %d keys (%s)", quote(kid), len(idx), strings.Join(pos, ", ")),
			"give every key its own kid: verifiers select keys by kid and may take the wrong one or refuse the token (Better Auth's kids are unique database row ids)")
	}
}

func (l *linter) assertions(set *Set, opts LintOptions) {
	for _, alg := range opts.ExpectAlgs {
		found := false
		for _, k := range set.Keys {
			if k.Alg == alg && k.Err == nil {
				found = true
				break
			}
		}
		if !found {
			l.add(CodeExpectAlg, SeverityError, nil,
				fmt.Sprintf("no usable key has alg %s (the JWKS has %s)", quote(alg), describeAlgs(set)),
				"the deployment signs with another algorithm: check jwks.keyPairConfig.alg; changing it keeps signing with the old live key until that key rotates")
		}
	}
	for _, kid := range opts.ExpectKids {
		found := false
		for _, k := range set.Keys {
			if k.HasKid && k.Kid == kid {
				found = true
				break
			}
		}
		if !found {
			l.add(CodeExpectKid, SeverityError, nil,
				fmt.Sprintf("kid %s is not in the JWKS", quote(kid)),
				"the key was rotated out (past expiresAt + jwks.gracePeriod), or this is another deployment or database")
		}
	}
	n := len(set.Keys)
	if opts.MinKeys > 0 && n < opts.MinKeys {
		l.add(CodeMinKeys, SeverityError, nil,
			fmt.Sprintf("the JWKS has %d keys, fewer than --min-keys %d", n, opts.MinKeys),
			"keys expired past jwks.gracePeriod and none was created since, or the endpoint serves another key store")
	}
	if opts.MaxKeys > 0 && n > opts.MaxKeys {
		l.add(CodeMaxKeys, SeverityError, nil,
			fmt.Sprintf("the JWKS has %d keys, more than --max-keys %d", n, opts.MaxKeys),
			"the JWKS is growing: keys are created too often (jwks.rotationInterval too short, or a Better Auth version that made a key per request) or linger too long (jwks.gracePeriod)")
	}
}

func describeAlgs(set *Set) string {
	var algs []string
	for _, k := range set.Keys {
		if k.Alg != "" && k.Err == nil && !slices.Contains(algs, k.Alg) {
			algs = append(algs, quote(k.Alg))
		}
	}
	if len(algs) == 0 {
		return "none"
	}
	return strings.Join(algs, ", ")
}

// algShapes says which key each known JWS signature algorithm needs; an
// empty crv means any curve of the type (EdDSA covers Ed25519 and Ed448).
var algShapes = map[string]struct{ kty, crv string }{
	"EdDSA":   {"OKP", ""},
	"Ed25519": {"OKP", "Ed25519"},
	"Ed448":   {"OKP", "Ed448"},
	"ES256":   {"EC", "P-256"},
	"ES384":   {"EC", "P-384"},
	"ES512":   {"EC", "P-521"},
	"ES256K":  {"EC", "secp256k1"},
	"RS256":   {"RSA", ""},
	"RS384":   {"RSA", ""},
	"RS512":   {"RSA", ""},
	"PS256":   {"RSA", ""},
	"PS384":   {"RSA", ""},
	"PS512":   {"RSA", ""},
}

// SignatureAlgorithms returns the JWS signature algorithms the linter knows
// (for --expect-alg), sorted.
func SignatureAlgorithms() []string {
	algs := make([]string, 0, len(algShapes))
	for a := range algShapes {
		algs = append(algs, a)
	}
	slices.Sort(algs)
	return algs
}

// ParseSignatureAlgorithm returns the canonical name of a JWS signature
// algorithm, matched without regard to case.
func ParseSignatureAlgorithm(s string) (string, bool) {
	for _, a := range SignatureAlgorithms() {
		if strings.EqualFold(a, s) {
			return a, true
		}
	}
	return "", false
}

// algMismatch explains why k's alg does not fit k; "" when it does.
func algMismatch(k *Key) string {
	shape, ok := algShapes[k.Alg]
	if !ok {
		return fmt.Sprintf("alg %s is not a JWS signature algorithm for a %s key", quote(k.Alg), k.Kty)
	}
	switch {
	case shape.kty != k.Kty:
		return fmt.Sprintf("alg %s needs a key of type %s, this one is %s", quote(k.Alg), shapeName(shape.kty, shape.crv), k.Describe())
	case k.Alg == "EdDSA" && k.Crv != "Ed25519" && k.Crv != "Ed448":
		// EdDSA is any Edwards curve, not any OKP key: X25519 and X448
		// are for key agreement.
		return fmt.Sprintf("alg %s needs curve Ed25519 or Ed448, this key is on %s", quote(k.Alg), quote(k.Crv))
	case shape.crv != "" && k.Crv != shape.crv:
		return fmt.Sprintf("alg %s needs curve %s, this key is on %s", quote(k.Alg), shape.crv, quote(k.Crv))
	}
	return ""
}

func shapeName(kty, crv string) string {
	if crv != "" {
		return kty + "/" + crv
	}
	return kty
}

// supportedCurve reports whether a key of type kty on crv can verify JWS
// signatures with baverify (and Better Auth's algorithms).
func supportedCurve(kty, crv string) bool {
	switch kty {
	case "OKP":
		return crv == "Ed25519"
	case "EC":
		return crv == "P-256" || crv == "P-384" || crv == "P-521"
	}
	return true
}

func summarize(k *Key) KeySummary {
	s := KeySummary{Kty: optional(k.Kty), Alg: optional(k.Alg), Crv: optional(k.Crv),
		Use: optional(k.Use), Thumbprint: optional(k.Thumbprint)}
	if k.HasKid {
		kid := k.Kid
		s.Kid = &kid
	}
	if k.Bits > 0 {
		bits := k.Bits
		s.Bits = &bits
	}
	return s
}

func optional(s string) *string {
	if s == "" {
		return nil
	}
	return &s
}

// keyName names a key in a message: its kid, or its position.
func keyName(k *Key) string {
	if k.HasKid && k.Kid != "" {
		return "key " + quote(k.Kid)
	}
	return fmt.Sprintf("key #%d", k.Index)
}

// quote shows an untrusted value in a message, quoted and clipped. The
// renderers make it safe for a terminal; JSON escapes it.
func quote(s string) string { return `"` + humanize.Clip(s, maxShown) + `"` }
