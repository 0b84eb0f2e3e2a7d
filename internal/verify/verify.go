// Package verify is baverify's one verification pipeline: decode a compact
// JWS, pick the key from a JWKS without trusting the header, check the
// signature through jwx, evaluate the claims, and report every finding with
// a hint for Better Auth users. It never prints; it returns a Result.
package verify

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net"
	"net/url"
	"slices"
	"sort"
	"strings"
	"time"

	"github.com/lestrrat-go/jwx/v3/jwa"
	"github.com/lestrrat-go/jwx/v3/jws"

	"github.com/baverify/baverify/internal/httpclient"
	"github.com/baverify/baverify/internal/humanize"
	"github.com/baverify/baverify/internal/jwks"
)

// Verifier checks tokens against a policy and a key source.
type Verifier struct {
	// Keys is where keys come from; nil means there is no key source and
	// nothing can be verified.
	Keys   KeySource
	Policy Policy
	// Now is the clock; it is read once per verification.
	Now func() time.Time
	// DecodeOnly skips key and signature on purpose (--decode-only).
	DecodeOnly bool
}

// headerKeyMembers are header members that point at keys. A verifier that
// follows them lets the token choose its own key; baverify never does.
var headerKeyMembers = []string{"jku", "x5u", "jwk", "x5c"}

// Verify runs the whole pipeline on a token (already normalised). It
// always returns a Result; a key source that cannot be read is reported in
// Result.SourceErr.
func (v *Verifier) Verify(ctx context.Context, raw string) *Result {
	r := v.newResult()
	defer r.finish()
	now := r.Now

	tok, err := Decode(raw)
	if err != nil {
		var de *DecodeError
		p := Problem{Code: CodeMalformed, Message: err.Error()}
		if errors.As(err, &de) {
			p.Hint = de.Hint
			if de.Partial != nil {
				// JSON carries a part only when it decoded whole.
				r.Partial = de.Partial
				if de.Partial.HeaderJSON != nil {
					r.Header = de.Partial.Header
				}
				if de.Partial.PayloadJSON != nil {
					r.Claims = de.Partial.Claims
				}
			}
			if de.Unwrapped != "" {
				p.Hint = v.unwrappedHint(ctx, now, de)
			}
		}
		r.malformed(p)
		return r
	}
	r.Token, r.Header, r.Claims = tok, tok.Header, tok.Claims

	alg, formatProblem := v.checkHeader(r, tok)
	if formatProblem != nil {
		r.fail("format", *formatProblem)
	} else {
		r.pass("format", "compact JWS: header, payload and signature decode; header and payload are JSON objects")
	}

	algOK := false
	switch {
	case formatProblem != nil:
		r.skip("alg", "the header is malformed")
	case !slices.Contains(v.algorithms(), alg):
		r.fail("alg", algNotAllowed(alg, v.algorithms()))
	default:
		algOK = true
		r.pass("alg", alg+" is in the allowlist")
	}

	switch {
	case v.DecodeOnly:
		r.skip("key", "decode only: no key was looked up")
		r.skip("signature", "decode only: the signature was not checked")
		r.warn(Problem{Code: WarnDecodeOnly, Message: "NOT VERIFIED: decoded only, the signature was not checked",
			Hint: "anyone can write any claims into an unverified token; drop --decode-only to verify it"})
		r.addError(Problem{Code: CodeUnverified, Message: "the token was decoded, not verified (--decode-only)"})
	case v.Keys == nil:
		r.skip("key", "no key source")
		r.skip("signature", "no key source")
		msg := "nothing was verified: no key source"
		if v.Policy.NotDiscovered != "" {
			msg += "; the token's iss was not used to find a JWKS: " + v.Policy.NotDiscovered
		}
		r.addError(Problem{Code: CodeUnverified, Message: msg,
			Hint: "give --base-url (the Better Auth baseURL) or --jwks (a JWKS URL or file); with an http(s) iss and no --no-discover, baverify tries iss + /api/auth/jwks"})
	case !algOK:
		r.skip("key", "the algorithm is not allowed")
		r.skip("signature", "the algorithm is not allowed")
	default:
		v.checkKeyAndSignature(ctx, r, tok, alg)
	}

	v.checkClaims(r, tok)
	v.foldWrongProtocol(r, tok)
	if v.Policy.Discovered && !v.DecodeOnly {
		r.warn(Problem{Code: WarnIssuerNotPinned,
			Message: "the issuer is NOT pinned: the JWKS was found through the token's own iss",
			Hint:    "anyone can mint a token whose iss points at their own JWKS; pin it with --base-url or --issuer"})
	}
	return r
}

// TooLarge is the result for an input larger than MaxTokenBytes, which is
// not read whole: a malformed token like any other, not a usage error.
func (v *Verifier) TooLarge() *Result {
	r := v.newResult()
	defer r.finish()
	de := tooLarge()
	r.malformed(Problem{Code: CodeMalformed, Message: de.Msg, Hint: de.Hint})
	return r
}

