package call

import (
	"fmt"
	"net/url"
	"regexp"
	"strings"
	"sync"
)

// A backend that refuses a token which verifies here, or fails on it,
// rarely says why. Many causes then fit the same answer: the audience or
// issuer the backend expects, the JWKS it reads, the algorithm its library
// handles, a claim its framework requires, its clock. Naming one of them as
// the answer would say more than the evidence proves, so the diagnosis
// lists every cause that fits, ranked, each with how to tell it from the
// others; the backend's own words, a measured error it quotes, or a named
// library measured to fail this way are what narrow the list to one.

// causes lists the causes of the backend's answer that fit the evidence.
// valid: the token verifies here (at the backend's time, against keys
// fetched in this run).
func (d *diagnosis) causes(valid bool) []Finding {
	named, decisive, alg := d.namedCauses(valid)
	if !valid || decisive {
		return named
	}
	said := d.said
	// Words that point at the clock or at a header that never arrived are
	// explained elsewhere (clock_skew, the main finding's evidence).
	if d.saidNoHeader() || (said != "" && patterns().time.MatchString(said)) {
		return named
	}
	return d.possibleCauses(alg)
}

// claimPatterns are what frameworks answer when a claim they require is
// missing: DRF simplejwt ("Given token not valid for any token type",
// "Token has no id"), PyJWT ('Token is missing the "jti" claim').
var claimPatterns = sync.OnceValue(func() *regexp.Regexp {
	return regexp.MustCompile(`(?i)token has no (id|type)|not valid for any token type|missing the "?[a-z_]+"? claim|missing required claim|token_type|user_id`)
})

// frameworkClaims are the claims a framework requires by default that
// Better Auth's jwt plugin does not issue, by the library that requires
// them.
var frameworkClaims = []struct {
	library string // as compat.CanonicalLibrary spells it, lower case
	claims  []string
	setting string
}{
	{"simplejwt", []string{"token_type", "jti", "user_id"},
		`DRF simplejwt: SIMPLE_JWT = {"TOKEN_TYPE_CLAIM": None, "JTI_CLAIM": None, "USER_ID_CLAIM": "sub", "USER_ID_FIELD": <the user model field that holds Better Auth's user id>} (or issue those claims with Better Auth's jwt.definePayload)`},
}

// claimCause is the finding for a claim the backend's framework requires:
// named when the backend's words say so, else possible when the token lacks
// the claims and the backend library is not known to verify without them.
func (d *diagnosis) claimCause(named bool) *Finding {
	var missing []string
	fw := frameworkClaims[0]
	for _, c := range fw.claims {
		if _, ok := d.f.Token.Claim(c); !ok {
			missing = append(missing, c)
		}
	}
	if len(missing) == 0 {
		return nil
	}
	q := quoteAll(missing)
	list := q[len(q)-1]
	if len(q) > 1 {
		list = strings.Join(q[:len(q)-1], ", ") + " or " + list
	}
	ev := []string{"the token has no " + list + " claim (Better Auth's jwt plugin issues sub, iat, exp, iss, aud and the user's fields)"}
	ev = append(ev, d.saidEvidence()...)
	msg := "the backend's framework requires a claim the token lacks (" + strings.Join(missing, ", ") + ")"
	if !named {
		msg = "the backend's framework may require a claim the token lacks: DRF simplejwt does by default (" + strings.Join(missing, ", ") + ")"
	}
	return &Finding{Code: CodeClaimRequired, Severity: SeverityWarning, Message: msg, Evidence: ev, Hint: fw.setting}
}

func quoteAll(list []string) []string {
	out := make([]string, len(list))
	for i, s := range list {
		out[i] = `"` + s + `"`
	}
	return out
}

// backendMayRequireClaims: the named backend library is one that requires
// claims Better Auth does not issue, or the library is not known (not
// named, or not measured): only a measured library rules it out.
func (d *diagnosis) backendMayRequireClaims() bool {
	if len(d.backend) == 0 {
		return true
	}
	name := strings.ToLower(d.backendName() + " " + d.f.BackendLibrary)
	for _, fw := range frameworkClaims {
		if strings.Contains(name, fw.library) {
			return true
		}
	}
	return false
}

