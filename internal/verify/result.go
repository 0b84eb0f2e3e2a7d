package verify

import (
	"crypto"
	"encoding/json"
	"strings"
	"time"

	"github.com/baverify/baverify/internal/humanize"
)

// Code identifies a verification failure. The codes, and their order, are a
// public interface: scripts match on them and the first error in pipeline
// order is the primary reason.
type Code string

const (
	CodeMalformed        Code = "malformed"
	CodeAlgNotAllowed    Code = "alg_not_allowed"
	CodeKeyNotFound      Code = "key_not_found"
	CodeKeyUnusable      Code = "key_unusable"
	CodeSignature        Code = "signature_invalid"
	CodeExpired          Code = "expired"
	CodeNotYetValid      Code = "not_yet_valid"
	CodeIssuedInFuture   Code = "issued_in_future"
	CodeIssuerMismatch   Code = "issuer_mismatch"
	CodeAudienceMismatch Code = "audience_mismatch"
	CodeClaimMissing     Code = "claim_missing"
	CodeClaimInvalid     Code = "claim_invalid"
	CodeUnverified       Code = "unverified"
)

// pipelineOrder ranks error codes; errors are reported in this order.
var pipelineOrder = []Code{
	CodeMalformed, CodeAlgNotAllowed, CodeKeyNotFound, CodeKeyUnusable, CodeSignature,
	CodeExpired, CodeNotYetValid, CodeIssuedInFuture, CodeIssuerMismatch, CodeAudienceMismatch,
	CodeClaimMissing, CodeClaimInvalid, CodeUnverified,
}

// Codes returns every error code in pipeline order.
func Codes() []Code { return append([]Code(nil), pipelineOrder...) }

func rank(c Code) int {
	for i, p := range pipelineOrder {
		if p == c {
			return i
		}
	}
	return len(pipelineOrder)
}

// Warning codes. Warnings never change the verdict.
const (
	WarnIssuerNotPinned   Code = "issuer_not_pinned"
	WarnAudienceUnchecked Code = "audience_not_checked"
	WarnHeaderKeyIgnored  Code = "header_key_ignored"
	WarnJWKSRefetched     Code = "jwks_refetched"
	WarnJWKSStale         Code = "jwks_stale"
	WarnDecodeOnly        Code = "decode_only"
	WarnPrivateKeyInJWKS  Code = "private_key_material"
	WarnAlgName           Code = "alg_name"
	WarnSessionCache      Code = "session_cache_token"
	WarnB64Ignored        Code = "b64_ignored"
	WarnHeaderFraming     Code = "header_framing"
)

// Verdicts: Result.Verdict, a public interface like the codes.
const (
	VerdictValid         = "valid"           // signature and claims check out
	VerdictInvalid       = "invalid"         // an error was found (malformed included)
	VerdictCouldNotCheck = "could_not_check" // no key to check the signature with: the key source could not be read, or there was none
	VerdictDecoded       = "decoded"         // --decode-only: decoded, nothing verified on purpose
)

// Status of one check.
type Status string

const (
	Pass Status = "pass"
	Fail Status = "fail"
	Skip Status = "skip"
	Warn Status = "warn"
)

// Check is one line of the checklist.
type Check struct {
	Name    string `json:"name"`
	Status  Status `json:"status"`
	Message string `json:"message"`
}

// Problem is an error or a warning.
type Problem struct {
	Code    Code   `json:"code"`
	Message string `json:"message"`
	Hint    string `json:"hint,omitempty"`
}

// KeyInfo describes the key that verified (or failed to verify) the token.
type KeyInfo struct {
	Kid        string `json:"kid"`
	Kty        string `json:"kty"`
	Alg        string `json:"alg"`
	Crv        string `json:"crv,omitempty"`
	Bits       int    `json:"bits,omitempty"`
	Thumbprint string `json:"thumbprint"`
	Source     string `json:"source"`
}

// KeysOrigin says where the JWKS a token was checked against came from:
// the "jwks" object of a JSON result.
type KeysOrigin struct {
	// Location is the JWKS URL, file, or "-".
	Location string `json:"location"`
	// From is network (fetched in this run), revalidated (the cached copy,
	// confirmed in this run by 304 Not Modified), cache (the cached copy,
	// used without asking: fresh by the server's word or --cache-ttl),
	// stale_cache (the cached copy, because asking the server failed),
	// file or stdin.
	From string `json:"from"`
	// AgeSeconds is how long ago the server sent or confirmed a cached
	// copy (cache and stale_cache only).
	AgeSeconds *int64 `json:"ageSeconds,omitempty"`
	// StaleReason is the failure that made a stale copy stand in.
	StaleReason string `json:"staleReason,omitempty"`
}