func (v *Verifier) newResult() *Result {
	now := time.Now()
	if v.Now != nil {
		now = v.Now()
	}
	return &Result{
		Now:          now,
		IssuerPinned: v.Policy.Issuer != "",
		DecodeOnly:   v.DecodeOnly,
		Checks:       []Check{},
		Errors:       []Problem{},
		Warnings:     []Problem{},
		Notes:        []string{},
	}
}

// malformed fails the format check; nothing after it can run.
func (r *Result) malformed(p Problem) {
	r.fail("format", p)
	r.skipRest("the token did not decode", "alg", "key", "signature", "exp", "nbf", "iat", "iss", "aud", "required")
}

// unwrappedHint verifies the token with its inner whitespace removed and
// says what it would be: wrapped pastes are common, and "the token was
// altered" would send people the wrong way. The verdict stays malformed.
func (v *Verifier) unwrappedHint(ctx context.Context, now time.Time, de *DecodeError) string {
	inner := *v
	inner.Now = func() time.Time { return now }
	r := inner.Verify(ctx, de.Unwrapped)
	ws := de.Whitespace
	say := "with the " + ws + " removed the token "
	switch {
	case r.Valid:
		say += "verifies"
	case r.DecodeOnly && r.Token != nil:
		say += "decodes"
	case r.Token == nil:
		say += "is still malformed: " + r.Errors[0].Message
	case r.SourceErr != nil:
		say += "decodes, but the key source could not be read to verify it"
	case r.Verdict == VerdictCouldNotCheck:
		say += "decodes, but nothing could verify it: no key source"
	default:
		codes := make([]string, 0, len(r.Errors))
		for _, e := range r.Errors {
			codes = append(codes, string(e.Code))
		}
		say += "decodes but does not verify (" + strings.Join(codes, ", ") + ")"
	}
	if strings.Contains(ws, "line break") || ws == "whitespace" {
		return say + "; a backend receives the bytes as given, so send the token on one line, without the " + ws
	}
	return say + "; a backend receives the bytes as given, so send the token without the " + ws
}

func (v *Verifier) algorithms() []string {
	if len(v.Policy.Algorithms) > 0 {
		return v.Policy.Algorithms
	}
	return defaultAlgorithms
}

// checkHeader validates the header members baverify relies on and returns
// the algorithm.
func (v *Verifier) checkHeader(r *Result, tok *Token) (string, *Problem) {
	for _, m := range headerKeyMembers {
		if _, ok := tok.Header.Get(m); ok {
			r.warn(Problem{Code: WarnHeaderKeyIgnored,
				Message: fmt.Sprintf("the header carries %q; baverify never uses it to find a key", m),
				Hint:    "a verifier that follows " + m + " lets the token choose the key that verifies it; Better Auth never sets it"})
		}
	}
	alg, present, err := tok.Header.String("alg")
	switch {
	case err != nil:
		return "", &Problem{Code: CodeMalformed, Message: "the header's " + err.Error()}
	case !present || alg == "":
		return "", &Problem{Code: CodeMalformed, Message: `the header has no "alg"`}
	}
	if _, present, err := tok.Header.String("kid"); present && err != nil {
		return alg, &Problem{Code: CodeMalformed, Message: "the header's " + err.Error()}
	}
	if raw, ok := tok.Header.Get("crit"); ok {
		return alg, &Problem{Code: CodeMalformed,
			Message: "the header has crit " + compact(raw) + ": baverify understands no JWS extensions, so it must reject the token (RFC 7515 section 4.1.11)"}
	}
	// b64 counts only when crit lists it (RFC 7797 section 6), and crit is
	// refused above: b64 true says what every JWS is, and any other value
	// is a non-critical parameter, which RFC 7515 section 4 ignores (as
	// jose does). The signature is checked over the encoded payload.
	if raw, ok := tok.Header.Get("b64"); ok && strings.TrimSpace(string(raw)) != "true" {
		r.warn(Problem{Code: WarnB64Ignored,
			Message: "the header has b64 " + compact(raw) + " without crit: ignored (RFC 7515 section 4), so the payload was read as base64url like any JWS",
			Hint:    "an unencoded payload (RFC 7797) must be listed in crit, and a JWT never has one; libraries that honour b64 without crit refuse this token (PyJWT 2.6 and jwx v3.4 do; jose ignores it, as baverify): remove b64 from the header"})
	}
	if typ, _, _ := tok.Header.String("typ"); typ == "better-auth.session-cache+jwt" {
		r.warn(Problem{Code: WarnSessionCache, Message: "this is Better Auth's session cookie cache (typ " + typ + "), not a jwt-plugin token",
			Hint: "its aud is better-auth:session-cache and it is meant for Better Auth itself; backends should get a JWT from /api/auth/token"})
	}
	if alg == "Ed25519" {
		r.warn(Problem{Code: WarnAlgName, Message: "EdDSA and Ed25519 name the same signature (RFC 9864)",
			Hint: "Better Auth 1.7 writes alg EdDSA; libraries that only know one name refuse the other"})
	}
	return alg, nil
}