// possibleCauses ranks the causes that fit a refusal or a 5xx of a token
// that verifies here, when nothing names one. alg is the algorithm finding
// when the measured table fits the answer (nil when it does not, or when
// the named backend library verifies the algorithm).
func (d *diagnosis) possibleCauses(alg *Finding) []Finding {
	var list []Finding
	add := func(f *Finding, how string) {
		if f != nil {
			f.HowToTell = how
			list = append(list, *f)
		}
	}
	t := d.tok
	algHow := "baverify compat --alg " + t.alg + " lists the measured setups and what each answers; --backend-library LIB names the backend's library and narrows this diagnosis; a token of another algorithm that the backend accepts settles it"
	if d.status()/100 == 5 {
		// A 5xx: an error the backend did not handle. The measured crash
		// rows come first; a JWKS the backend cannot fetch is the other
		// common one.
		add(alg, algHow)
		add(&Finding{Code: CodeBackendKeyFetch, Severity: SeverityWarning,
			Message:  "the backend may have failed to fetch its JWKS (a connection error its framework turns into a 500), or failed in its own code after verifying the token",
			Evidence: []string{"the token verifies here against " + d.keysWhere(), "kid " + orNone(t.kid) + ", alg " + orNone(t.alg)},
			Hint:     "point the backend at the deployment's JWKS URL and make it reachable from the backend's host; catch the library's errors and answer 401"},
			"the backend's log has the exception: a connection error names the JWKS URL; `baverify jwks <that URL>` run from the backend's host tells whether it answers")
		return d.numbered(list)
	}
	// A 401 or 403. A named library measured not to verify the algorithm
	// (though it fails otherwise than this status) leads.
	if alg != nil && d.backendNamed() {
		add(alg, algHow)
		alg = nil
	}
	add(d.possibleClaim(CodeAudienceDiffers, "aud", "audience", t.aud,
		"set the backend's expected audience to "+orNone(t.aud)+", or make Better Auth issue the audience the backend expects (jwt: { audience: ... })"),
		"compare the backend's configured audience with "+orNone(t.aud)+" byte for byte; its log names the failed check (PyJWT: InvalidAudienceError, jose: \"aud\" claim check failed)")
	add(d.possibleClaim(CodeIssuerDiffers, "iss", "issuer", t.iss,
		"set the backend's expected issuer to exactly "+orNone(t.iss)+" (scheme, host and port; no path, no trailing slash), or set jwt.issuer in Better Auth"),
		"compare the backend's configured issuer with "+orNone(t.iss)+" byte for byte; its log names the failed check (PyJWT: InvalidIssuerError, jose: \"iss\" claim check failed)")
	add(&Finding{Code: CodeKeyDiffers, Severity: SeverityWarning,
		Message:  "the backend may read another JWKS than the deployment's, or hold one cached from before the key with kid " + orNone(t.kid) + " was made",
		Evidence: []string{"the token's kid is " + orNone(t.kid) + "; it verifies here against " + d.keysWhere()},
		Hint:     "configure the backend with the deployment's JWKS URL (" + d.jwksURL() + "), and refetch the JWKS on an unknown kid"},
		"run baverify jwks with the JWKS URL the backend is configured with: it must list kid "+orNone(t.kid)+"; a restarted backend (its cache dropped) that then accepts the token had a stale cache")
	add(alg, algHow)
	if d.backendMayRequireClaims() {
		add(d.claimCause(false), `DRF simplejwt answers "Given token not valid for any token type" or "Token has no id"; baverify call --backend-library simplejwt names it`)
	}
	if d.f.Response.Date == nil {
		add(&Finding{Code: CodeClockSkew, Severity: SeverityWarning,
			Message:  "the backend's clock may differ from this machine's: its answer has no Date header to compare",
			Evidence: d.lifetimeEvidence(),
			Hint:     "sync the clocks (NTP) of the backend, Better Auth and this machine"},
			"compare date -u on the backend's host with this machine's clock")
	}
	return d.numbered(list)
}