// FetchedThisRun reports whether the server sent or confirmed the keys
// during this run.
func (o *KeysOrigin) FetchedThisRun() bool {
	return o != nil && (o.From == "network" || o.From == "revalidated")
}

// Describe says where the keys came from, in words: "network",
// "revalidated (...304 Not Modified)", "cache (fetched 3m ago; ...)",
// "STALE cache (fetched 2h ago; asking the server again failed: ...)".
func (o *KeysOrigin) Describe() string {
	age := ""
	if o.AgeSeconds != nil {
		age = "fetched " + humanize.Duration(time.Duration(*o.AgeSeconds)*time.Second) + " ago; "
	}
	switch o.From {
	case "revalidated":
		return "revalidated (the cached copy, confirmed now by 304 Not Modified)"
	case "cache":
		return "cache (" + age + "still fresh, so the server was not asked)"
	case "stale_cache":
		return "STALE cache (" + age + "asking the server again failed: " + o.StaleReason + ")"
	}
	return o.From
}

// Result is everything baverify learnt about a token. The same struct feeds
// the text and JSON renderers and the commands that build on token checks.
type Result struct {
	// Verdict is the outcome in one word (VerdictValid...), so that scripts
	// need not combine valid with the exit code.
	Verdict      string   `json:"verdict"`
	Valid        bool     `json:"valid"`
	Verified     bool     `json:"verified"`
	IssuerPinned bool     `json:"issuerPinned"`
	Header       Object   `json:"header"` // re-encoded, never the raw bytes
	Claims       Object   `json:"claims"`
	Key          *KeyInfo `json:"key"`
	// JWKS says where the keys came from; null when no key set was read.
	JWKS     *KeysOrigin `json:"jwks"`
	Checks   []Check     `json:"checks"`
	Errors   []Problem   `json:"errors"`
	Warnings []Problem   `json:"warnings"`
	// Notes say what baverify did to the input before checking it, such
	// as the framing it stripped; they never change the verdict.
	Notes []string `json:"notes"`
	// ExpiresAt is RFC 3339, or the NumericDate as a string when its year
	// is outside 0000-9999 (see Instant).
	ExpiresAt *Instant `json:"expiresAt"`
	ExpiresIn *int64   `json:"expiresIn"`

	// Fields below are for renderers and other commands, not the JSON schema.

	// Token is the decoded token; nil when it did not decode.
	Token *Token `json:"-"`
	// Partial is what did decode of a malformed token (nil when nothing
	// did, or the token decoded): a cut token still shows its claims.
	Partial *Token `json:"-"`
	// Now is the time the claims were evaluated at.
	Now time.Time `json:"-"`
	// SourceErr is set when the key source could not be read: the verdict
	// is then "could not check" (exit code 3), not "invalid".
	SourceErr error `json:"-"`
	// DecodeOnly is set when no verification was attempted on purpose.
	DecodeOnly bool `json:"-"`
	// PublicKey is the JWKS key the signature was checked with (nil when
	// none was selected): probe forges its HMAC confusion from it.
	PublicKey crypto.PublicKey `json:"-"`
	// PublicJWK is that key's JSON object as the JWKS served it.
	PublicJWK []byte `json:"-"`
}

// NoteInput records what was stripped around the token (a note) and the
// framing a backend would refuse (warnings). The verdict is the token's.
func (r *Result) NoteInput(in Input) {
	if len(in.Stripped) > 0 {
		r.Notes = append(r.Notes, "stripped "+joinAnd(in.Stripped)+" around the token before checking it")
	}
	r.Warnings = append(r.Warnings, in.Refused...)
}

func joinAnd(items []string) string {
	if len(items) == 1 {
		return items[0]
	}
	return strings.Join(items[:len(items)-1], ", ") + " and " + items[len(items)-1]
}

// Primary returns the first error in pipeline order, or nil.
func (r *Result) Primary() *Problem {
	if len(r.Errors) == 0 {
		return nil
	}
	return &r.Errors[0]
}

// HasError reports whether an error with the code was found.
func (r *Result) HasError(c Code) bool {
	for _, e := range r.Errors {
		if e.Code == c {
			return true
		}
	}
	return false
}

// Claim returns a claim of the decoded token, if any.
func (r *Result) Claim(name string) (json.RawMessage, bool) {
	if r.Token == nil {
		return nil, false
	}
	return r.Token.Claims.Get(name)
}

// HeaderString returns a string member of the token header, or "".
func (r *Result) HeaderString(name string) string {
	if r.Token == nil {
		return ""
	}
	s, _, _ := r.Token.Header.String(name)
	return s
}