func algNotAllowed(alg string, allowed []string) Problem {
	p := Problem{Code: CodeAlgNotAllowed, Message: fmt.Sprintf("alg %s is not allowed (allowed: %s)", alg, strings.Join(allowed, ", "))}
	u := strings.ToUpper(alg)
	switch {
	case u == "NONE":
		p.Message = "alg none: the token is unsigned"
		p.Hint = "an unsigned token proves nothing and is never accepted; Better Auth always signs"
	case strings.HasPrefix(u, "HS"):
		p.Message = "alg " + alg + " (HMAC) is never allowed"
		p.Hint = "Better Auth's jwt plugin signs with public-key algorithms only; an HS token was minted elsewhere, or is an algorithm-confusion attempt"
	case keyShapeKnown(alg):
		p.Hint = "add --alg " + alg + " if you expect it; Better Auth's jwt plugin can sign with EdDSA, ES256, ES512, PS256 and RS256"
	default:
		p.Hint = "Better Auth's jwt plugin signs with EdDSA (default), ES256, ES512, PS256 or RS256"
	}
	return p
}

func keyShapeKnown(alg string) bool { kty, _ := keyShape(alg); return kty != "" }

func (v *Verifier) checkKeyAndSignature(ctx context.Context, r *Result, tok *Token, alg string) {
	keys, err := v.Keys.Load(ctx)
	if err != nil {
		r.SourceErr = err
		r.skip("key", "the key source could not be read")
		r.skip("signature", "no key")
		r.addError(Problem{Code: CodeUnverified, Message: err.Error(), Hint: sourceHint(v.Policy, err)})
		return
	}
	r.JWKS = keys.Origin
	if keys.PrivateMembers {
		r.warn(Problem{Code: WarnPrivateKeyInJWKS, Message: "the JWKS publishes private key material",
			Hint: "anyone who can read the JWKS can sign tokens: rotate the keys now and run baverify jwks on it"})
	}
	kid, hasKid, _ := tok.Header.String("kid")
	sel := selectKey(keys.Set, kid, hasKid, alg)
	// Only a kid the JWKS lacks is worth a refetch; several keys sharing
	// it is the JWKS's problem, and fetching again would not change that.
	if sel.code == CodeKeyNotFound && hasKid && !setHasKid(keys.Set, kid) {
		if fresh, err := v.Keys.Refresh(ctx); err == nil && fresh != nil {
			keys = fresh
			r.JWKS = keys.Origin
			r.warn(Problem{Code: WarnJWKSRefetched, Message: "kid " + kid + " was not in the cached JWKS; it was fetched again"})
			sel = selectKey(keys.Set, kid, hasKid, alg)
		}
	}
	if sel.key != nil {
		r.PublicKey, r.PublicJWK = sel.key.Public, sel.key.Raw
		r.Key = &KeyInfo{Kid: sel.key.Kid, Kty: sel.key.Kty, Alg: sel.key.Alg, Crv: sel.key.Crv,
			Bits: sel.key.Bits, Thumbprint: sel.key.Thumbprint, Source: keys.Source}
	}
	if o := keys.Origin; o != nil && o.From == "stale_cache" {
		r.warn(Problem{Code: WarnJWKSStale, Message: "the keys are from a " + o.Describe(),
			Hint: "the verdict holds only if the server still publishes these keys; fix the connection to the JWKS, or pass --no-cache to refuse stale keys"})
	}
	if sel.code != "" {
		r.fail("key", Problem{Code: sel.code, Message: sel.message + originNote(keys.Origin), Hint: sel.hint})
		r.skip("signature", "no usable key")
		return
	}
	r.pass("key", fmt.Sprintf("%s (%s) from %s", keyName(sel.key), sel.key.Describe(), keys.Source)+originNote(keys.Origin))

	if want := signatureLength(alg, sel.key); len(tok.Signature) != want {
		p := Problem{Code: CodeSignature,
			Message: fmt.Sprintf("the %s signature is %d bytes; it must be %d", alg, len(tok.Signature), want)}
		switch {
		case strings.HasPrefix(alg, "ES") && len(tok.Signature) > 0 && tok.Signature[0] == 0x30:
			p.Hint = "it looks DER-encoded; JWS needs the raw r||s form (RFC 7518 section 3.4)"
		case len(tok.Signature) < want:
			p.Hint = "looks truncated: the signature is shorter than an " + alg + " signature; copy the whole token"
		}
		r.fail("signature", p)
		return
	}
	jwaAlg, ok := jwa.LookupSignatureAlgorithm(alg)
	if !ok {
		r.fail("signature", Problem{Code: CodeAlgNotAllowed, Message: "alg " + alg + " is not supported by the signature library"})
		return
	}
	if err := verifyCompact(ctx, sel.key.Public, jwaAlg, tok); err != nil {
		if ctxErr := ctx.Err(); ctxErr != nil {
			r.SourceErr = ctxErr
			r.skip("signature", "the run was stopped before the signature maths ended")
			r.addError(Problem{Code: CodeUnverified, Message: "the signature was not checked: the run was stopped (" + ctxErr.Error() + ")"})
			return
		}
		r.fail("signature", Problem{Code: CodeSignature,
			Message: "the signature does not match the key " + keyName(sel.key),
			Hint:    "the token was altered, or signed by a different key that has the same kid (another environment, or a key pair regenerated in the database)"})
		return
	}
	r.pass("signature", alg+" signature verified")
}