// numbered gives each possible cause its rank, in its message too.
func (d *diagnosis) numbered(list []Finding) []Finding {
	for i := range list {
		list[i].Rank = i + 1
		msg := list[i].Message
		// The measured table makes the first cause of a 5xx the likely
		// one; it stays one of several.
		kind := "possible cause"
		if rest, ok := strings.CutPrefix(msg, "likely cause: "); ok && i == 0 {
			kind, msg = "likely cause", rest
		}
		msg = strings.TrimPrefix(strings.TrimPrefix(msg, "likely cause: "), "possible cause: ")
		if len(list) == 1 {
			list[i].Message = kind + ": " + msg
		} else {
			list[i].Message = fmt.Sprintf("%s (%d of %d): %s", kind, i+1, len(list), msg)
		}
	}
	return list
}

// possibleClaim is an audience or issuer the backend may expect otherwise
// than the token carries; the evidence names the spellings that differ
// byte for byte although they mean the same host.
func (d *diagnosis) possibleClaim(code Code, claim, name, value, hint string) *Finding {
	ev := []string{"the token's " + claim + " is " + orNone(value)}
	if d.origin != "" {
		ev = append(ev, "Better Auth's default "+claim+" is the baseURL origin: "+d.origin)
	}
	if alt := otherSpelling(value); alt != "" {
		ev = append(ev, "a backend configured with "+alt+" refuses it: verifiers compare "+claim+" byte for byte, so localhost and 127.0.0.1, http and https, a port and a trailing slash all count")
	}
	if called := d.f.Response.URL; called != "" && value != "" && hostSpelling(called) != "" && hostSpelling(value) != "" && hostSpelling(called) != hostSpelling(value) {
		ev = append(ev, "the backend was called at "+hostSpelling(called)+" while the token's "+claim+" says "+hostSpelling(value)+": check which spelling the backend's configuration uses")
	}
	return &Finding{Code: code, Severity: SeverityWarning,
		Message:  "the backend may expect another " + name + " than the token's " + claim + " (" + orNone(value) + ")",
		Evidence: ev, Hint: hint}
}

// otherSpelling is the same loopback URL with the other host spelling
// (localhost for 127.0.0.1 and back), or "".
func otherSpelling(raw string) string {
	u, err := url.Parse(raw)
	if err != nil || u.Host == "" {
		return ""
	}
	port := u.Port()
	swap := map[string]string{"localhost": "127.0.0.1", "127.0.0.1": "localhost"}
	alt, ok := swap[u.Hostname()]
	if !ok {
		return ""
	}
	if port != "" {
		alt += ":" + port
	}
	v := *u
	v.Host = alt
	return v.String()
}

// hostSpelling names a loopback host as written: "localhost" or
// "127.0.0.1"; "" for any other host.
func hostSpelling(raw string) string {
	u, err := url.Parse(raw)
	if err != nil {
		return ""
	}
	switch h := u.Hostname(); h {
	case "localhost", "127.0.0.1", "::1":
		return h
	}
	return ""
}

// keysWhere names the key source the token verified against.
func (d *diagnosis) keysWhere() string {
	if r := d.f.Token; r != nil && r.JWKS != nil && r.JWKS.Location != "" {
		return r.JWKS.Location
	}
	return "the JWKS baverify used"
}

// jwksURL is the deployment's JWKS URL as baverify read it, for a hint.
func (d *diagnosis) jwksURL() string {
	if r := d.f.Token; r != nil && r.JWKS != nil && strings.HasPrefix(r.JWKS.Location, "http") {
		return r.JWKS.Location
	}
	if d.origin != "" {
		return d.origin + "/api/auth/jwks"
	}
	return "{baseURL}/api/auth/jwks"
}

// lifetimeEvidence is the token's lifetime by this machine's clock.
func (d *diagnosis) lifetimeEvidence() []string {
	t := d.tok
	if t.iat == nil || t.exp == nil {
		return nil
	}
	return []string{fmt.Sprintf("the token: iat %s, exp %s", t.iat.UTC().Format("2006-01-02T15:04:05Z"), t.exp.UTC().Format("2006-01-02T15:04:05Z"))}
}