// verifyCompact checks a compact JWS signature, and gives up waiting for
// it when ctx ends (Ctrl-C, a deadline): the maths cannot be interrupted,
// but the run does not wait for it. Key sizes are bounded (jwks.MaxRSABits),
// so an abandoned check ends on its own soon after.
func verifyCompact(ctx context.Context, key any, alg jwa.SignatureAlgorithm, tok *Token) error {
	if err := ctx.Err(); err != nil {
		return err
	}
	done := make(chan error, 1)
	go func() { done <- verifySignature(key, alg, tok) }()
	select {
	case err := <-done:
		return err
	case <-ctx.Done():
		return ctx.Err()
	}
}

// verifySignature checks the signature alone, over the signing input as
// sent. The header was parsed and judged by Decode and checkHeader; jwx's
// compact verifier would parse it again with its own limits (300 levels of
// nesting, any b64 member), and every refusal of that call would read as
// a bad signature. Only a mismatch fails here.
func verifySignature(key any, alg jwa.SignatureAlgorithm, tok *Token) error {
	verifier, err := jws.VerifierFor(alg)
	if err != nil {
		return err
	}
	return verifier.Verify(key, []byte(tok.SigningInput), tok.Signature)
}

// foldWrongProtocol says a wrong scheme once. When the JWKS server answered
// in the other protocol (an https URL to a plain-HTTP Better Auth) and iss
// and aud differ from the expected values by that scheme alone, the three
// errors have one cause: the issuer and audience errors are folded into
// the unverified one, whose hint then covers them (their checks still
// fail).
func (v *Verifier) foldWrongProtocol(r *Result, tok *Token) {
	var wp *httpclient.WrongProtocol
	if r.SourceErr == nil || !errors.As(r.SourceErr, &wp) {
		return
	}
	iss, _, _ := tok.Claims.String("iss")
	var auds []string
	if raw, ok := tok.Claims.Get("aud"); ok {
		auds, _, _ = ParseAudience(raw)
	}
	swapped := func(code Code) bool {
		switch code {
		case CodeIssuerMismatch:
			return schemeSwap(iss, v.Policy.Issuer)
		case CodeAudienceMismatch:
			for _, a := range auds {
				for _, w := range v.Policy.Audiences {
					if schemeSwap(a, w) {
						return true
					}
				}
			}
		}
		return false
	}
	kept := r.Errors[:0]
	var folded []string
	for _, e := range r.Errors {
		if swapped(e.Code) {
			folded = append(folded, map[Code]string{CodeIssuerMismatch: "iss", CodeAudienceMismatch: "aud"}[e.Code])
			continue
		}
		kept = append(kept, e)
	}
	if len(folded) == 0 {
		return
	}
	r.Errors = kept
	differ := "differs"
	if len(folded) > 1 {
		differ = "differ"
	}
	for i := range r.Errors {
		if r.Errors[i].Code == CodeUnverified {
			r.Errors[i].Hint = fmt.Sprintf("%s; the token's %s %s from what you expect by that scheme alone, so the same change fixes it",
				wp.Hint(), strings.Join(folded, " and "), differ)
		}
	}
}

// schemeSwap reports whether a and b are the same URL but for http versus
// https.
func schemeSwap(a, b string) bool {
	ra, httpA := strings.CutPrefix(a, "http://")
	rb, httpsB := strings.CutPrefix(b, "https://")
	if httpA && httpsB {
		return ra == rb
	}
	ra, httpsA := strings.CutPrefix(a, "https://")
	rb, httpB := strings.CutPrefix(b, "http://")
	return httpsA && httpB && ra == rb
}

// originNote says, after a key line, where the keys came from:
// " (network)", " (cache, fetched 3m ago, ...)".
func originNote(o *KeysOrigin) string {
	if o == nil || o.From == "file" || o.From == "stdin" {
		return ""
	}
	return " (keys from " + o.Describe() + ")"
}

func sourceHint(p Policy, err error) string {
	var se *jwks.SourceError
	if errors.As(err, &se) && se.Hint != "" {
		if p.Discovered {
			return se.Hint + "; the JWKS URL was derived from the token's iss: if the JWKS lives elsewhere, give --base-url or --jwks"
		}
		return se.Hint
	}
	if p.Discovered {
		return "the JWKS URL was derived from the token's iss; if the JWKS lives elsewhere (another jwksPath or a baseURL path), give --base-url or --jwks"
	}
	return "check the URL and that the server is up; Better Auth serves its JWKS at {baseURL}/api/auth/jwks unless jwks.jwksPath is set"
}

// checkClaims evaluates the registered claims. It runs even when the
// signature failed, so that every problem is reported at once.
func (v *Verifier) checkClaims(r *Result, tok *Token) {
	now, leeway := r.Now, v.Policy.Leeway
	iat, iatOK := v.dateClaim(r, tok, "iat")

	if exp, ok := v.dateClaim(r, tok, "exp"); ok {
		t := exp.Time()
		in := exp.SecondsSince(now)
		r.ExpiresAt, r.ExpiresIn = &Instant{Time: t, Date: exp}, &in
		// exp equal to now is expired: "on or after" (RFC 7519 section 4.1.4).
		if exp.Cmp(now.Add(-leeway)) <= 0 {
			msg := fmt.Sprintf("expired %s (exp %s)", humanize.Relative(t, now), humanize.Time(t))
			r.fail("exp", Problem{Code: CodeExpired, Message: msg, Hint: expiredHint(tok, iat, iatOK, exp)})
		} else {
			r.pass("exp", fmt.Sprintf("expires %s (%s)", humanize.Relative(t, now), humanize.Time(t)))
		}
	} else if _, present := tok.Claims.Get("exp"); !present {
		r.fail("exp", Problem{Code: CodeClaimMissing, Message: "the token has no exp: a token that never expires is refused",
			Hint: "Better Auth always sets exp (15 minutes by default)"})
	}

	if nbf, ok := v.dateClaim(r, tok, "nbf"); ok {
		t := nbf.Time()
		if nbf.Cmp(now.Add(leeway)) > 0 {
			r.fail("nbf", Problem{Code: CodeNotYetValid,
				Message: fmt.Sprintf("not valid before %s (%s)", humanize.Time(t), humanize.Relative(t, now)),
				Hint:    "the issuer's clock or this machine's clock is off; --leeway tolerates small skews"})
		} else {
			r.pass("nbf", "valid since "+humanize.Time(t))
		}
	} else if _, present := tok.Claims.Get("nbf"); !present {
		r.skip("nbf", "no nbf claim (Better Auth sets none)")
	}

	if iatOK {
		t := iat.Time()
		if iat.Cmp(now.Add(leeway)) > 0 {
			r.fail("iat", Problem{Code: CodeIssuedInFuture,
				Message: fmt.Sprintf("issued in the future: iat %s is %s", humanize.Time(t), humanize.Relative(t, now)),
				Hint:    "the issuer's clock runs ahead of this machine's (or --now is before the token was issued); --leeway tolerates small skews"})
		} else {
			r.pass("iat", fmt.Sprintf("issued %s (%s)", humanize.Relative(t, now), humanize.Time(t)))
		}
	} else if _, present := tok.Claims.Get("iat"); !present {
		r.skip("iat", "no iat claim")
	}

	v.checkIssuer(r, tok)
	v.checkAudience(r, tok)

	var missing []string
	for _, name := range v.Policy.Require {
		if _, ok := tok.Claims.Get(name); !ok {
			missing = append(missing, name)
		}
	}
	switch {
	case len(missing) > 0:
		r.fail("required", Problem{Code: CodeClaimMissing, Message: "missing required claims: " + strings.Join(missing, ", ")})
	case len(v.Policy.Require) > 0:
		r.pass("required", "present: "+strings.Join(v.Policy.Require, ", "))
	default:
		r.skip("required", "no --require")
	}
}

// dateClaim parses a NumericDate claim, reporting a claim_invalid failure
// when it is present but not a number.
func (v *Verifier) dateClaim(r *Result, tok *Token, name string) (NumericDate, bool) {
	raw, ok := tok.Claims.Get(name)
	if !ok {
		return NumericDate{}, false
	}
	d, err := ParseNumericDate(raw)
	if err != nil {
		r.fail(name, Problem{Code: CodeClaimInvalid,
			Message: fmt.Sprintf("%s is %s: %v", name, compact(raw), err),
			Hint:    "a NumericDate is a JSON number of seconds since 1970 (RFC 7519), not a string or milliseconds"})
		return NumericDate{}, false
	}
	return d, true
}

func expiredHint(tok *Token, iat NumericDate, iatOK bool, exp NumericDate) string {
	hint := "get a fresh token (GET /api/auth/token with the session cookie, or the set-auth-jwt header of /api/auth/get-session)"
	if iatOK {
		life := exp.Sub(iat.Time())
		if life == 15*time.Minute {
			return "Better Auth tokens live 15 minutes unless jwt.expirationTime is set; " + hint
		}
		return fmt.Sprintf("this token lived %s (Better Auth's jwt.expirationTime; the default is 15m); %s", humanize.Duration(life), hint)
	}
	return hint
}

func (v *Verifier) checkIssuer(r *Result, tok *Token) {
	iss, present, err := tok.Claims.String("iss")
	if err != nil {
		r.fail("iss", Problem{Code: CodeClaimInvalid, Message: err.Error()})
		return
	}
	want := v.Policy.Issuer
	switch {
	case want == "":
		msg := "not checked: no expected issuer (--issuer or --base-url)"
		if v.Policy.Discovered {
			msg = "not pinned: the JWKS was found through this iss"
		}
		r.skip("iss", msg)
		if !v.Policy.Discovered && !r.DecodeOnly {
			r.warn(Problem{Code: WarnIssuerNotPinned, Message: "the issuer is not pinned: iss was not checked",
				Hint: "give --issuer or --base-url so that a token from another deployment is refused"})
		}
	case !present:
		r.fail("iss", Problem{Code: CodeClaimMissing, Message: "the token has no iss; expected " + want,
			Hint: "Better Auth always sets iss (the origin of its baseURL, or jwt.issuer)"})
	case iss == want:
		r.pass("iss", iss)
	default:
		r.fail("iss", Problem{Code: CodeIssuerMismatch,
			Message: fmt.Sprintf("iss is %s but you expect %s", showValue(iss), showValue(want)),
			Hint:    mismatchHint("iss", []string{iss}, want, v.Policy.BaseURL)})
	}
}

// ParseAudience reads an aud claim as RFC 7519 section 4.1.3 allows it: a
// string (one audience) or an array of strings (array true). ok is false
// for anything else, null and an array holding null included: single and
// batch mode read aud through here, so they agree.
func ParseAudience(raw []byte) (auds []string, array, ok bool) {
	trimmed := bytes.TrimSpace(raw)
	if len(trimmed) == 0 {
		return nil, false, false
	}
	switch trimmed[0] {
	case '"':
		var one string
		if err := json.Unmarshal(trimmed, &one); err != nil {
			return nil, false, false
		}
		return []string{one}, false, true
	case '[':
		var items []json.RawMessage
		if err := json.Unmarshal(trimmed, &items); err != nil {
			return nil, false, false
		}
		auds = make([]string, 0, len(items))
		for _, item := range items {
			if len(item) == 0 || item[0] != '"' {
				return nil, false, false
			}
			var s string
			if err := json.Unmarshal(item, &s); err != nil {
				return nil, false, false
			}
			auds = append(auds, s)
		}
		return auds, true, true
	}
	return nil, false, false
}

func (v *Verifier) checkAudience(r *Result, tok *Token) {
	raw, present := tok.Claims.Get("aud")
	var auds []string
	if present {
		var ok bool
		if auds, _, ok = ParseAudience(raw); !ok {
			r.fail("aud", Problem{Code: CodeClaimInvalid, Message: "aud is " + compact(raw) + ", not a string or an array of strings"})
			return
		}
	}
	want := v.Policy.Audiences
	switch {
	case len(want) == 0:
		r.skip("aud", "not checked: no expected audience (--audience or --base-url)")
		if !r.DecodeOnly {
			r.warn(Problem{Code: WarnAudienceUnchecked, Message: "aud was not checked",
				Hint: "give --audience (or --base-url) so that a token meant for another service is refused"})
		}
	case !present:
		r.fail("aud", Problem{Code: CodeClaimMissing, Message: "the token has no aud; expected " + strings.Join(want, " or "),
			Hint: "Better Auth always sets aud (the origin of its baseURL, or jwt.audience)"})
	default:
		for _, a := range auds {
			if slices.Contains(want, a) {
				r.pass("aud", a)
				return
			}
		}
		shown := make([]string, len(auds))
		for i, a := range auds {
			shown[i] = showValue(a)
		}
		wanted := make([]string, len(want))
		for i, w := range want {
			wanted[i] = showValue(w)
		}
		hint := mismatchHint("aud", auds, want[0], v.Policy.BaseURL)
		if len(auds) == 1 && spellingHint("aud", auds[0], want[0], v.Policy.BaseURL) != "" && r.HasError(CodeIssuerMismatch) {
			if iss, _, _ := tok.Claims.String("iss"); iss == auds[0] && v.Policy.Issuer == want[0] {
				// Said once, for iss: Better Auth sets both from one baseURL.
				hint = "the same spelling difference as iss (see its hint): Better Auth sets iss and aud from one baseURL"
			}
		}
		r.fail("aud", Problem{Code: CodeAudienceMismatch,
			Message: fmt.Sprintf("aud is %s but you expect %s", strings.Join(shown, ", "), strings.Join(wanted, " or ")),
			Hint:    hint})
	}
}

func first(s []string) string {
	if len(s) == 0 {
		return ""
	}
	return s[0]
}

// showValue writes an iss or aud value for a mismatch message: ASCII as
// it is, every other character escaped (\u0430), so that a Cyrillic a,
// a decomposed é or a zero-width space does not read like the value
// expected.
func showValue(s string) string {
	if isASCII(s) {
		return s
	}
	var b strings.Builder
	for _, r := range s {
		switch {
		case r < 0x80:
			b.WriteRune(r)
		case r > 0xffff:
			fmt.Fprintf(&b, "\\U%08x", r)
		default:
			fmt.Fprintf(&b, "\\u%04x", r)
		}
	}
	return b.String()
}

func isASCII(s string) bool {
	for i := 0; i < len(s); i++ {
		if s[i] >= 0x80 {
			return false
		}
	}
	return true
}

// mismatchHint explains an iss or aud mismatch: a look-alike character
// first, since nothing else is visible then; else in Better Auth's terms.
func mismatchHint(claim string, got []string, want, baseURL string) string {
	for _, g := range got {
		if isASCII(g) && isASCII(want) {
			continue
		}
		gr, wr := []rune(g), []rune(want)
		i := 0
		for i < len(gr) && i < len(wr) && gr[i] == wr[i] {
			i++
		}
		if (i >= len(gr) || gr[i] < 0x80) && (i >= len(wr) || wr[i] < 0x80) {
			continue // the first difference is plain ASCII
		}
		has := "nothing more"
		if i < len(gr) {
			has = showValue(string(gr[i]))
		}
		expect := "nothing more"
		if i < len(wr) {
			expect = showValue(string(wr[i]))
		}
		return fmt.Sprintf("the two differ in an invisible or look-alike character: at character %d, %s has %s where you expect %s; %s is compared byte for byte, so copy the expected value from the configuration that mints the token (jwt.issuer, jwt.audience or baseURL) rather than typing it",
			i+1, claim, has, expect, claim)
	}
	return originHint(claim, first(got), want, baseURL)
}

// originHint explains an iss or aud mismatch in Better Auth's terms.
func originHint(claim, got, want, baseURL string) string {
	if h := spellingHint(claim, got, want, baseURL); h != "" {
		return h
	}
	base := "Better Auth sets iss and aud to the origin of its baseURL (BETTER_AUTH_URL: scheme://host:port, no path, no trailing slash) unless jwt.issuer / jwt.audience are set"
	switch {
	case strings.TrimRight(got, "/") == strings.TrimRight(want, "/"):
		return "the only difference is a trailing slash, and " + claim + " is compared byte for byte; " + base
	case strings.HasPrefix(want, got+"/"):
		return "you expect a URL with a path; " + base
	case strings.Contains(got, "localhost") || strings.Contains(got, "127.0.0.1"):
		return "the token comes from a local Better Auth (" + got + "): the server that minted it had a local baseURL, or none (then iss follows the Host of each request); " + base
	}
	if baseURL != "" {
		return "--base-url " + baseURL + " sets the expectation; " + base
	}
	return base
}

// spellingHint says, when got and want name the same origin spelt two
// ways (localhost vs 127.0.0.1, http vs https, a port, a trailing slash),
// exactly how they differ and what to set; "" otherwise.
func spellingHint(claim, got, want, baseURL string) string {
	g, gok := originParts(got)
	w, wok := originParts(want)
	if !gok || !wok {
		return ""
	}
	var diffs []string
	if g.scheme != w.scheme {
		diffs = append(diffs, fmt.Sprintf("the scheme (%s vs %s)", g.scheme, w.scheme))
	}
	if g.host != w.host {
		if !isLoopbackName(g.host) || !isLoopbackName(w.host) {
			return "" // another host, not another spelling
		}
		diffs = append(diffs, fmt.Sprintf("the host spelling (%s vs %s)", g.shownHost, w.shownHost))
	}
	switch {
	case g.port != w.port && g.port != "" && w.port != "":
		diffs = append(diffs, fmt.Sprintf("the port (%s vs %s)", g.port, w.port))
	case g.port != w.port && g.scheme == w.scheme:
		// One writes the scheme's default port out, the other leaves it.
		if g.effectivePort() != w.effectivePort() {
			diffs = append(diffs, fmt.Sprintf("the port (%s vs %s)", g.effectivePort(), w.effectivePort()))
		} else {
			diffs = append(diffs, "whether the default port is written out")
		}
	}
	if g.slash != w.slash {
		diffs = append(diffs, "a trailing slash")
	}
	if len(diffs) == 0 {
		return ""
	}
	flag := "--issuer " + got
	config := "jwt.issuer"
	if claim == "aud" {
		flag, config = "--audience "+got, "jwt.audience"
	}
	if u, err := url.Parse(baseURL); baseURL != "" && err == nil && !g.slash {
		// --base-url set the expectation: the same flag, its origin spelt
		// as the token has it, its path kept.
		flag = "--base-url " + got + strings.TrimSuffix(u.EscapedPath(), "/")
	}
	return fmt.Sprintf("%s %s and the expected %s differ only in %s, and %s is compared byte for byte: "+
		"if the token is right, expect what it says (%s); if your expectation is right, set Better Auth's baseURL (BETTER_AUTH_URL) to %s, or %s, "+
		"so that its tokens carry it (without a baseURL, Better Auth takes it from the Host of each request: fetch tokens through the same host name)",
		claim, got, want, joinAnd(diffs), claim, flag, want, config)
}

// origin is a URL that is an origin, possibly with a trailing slash.
type origin struct {
	scheme, host, shownHost, port string
	slash                         bool
}

func (o origin) effectivePort() string {
	switch {
	case o.port != "":
		return o.port
	case o.scheme == "https":
		return "443"
	}
	return "80"
}

func originParts(s string) (origin, bool) {
	u, err := url.Parse(s)
	if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" || u.User != nil ||
		u.RawQuery != "" || u.Fragment != "" || (u.Path != "" && u.Path != "/") {
		return origin{}, false
	}
	host := strings.ToLower(u.Hostname())
	shown := host
	if strings.Contains(host, ":") {
		shown = "[" + host + "]"
	}
	return origin{scheme: u.Scheme, host: host, shownHost: shown, port: u.Port(), slash: u.Path == "/"}, true
}

// isLoopbackName reports whether host names this machine: localhost,
// 127.0.0.0/8 or ::1.
func isLoopbackName(host string) bool {
	if host == "localhost" || strings.HasSuffix(host, ".localhost") {
		return true
	}
	ip := net.ParseIP(host)
	return ip != nil && ip.IsLoopback()
}

func compact(raw json.RawMessage) string {
	s := strings.TrimSpace(string(raw))
	if len(s) > 80 {
		s = s[:77] + "..."
	}
	return s
}

// Result bookkeeping.

func (r *Result) pass(name, msg string) {
	r.Checks = append(r.Checks, Check{Name: name, Status: Pass, Message: msg})
}

func (r *Result) skip(name, msg string) {
	r.Checks = append(r.Checks, Check{Name: name, Status: Skip, Message: msg})
}

func (r *Result) skipRest(msg string, names ...string) {
	for _, n := range names {
		r.skip(n, msg)
	}
}

func (r *Result) fail(name string, p Problem) {
	r.Checks = append(r.Checks, Check{Name: name, Status: Fail, Message: p.Message})
	r.addError(p)
}

func (r *Result) addError(p Problem) { r.Errors = append(r.Errors, p) }

func (r *Result) warn(p Problem) { r.Warnings = append(r.Warnings, p) }

// finish orders the errors and sets the verdict.
func (r *Result) finish() {
	sort.SliceStable(r.Errors, func(i, j int) bool { return rank(r.Errors[i].Code) < rank(r.Errors[j].Code) })
	// When the keys could not be read, that is the reason for the verdict
	// (could not check): its error, with the URL and the cause, comes first.
	if r.SourceErr != nil {
		for i, e := range r.Errors {
			if e.Code == CodeUnverified && e.Message == r.SourceErr.Error() {
				copy(r.Errors[1:i+1], r.Errors[:i])
				r.Errors[0] = e
				break
			}
		}
	}
	// "verified" says a signature check ran, whatever its outcome; a failed
	// one adds an error, so a valid token is one verified without errors.
	for _, c := range r.Checks {
		if c.Name == "signature" && (c.Status == Pass || c.Status == Fail) {
			r.Verified = true
		}
	}
	r.Valid = len(r.Errors) == 0 && r.Verified
	switch {
	case r.DecodeOnly && r.Token != nil:
		r.Verdict = VerdictDecoded
	case r.SourceErr != nil:
		r.Verdict = VerdictCouldNotCheck
	case r.Valid:
		r.Verdict = VerdictValid
	case !r.Verified && len(r.Errors) == 1 && r.Errors[0].Code == CodeUnverified:
		// Nothing was wrong but nothing could check the signature either:
		// no key source.
		r.Verdict = VerdictCouldNotCheck
	default:
		r.Verdict = VerdictInvalid
	}
}
