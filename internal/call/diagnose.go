package call

import (
	"bytes"
	"encoding/json"
	"fmt"
	"net/http"
	"net/url"
	"regexp"
	"slices"
	"strings"
	"sync"
	"time"

	"github.com/baverify/baverify/internal/betterauth"
	"github.com/baverify/baverify/internal/compat"
	"github.com/baverify/baverify/internal/humanize"
	"github.com/baverify/baverify/internal/verify"
)

// maxServerText bounds a message quoted from a server.
const maxServerText = 300

// Code identifies a finding. The codes are a public interface: scripts
// match on them in `call --output json`, and docs/call.md lists them.
type Code string

// Severity says what a finding does to the verdict.
type Severity string

const (
	// SeverityError fails the call (exit 1) whatever the status.
	SeverityError Severity = "error"
	// SeverityWarning is a problem, or the likely cause of one; the status
	// alone decides the exit code.
	SeverityWarning Severity = "warning"
	// SeverityInfo is a fact worth knowing.
	SeverityInfo Severity = "info"
)

// The diagnosis codes. Codes() returns them with their severity and
// meaning; that table is the one documented list.
const (
	CodeAcceptedInvalid    Code = "backend_accepted_invalid_token"
	CodeRedirectedInvalid  Code = "backend_redirected_invalid_token"
	CodeRejectedValid      Code = "backend_rejected_valid_token"
	CodeRejectedInvalid    Code = "backend_rejected_invalid_token"
	CodeRejectedUnverified Code = "backend_rejected_unverified_token"
	CodeErrorValid         Code = "backend_error_valid_token"
	CodeBackendError       Code = "backend_error"
	CodeAnonymousAccepted  Code = "anonymous_accepted"
	CodeAnonymousRejected  Code = "anonymous_rejected"
	CodeAlgUnsupported     Code = "alg_unsupported_by_backend"
	CodeAudienceDiffers    Code = "audience_differs"
	CodeIssuerDiffers      Code = "issuer_differs"
	CodeKeyDiffers         Code = "key_differs"
	CodeClockSkew          Code = "clock_skew"
	CodeAuthDropped        Code = "authorization_dropped_on_redirect"
	CodeUnreachable        Code = "backend_unreachable"
	CodeStatusMismatch     Code = "status_mismatch"
	CodeTooManyRedirects   Code = "too_many_redirects"
	CodeResponseIncomplete Code = "response_incomplete"
	CodeClaimRequired      Code = "claim_required_by_backend"
	CodeBackendKeyFetch    Code = "backend_key_fetch_failed"
	CodeRouteNotFound      Code = "route_not_found"
	CodeMethodNotAllowed   Code = "method_not_allowed"
)

// CodeDoc documents one code.
type CodeDoc struct {
	Code     Code
	Severity Severity
	Meaning  string
}

var codeDocs = []CodeDoc{
	{CodeAcceptedInvalid, SeverityError, "2xx for a token that fails local verification, with no redirect or one to the same path: a security finding (the route checks nothing, or less than it should)"},
	{CodeRedirectedInvalid, SeverityWarning, "2xx for a token that fails local verification, but only after a same-origin redirect to another path (a login page?): not proven an acceptance; call the URL it leads to"},
	{CodeRejectedValid, SeverityWarning, "401/403 for a token that verifies locally; the evidence lists what the token carries that backends check (iss, aud, alg, kid, times) and the backend's own message"},
	{CodeRejectedInvalid, SeverityInfo, "401/403 for a token that fails local verification: the backend was right, and the token check says why"},
	{CodeRejectedUnverified, SeverityInfo, "401/403 for a token baverify could not verify (no key source, JWKS unreachable)"},
	{CodeErrorValid, SeverityWarning, "5xx for a token that verifies locally: the backend failed while handling a good token"},
	{CodeBackendError, SeverityWarning, "5xx for an invalid or unverified token, or without a token: a backend should answer 401, not fail"},
	{CodeAnonymousAccepted, SeverityInfo, "2xx to a request without a token (--no-token): the route is not protected"},
	{CodeAnonymousRejected, SeverityInfo, "401/403 to a request without a token (--no-token): the route is protected"},
	{CodeAlgUnsupported, SeverityWarning, "the backend cannot verify the token's algorithm, from the measured compatibility table: its answer quotes a measured error, --backend-library names a library measured not to verify it, its answer names the algorithm, or it answered as measured setups do (5xx: crash rows; 401: rejected rows)"},
	{CodeAudienceDiffers, SeverityWarning, "the backend's answer names the audience: it expects another aud than the token carries"},
	{CodeIssuerDiffers, SeverityWarning, "the backend's answer names the issuer: it expects another iss than the token carries"},
	{CodeKeyDiffers, SeverityWarning, "the backend's answer names the key or signature: it has no key with the token's kid (an old cached JWKS, another deployment's JWKS)"},
	{CodeClaimRequired, SeverityWarning, "possible cause of a refusal: the backend's framework requires a claim Better Auth does not issue (DRF simplejwt's token_type, jti and user_id by default)"},
	{CodeBackendKeyFetch, SeverityWarning, "possible cause of a 5xx for a token valid here: the backend could not fetch its JWKS, and its framework turns that error into a 500"},
	{CodeClockSkew, SeverityWarning, "the backend's clock (its Date header) differs from this machine's beyond max(--leeway, 5s), puts the token outside its lifetime, or the backend says the token is expired or not yet valid while it is valid here"},
	{CodeRouteNotFound, SeverityWarning, "404: no route answers at this path (or the route hides itself from unauthenticated requests): the answer says nothing about the token"},
	{CodeMethodNotAllowed, SeverityWarning, "405: the route exists but not for this method (-X); the Allow header lists the methods it takes"},
	{CodeAuthDropped, SeverityInfo, "a redirect changed scheme, host or port, and the token was not sent there"},
	{CodeUnreachable, SeverityError, "no HTTP answer: connection refused, DNS, TLS, timeout (exit 3)"},
	{CodeStatusMismatch, SeverityError, "the status is not the expected one (--expect-status, default 2xx)"},
	{CodeTooManyRedirects, SeverityError, "the backend answered with redirects, more than baverify follows (5), usually a loop: the route never answered the request itself"},
	{CodeResponseIncomplete, SeverityError, "the answer's body could not be read to the end (timeout after the headers, reset, trickle): baverify could not check it (exit 3)"},
}

// Codes returns every diagnosis code with its severity and meaning, in the
// order findings are reported.
func Codes() []CodeDoc { return append([]CodeDoc(nil), codeDocs...) }

// Finding is one diagnosis. Message and Evidence can quote the backend
// (server text): renderers must pass them through render.SafeLine.
type Finding struct {
	Code     Code     `json:"code"`
	Severity Severity `json:"severity"`
	Message  string   `json:"message"`
	Evidence []string `json:"evidence,omitempty"`
	Hint     string   `json:"hint,omitempty"`
	// Rank numbers the possible causes of a refusal that the backend did
	// not name (1 the most likely); 0 for every other finding.
	Rank int `json:"rank,omitempty"`
	// HowToTell says how to tell this possible cause from the others.
	HowToTell string `json:"howToTell,omitempty"`
}

// Facts are what a diagnosis is drawn from.
type Facts struct {
	// Token is the local verification of the token sent; nil when none.
	Token     *verify.Result
	TokenSent bool
	// OwnAuthorization: no token was sent, but the request carried an
	// Authorization header of the user's own (-H with --no-token).
	OwnAuthorization bool
	Response         *ResponseInfo
	Expect           Expectation
	// Now is this machine's real clock when the answer came (never --now).
	Now time.Time
	// LocalClockMoved: the local verdict was taken at another time than
	// Now (--now). The backend's answer is then judged at the backend's
	// time: its Date header, else Now.
	LocalClockMoved bool
	Leeway          time.Duration
	// BaseURL is the Better Auth base URL, when known.
	BaseURL string
	// BackendLibrary is the library (or setup id) the backend verifies
	// with (--backend-library); "" when not known.
	BackendLibrary string
	// Matrix is the compatibility table; nil means the embedded one.
	Matrix *compat.Matrix
}

// tokenState is what the local check concluded.
type tokenState int

const (
	stateNone    tokenState = iota // no token sent
	stateValid                     // verified, every check passed
	stateInvalid                   // some check failed
	stateUnknown                   // nothing failed, but nothing was verified either
)

// judgement is the local verdict as it bears on the backend's answer:
// what fails at the backend's time, against keys the server sent or
// confirmed in this run.
type judgement struct {
	// failures are the local failures that hold at the backend's time
	// (unverified and, for cached keys, key failures left out).
	failures []verify.Problem
	// at is the backend's time: its Date header, else this machine's clock.
	at time.Time
	// clock names the clock at is read from.
	clock string
	// staleKeys: the keys came from an earlier run (cache or stale cache),
	// so the local verdict cannot say whether the backend is right.
	staleKeys bool
}

// timeCodes are the failures that depend on the clock.
var timeCodes = []verify.Code{verify.CodeExpired, verify.CodeNotYetValid, verify.CodeIssuedInFuture}

// keyCodes are the failures that depend on the JWKS.
var keyCodes = []verify.Code{verify.CodeKeyNotFound, verify.CodeKeyUnusable, verify.CodeSignature}

func (d *diagnosis) judge() judgement {
	f, t := d.f, d.tok
	j := judgement{at: f.Now, clock: "this machine's clock (the backend's answer has no Date header)"}
	if f.Response != nil && f.Response.Date != nil {
		j.at, j.clock = *f.Response.Date, "the backend's clock (its Date header)"
	}
	r := f.Token
	if r == nil {
		return j
	}
	j.staleKeys = r.JWKS != nil && (r.JWKS.From == "cache" || r.JWKS.From == "stale_cache")
	for _, e := range r.Errors {
		switch {
		case e.Code == verify.CodeUnverified, slices.Contains(timeCodes, e.Code):
		case j.staleKeys && slices.Contains(keyCodes, e.Code):
		default:
			j.failures = append(j.failures, e)
		}
	}
	// The time checks again, at the backend's time, tolerating what the
	// clock comparison tolerates (max(--leeway, 5s)): Date has one-second
	// resolution, and the request takes time.
	leeway := max(f.Leeway, minSkew)
	if t.exp != nil && !t.exp.After(j.at.Add(-leeway)) {
		j.failures = append(j.failures, verify.Problem{Code: verify.CodeExpired,
			Message: fmt.Sprintf("expired by %s: exp %s, %s ago", j.clock, humanize.Time(*t.exp), humanize.Duration(j.at.Sub(*t.exp)))})
	}
	if t.nbf != nil && t.nbf.After(j.at.Add(leeway)) {
		j.failures = append(j.failures, verify.Problem{Code: verify.CodeNotYetValid,
			Message: fmt.Sprintf("not yet valid by %s: nbf %s", j.clock, humanize.Time(*t.nbf))})
	}
	if t.iat != nil && t.iat.After(j.at.Add(leeway)) {
		j.failures = append(j.failures, verify.Problem{Code: verify.CodeIssuedInFuture,
			Message: fmt.Sprintf("issued in the future by %s: iat %s", j.clock, humanize.Time(*t.iat))})
	}
	return j
}

// state is what the local check concluded, for the backend's answer:
// with --now, at the backend's time; with cached keys, never "valid".
func (d *diagnosis) state() tokenState {
	f, r := d.f, d.f.Token
	switch {
	case !f.TokenSent:
		return stateNone
	case r == nil:
		return stateUnknown
	}
	if !f.LocalClockMoved {
		// The local verdict was taken at this machine's time; clock_skew
		// covers a backend whose clock differs.
		for _, e := range r.Errors {
			if e.Code != verify.CodeUnverified && !(d.j.staleKeys && slices.Contains(keyCodes, e.Code)) {
				return stateInvalid
			}
		}
		if r.Valid && !d.j.staleKeys {
			return stateValid
		}
		return stateUnknown
	}
	switch {
	case len(d.j.failures) > 0:
		return stateInvalid
	case r.Verified && !d.j.staleKeys && !r.HasError(verify.CodeUnverified) && !hasKeyFailure(r):
		return stateValid
	}
	return stateUnknown
}

func hasKeyFailure(r *verify.Result) bool {
	for _, e := range r.Errors {
		if slices.Contains(keyCodes, e.Code) {
			return true
		}
	}
	return false
}

// minSkew is the clock difference always tolerated: Date has one-second
// resolution and the request takes time.
const minSkew = 5 * time.Second

// Diagnose explains a response in the light of the local token check. Every
// finding carries its evidence; a cause is called "likely" unless the
// backend named it.
func Diagnose(f Facts) []Finding {
	resp := f.Response
	if resp == nil {
		return []Finding{}
	}
	d := &diagnosis{f: f, tok: tokenFactsOf(f.Token), said: BackendMessage(resp)}
	d.initBackend()
	d.j = d.judge()
	if f.BaseURL != "" {
		if dep, err := betterauth.ParseBaseURL(f.BaseURL, ""); err == nil {
			d.origin = dep.Origin()
		}
	}
	out := []Finding{}
	if resp.RedirectLimit {
		// The route never answered: its redirects say nothing about the
		// token, and neither does the status of the last one.
		return append(out, tooManyRedirects(resp))
	}
	dropped := false
	for _, r := range resp.Redirects {
		if r.AuthorizationDropped {
			dropped = true
			out = append(out, d.droppedFinding(r))
		}
	}
	status := resp.Status
	success, rejected, failed := status/100 == 2, status == http.StatusUnauthorized || status == http.StatusForbidden, status/100 == 5
	state := d.state()
	switch {
	case state == stateNone && f.OwnAuthorization:
		// Credentials of the user's own: baverify has no verdict on them.
		if failed {
			out = append(out, d.backendError("for the request's own Authorization header"))
		}
	case state == stateNone && success:
		out = append(out, Finding{Code: CodeAnonymousAccepted, Severity: SeverityInfo,
			Message: fmt.Sprintf("the backend answered %d to a request without a token: this route does not require one", status)})
	case state == stateNone && rejected:
		out = append(out, Finding{Code: CodeAnonymousRejected, Severity: SeverityInfo,
			Message:  fmt.Sprintf("the backend answered %d to a request without a token: the route is protected", status),
			Evidence: d.saidEvidence()})
	case state == stateNone && failed:
		out = append(out, d.backendError("without a token"))
	case dropped && failed:
		out = append(out, d.backendError("after a redirect to another origin, which never received the token"))
	case dropped:
		// The server that answered never saw the token; the finding above
		// says so, and comparing its answer with the token would mislead.
	case state == stateValid && rejected:
		main, causes := d.rejectedValid(), d.causes(true)
		if n := ranked(causes); n > 1 {
			main.Message += fmt.Sprintf(": its answer names no cause, and %d fit, ranked below with how to tell each apart", n)
		}
		out = append(out, main)
		out = append(out, causes...)
	case state == stateValid && failed:
		out = append(out, Finding{Code: CodeErrorValid, Severity: SeverityWarning,
			Message:  fmt.Sprintf("the backend failed (HTTP %d) while handling a token that verifies locally", status),
			Evidence: append(append(d.bodyEvidence(), verifiedEvidence(d.f.Token)), d.libraryEvidence()...),
			Hint:     "the backend's log has the exception; the likely causes below, if any, say where to look"})
		out = append(out, d.causes(true)...)
	case state == stateInvalid && success && len(d.j.failures) > 0 && d.rerouted():
		out = append(out, d.redirectedInvalid())
	case state == stateInvalid && success && len(d.j.failures) > 0:
		out = append(out, d.acceptedInvalid())
	case state == stateInvalid && success:
		// Invalid only at this machine's time: at the backend's time the
		// token is good, and clock_skew below says why the clocks differ.
	case state == stateInvalid && rejected:
		out = append(out, d.rejectedInvalid())
	case state == stateInvalid && failed:
		out = append(out, d.backendError("for a token that fails local verification"))
		out = append(out, d.causes(false)...)
	case state == stateUnknown && rejected && d.j.staleKeys:
		out = append(out, Finding{Code: CodeRejectedUnverified, Severity: SeverityInfo,
			Message:  fmt.Sprintf("the backend answered %d; baverify cannot judge it: the keys it checked the token with are %s, not fetched in this run, and may not be what the deployment publishes now", status, f.Token.JWKS.Describe()),
			Evidence: append(d.tokenEvidence(), d.saidEvidence()...),
			Hint:     "make the JWKS reachable and run again (call asks the server for the JWKS on every run unless --cache-ttl is set)"})
		out = append(out, d.causes(false)...)
	case state == stateUnknown && rejected:
		out = append(out, Finding{Code: CodeRejectedUnverified, Severity: SeverityInfo,
			Message:  fmt.Sprintf("the backend answered %d; baverify could not verify the token here, so it cannot say which side is right", status),
			Evidence: append(d.tokenEvidence(), d.saidEvidence()...),
			Hint:     "give --base-url (the Better Auth baseURL) or --jwks so that the token is verified before the call"})
		out = append(out, d.causes(false)...)
	case state == stateUnknown && failed:
		out = append(out, d.backendError("for a token baverify could not verify"))
		out = append(out, d.causes(false)...)
	}
	switch {
	case dropped:
	case status == http.StatusNotFound || status == http.StatusGone:
		out = append(out, d.routeNotFound())
	case status == http.StatusMethodNotAllowed:
		out = append(out, d.methodNotAllowed())
	}
	if f.TokenSent && !dropped {
		if c := d.clockFinding(state == stateValid && rejected); c != nil {
			out = append(out, *c)
		}
	}
	if !f.Expect.Match(status) {
		out = append(out, d.statusMismatch(state))
	}
	return out
}

// routeNotFound explains a 404: the route, not the token, is what the
// answer is about.
func (d *diagnosis) routeNotFound() Finding {
	resp := d.f.Response
	path := pathOf(resp.URL)
	ev := d.bodyEvidence()
	if d.f.TokenSent {
		ev = append(ev, "a 404 says nothing about the token: the request never reached a route that checks it, unless the backend hides protected routes behind 404")
	}
	return Finding{Code: CodeRouteNotFound, Severity: SeverityWarning,
		Message:  fmt.Sprintf("the backend has no route at %s (HTTP %d)", path, resp.Status),
		Evidence: ev,
		Hint:     "check the URL's path: an API prefix (/api, /v1), a trailing slash, a mount point behind a proxy; FastAPI lists its routes at /openapi.json, Express and NestJS print them at start-up"}
}

// methodNotAllowed explains a 405 with the methods the route takes.
func (d *diagnosis) methodNotAllowed() Finding {
	resp := d.f.Response
	ev := d.bodyEvidence()
	hint := "call it with one of the methods it takes (-X METHOD)"
	for k, v := range resp.Headers {
		if strings.EqualFold(k, "Allow") && len(v) > 0 {
			ev = append(ev, "Allow: "+strings.Join(v, ", "))
			hint = "call it with -X and one of: " + strings.Join(v, ", ")
		}
	}
	return Finding{Code: CodeMethodNotAllowed, Severity: SeverityWarning,
		Message:  fmt.Sprintf("the route %s exists but does not take this method (HTTP 405)", pathOf(resp.URL)),
		Evidence: ev, Hint: hint}
}

// pathOf is a URL's path, "/" when it has none, or the URL itself when it
// does not parse.
func pathOf(raw string) string {
	u, err := url.Parse(raw)
	if err != nil {
		return raw
	}
	if u.Path == "" {
		return "/"
	}
	return u.Path
}

// Lead is the index of the finding that heads a one-line summary of a
// call (call's result line, doctor's valid_token check), -1 when none
// does: the first error (but not status_mismatch, which the line already
// says), else the first warning that names a cause rather than the kind of
// answer ("the backend failed while handling a token that verifies
// locally" heads the causes that follow it), else the first warning.
func Lead(list []Finding) int {
	for i, f := range list {
		if f.Severity == SeverityError && f.Code != CodeStatusMismatch {
			return i
		}
	}
	first := -1
	for i, f := range list {
		if f.Severity != SeverityWarning {
			continue
		}
		switch f.Code {
		case CodeErrorValid, CodeRejectedValid, CodeBackendError:
			if first < 0 {
				first = i
			}
		default:
			return i
		}
	}
	return first
}

// ranked counts the possible causes (those with a rank) in a list.
func ranked(list []Finding) int {
	n := 0
	for _, f := range list {
		if f.Rank > 0 {
			n++
		}
	}
	return n
}

// tooManyRedirects names a redirect chain that baverify stopped following,
// and says when it loops.
func tooManyRedirects(resp *ResponseInfo) Finding {
	var ev []string
	seen := map[string]bool{}
	loop := ""
	for _, r := range resp.Redirects {
		ev = append(ev, "redirect: "+r.From+" -> "+r.To)
		seen[r.From] = true
		if seen[r.To] && loop == "" {
			loop = r.To
		}
	}
	msg := fmt.Sprintf("the backend answered with redirects: after %d, the next (HTTP %d to %s) was not followed", len(resp.Redirects), resp.Status, resp.URL)
	hint := "call the final URL directly, or fix the route's redirects; a protected API route should answer the request, not redirect it"
	if loop != "" {
		msg = fmt.Sprintf("the backend answered with a redirect loop: %s is redirected to again; after %d redirects baverify stopped", loop, len(resp.Redirects))
		hint = "a loop often means a proxy or framework redirecting between http and https, or between a path with and without a trailing slash; fix the route's redirects"
	}
	return Finding{Code: CodeTooManyRedirects, Severity: SeverityError, Message: msg, Evidence: ev, Hint: hint}
}

type diagnosis struct {
	f      Facts
	j      judgement
	tok    tokenFacts
	said   string // the backend's own message, if any
	origin string // the base URL's origin, if known
	// The compatibility table, the backend's setups when it is named
	// (nil: not named), and whether its answer quotes a measured error.
	matrix  *compat.Matrix
	backend []compat.Setup
	lookup  compat.Lookup // what the table says of --backend-library
	quoted  bool
}

// tokenFacts are the members of the token that backends check.
type tokenFacts struct {
	alg, kid, iss, aud string
	iat, exp, nbf      *time.Time
}

func tokenFactsOf(r *verify.Result) tokenFacts {
	var t tokenFacts
	if r == nil || r.Token == nil {
		return t
	}
	t.alg, t.kid = r.HeaderString("alg"), r.HeaderString("kid")
	t.iss, _, _ = r.Token.Claims.String("iss")
	if raw, ok := r.Claim("aud"); ok {
		var s string
		if json.Unmarshal(raw, &s) == nil {
			t.aud = s
		} else {
			t.aud = compactJSON(raw)
		}
	}
	for name, dst := range map[string]**time.Time{"iat": &t.iat, "exp": &t.exp, "nbf": &t.nbf} {
		if raw, ok := r.Claim(name); ok {
			if nd, err := verify.ParseNumericDate(raw); err == nil {
				tm := nd.Time()
				*dst = &tm
			}
		}
	}
	return t
}

func (d *diagnosis) status() int { return d.f.Response.Status }

func (d *diagnosis) droppedFinding(r Redirect) Finding {
	return Finding{Code: CodeAuthDropped, Severity: SeverityInfo,
		Message: fmt.Sprintf("the token was not sent to %s: the redirect from %s changes the origin, and baverify never sends a token to another origin; the answer (HTTP %d) comes from a server that did not see it",
			r.To, r.From, d.status()),
		Evidence: []string{"redirect: " + r.From + " -> " + r.To, "Authorization was dropped from the redirected request"},
		Hint:     "if you trust the target, call it directly; a backend that redirects API calls to another origin breaks bearer authentication for every client"}
}

func (d *diagnosis) rejectedValid() Finding {
	ev := d.tokenEvidence()
	ev = append(ev, d.saidEvidence()...)
	if d.saidNoHeader() {
		ev = append(ev, `"Not authenticated" is what FastAPI's HTTPBearer answers when a request has no "Authorization: Bearer" header; baverify sent one, so something in between (a proxy, a gateway) may drop it`)
	}
	return Finding{Code: CodeRejectedValid, Severity: SeverityWarning,
		Message:  fmt.Sprintf("the backend answered %d to a token that verifies locally", d.status()),
		Evidence: ev,
		Hint:     "a backend checks the signature with the JWKS key named by kid (from a JWKS it may have cached), the algorithm, iss, aud and exp: compare each with the token above; its log names the check that failed"}
}

func (d *diagnosis) rejectedInvalid() Finding {
	r := d.f.Token
	msg := fmt.Sprintf("the backend was right to answer %d: the token fails local verification", d.status())
	var ev []string
	for _, e := range r.Errors {
		ev = append(ev, string(e.Code)+": "+e.Message)
	}
	if p := r.Primary(); p != nil {
		msg += " (" + p.Message + ")"
	}
	ev = append(ev, d.saidEvidence()...)
	hint := ""
	if p := r.Primary(); p != nil {
		hint = p.Hint
	}
	return Finding{Code: CodeRejectedInvalid, Severity: SeverityInfo, Message: msg, Evidence: ev, Hint: hint}
}

func (d *diagnosis) acceptedInvalid() Finding {
	var codes, ev []string
	for _, e := range d.j.failures {
		codes = append(codes, string(e.Code))
		ev = append(ev, string(e.Code)+": "+e.Message)
	}
	if d.f.LocalClockMoved && d.hasTimeFailure() {
		ev = append(ev, "times judged at "+humanize.Time(d.j.at)+", by "+d.j.clock+"; --now moves only baverify's own verdict")
	}
	return Finding{Code: CodeAcceptedInvalid, Severity: SeverityError,
		Message:  fmt.Sprintf("SECURITY: the backend answered %d to a token that fails verification (%s)", d.status(), strings.Join(codes, ", ")),
		Evidence: ev,
		Hint:     "the route accepts what it should refuse: it does not verify the token, or skips a check (signature, exp, iss or aud); if the route is public, call it with --no-token"}
}

// rerouted says whether redirects led the request to another route than
// the one called: the 2xx there may be a login page, not the route
// accepting the token. A redirect to the same path (a trailing slash) is
// still the route answering.
func (d *diagnosis) rerouted() bool {
	rs := d.f.Response.Redirects
	return len(rs) > 0 && !SameRoute(rs[0].From, d.f.Response.URL)
}

// redirectedInvalid is the 2xx for an invalid token that came from another
// route: it proves nothing either way, and calling that route settles it.
func (d *diagnosis) redirectedInvalid() Finding {
	var codes, ev []string
	for _, e := range d.j.failures {
		codes = append(codes, string(e.Code))
		ev = append(ev, string(e.Code)+": "+e.Message)
	}
	for _, r := range d.f.Response.Redirects {
		ev = append(ev, "redirect: "+r.From+" -> "+r.To)
	}
	return Finding{Code: CodeRedirectedInvalid, Severity: SeverityWarning,
		Message: fmt.Sprintf("the backend redirected a token that fails verification (%s) to %s, which answered %d: a login page, not an acceptance? The route itself did not accept it",
			strings.Join(codes, ", "), d.f.Response.URL, d.status()),
		Evidence: ev,
		Hint:     "call " + d.f.Response.URL + " directly with this token: a 2xx there is an acceptance; an API route should answer 401 to a bad token, not redirect it"}
}

func (d *diagnosis) hasTimeFailure() bool {
	for _, e := range d.j.failures {
		if slices.Contains(timeCodes, e.Code) {
			return true
		}
	}
	return false
}

// claimDiffers is the finding for a backend that names iss or aud in its
// refusal: what the token carries, Better Auth's default, and its words.
func (d *diagnosis) claimDiffers(code Code, claim, name, value, hint string) Finding {
	ev := []string{"the token's " + claim + " is " + orNone(value)}
	if d.origin != "" {
		ev = append(ev, "Better Auth's default "+claim+" is the baseURL origin: "+d.origin)
	}
	ev = append(ev, d.saidEvidence()...)
	return Finding{Code: code, Severity: SeverityWarning,
		Message:  "the backend refuses the " + name + ": its expected " + claim + " is not the token's " + claim + " (" + orNone(value) + ")",
		Evidence: ev,
		Hint:     hint}
}

// verifiedEvidence says which checks the token passed here: with --jwks
// alone, iss and aud may not have been checked at all.
func verifiedEvidence(r *verify.Result) string {
	var passed, skipped []string
	for _, c := range r.Checks {
		switch c.Status {
		case verify.Pass:
			passed = append(passed, c.Name)
		case verify.Skip:
			if c.Name == "iss" || c.Name == "aud" { // nbf and required skip when absent
				skipped = append(skipped, c.Name)
			}
		}
	}
	line := "the token verified here: " + strings.Join(passed, ", ") + " pass"
	if len(skipped) > 0 {
		line += "; not checked: " + strings.Join(skipped, ", ")
	}
	return line
}

func (d *diagnosis) backendError(what string) Finding {
	return Finding{Code: CodeBackendError, Severity: SeverityWarning,
		Message:  fmt.Sprintf("the backend failed (HTTP %d) %s; a backend should answer 401 to a bad token, not fail", d.status(), what),
		Evidence: d.bodyEvidence()}
}

func (d *diagnosis) statusMismatch(state tokenState) Finding {
	status := d.status()
	msg := fmt.Sprintf("HTTP %d, expected %s", status, d.f.Expect)
	if state == stateNone && !d.f.OwnAuthorization && status/100 == 2 && !d.f.Expect.OnlySuccess() {
		msg += ": the route answers without a token"
	}
	return Finding{Code: CodeStatusMismatch, Severity: SeverityError, Message: msg}
}

// tokenEvidence lists what the token carries that backends check.
func (d *diagnosis) tokenEvidence() []string {
	t := d.tok
	var ev []string
	if t.iss != "" {
		line := "iss " + t.iss
		switch {
		case d.origin == "":
		case d.origin == t.iss:
			line += " (the --base-url origin, Better Auth's default)"
		default:
			line += " (the --base-url origin is " + d.origin + ")"
		}
		ev = append(ev, line+": the backend must expect exactly this issuer")
	}
	if t.aud != "" {
		line := "aud " + t.aud
		if d.origin != "" && d.origin == t.aud {
			line += " (the --base-url origin, Better Auth's default)"
		}
		ev = append(ev, line+": the backend's expected audience must be in it")
	}
	if t.alg != "" {
		ev = append(ev, d.algEvidence())
	}
	ev = append(ev, d.libraryEvidence()...)
	if t.kid != "" {
		ev = append(ev, "kid "+t.kid+": the backend must find it in the JWKS it uses (a JWKS cached before the key was made lacks it)")
	}
	if t.iat != nil && t.exp != nil {
		ev = append(ev, fmt.Sprintf("issued %s, expires %s (%s by this machine's clock)",
			humanize.Time(*t.iat), humanize.Time(*t.exp), humanize.Relative(*t.exp, d.f.Now)))
	}
	return ev
}

func (d *diagnosis) saidEvidence() []string {
	if d.said == "" {
		return nil
	}
	return []string{fmt.Sprintf("the backend said: %q", d.said)}
}

func (d *diagnosis) bodyEvidence() []string {
	switch {
	case d.said != "":
		return []string{fmt.Sprintf("the backend answered HTTP %d: %q", d.status(), d.said)}
	case d.f.Response.BodyBytes == 0:
		return []string{fmt.Sprintf("the backend answered HTTP %d with an empty body", d.status())}
	}
	return []string{fmt.Sprintf("the backend answered HTTP %d", d.status())}
}

// backendPatterns are the phrases that tie a backend's message to a cause.
// They are compiled on first use, not at package init: most runs of
// baverify never diagnose a backend's answer.
type backendPatterns struct {
	alg, audience, issuer, key, time *regexp.Regexp
}

var patterns = sync.OnceValue(func() *backendPatterns {
	return &backendPatterns{
		alg:      regexp.MustCompile(`(?i)\balg(orithm)?s?\b`),
		audience: regexp.MustCompile(`(?i)\baud(ience)?s?\b`),
		issuer:   regexp.MustCompile(`(?i)\biss(uer)?s?\b`),
		key:      regexp.MustCompile(`(?i)\bkid\b|signing key|\bjwks?\b|signature verification failed|invalid signature|signature (is )?invalid|no matching key|key not found`),
		time:     regexp.MustCompile(`(?i)expired|not yet valid|\bexp\b|\bnbf\b|\biat\b|in the future|immature`),
	}
})

// namedCauses are the causes the evidence names: the algorithm when the
// answer quotes a measured error, names the algorithm, or the named
// backend library is measured to fail on it as the backend did; the
// audience, the issuer, the key or a required claim when the backend's
// words name them. decisive: something names the cause. alg is the
// algorithm finding, decisive or not (a 5xx that measured setups' crashes
// fit, a 401 that their refusals fit): one cause among others.
func (d *diagnosis) namedCauses(valid bool) (out []Finding, decisive bool, alg *Finding) {
	said, t := d.said, d.tok
	algFound := false
	algSure := false
	if f, sure := d.algCause(valid); f != nil {
		out = append(out, *f)
		algFound, decisive, alg, algSure = true, sure, f, sure
	}
	// Words that name another cause leave a guess from the table out.
	defer func() {
		if decisive && alg != nil && !algSure {
			out = slices.DeleteFunc(out, func(f Finding) bool { return f.Code == CodeAlgUnsupported })
		}
	}()
	if said == "" {
		return out, decisive, alg
	}
	if patterns().audience.MatchString(said) && !d.quoted {
		decisive = true
		out = append(out, d.claimDiffers(CodeAudienceDiffers, "aud", "audience", t.aud,
			"set the backend's expected audience to "+orNone(t.aud)+", or make Better Auth issue the audience the backend expects (jwt: { audience: ... })"))
	}
	if patterns().issuer.MatchString(said) && !d.quoted {
		decisive = true
		out = append(out, d.claimDiffers(CodeIssuerDiffers, "iss", "issuer", t.iss,
			"set the backend's expected issuer to exactly "+orNone(t.iss)+" (scheme, host and port; no path, no trailing slash), or set jwt.issuer in Better Auth"))
	}
	if !algFound && patterns().key.MatchString(said) {
		decisive = true
		ev := []string{"the token's kid is " + orNone(t.kid) + ", alg " + orNone(t.alg)}
		ev = append(ev, d.saidEvidence()...)
		if valid {
			ev = append(ev, "the signature verifies here with the key of that kid")
		}
		out = append(out, Finding{Code: CodeKeyDiffers, Severity: SeverityWarning,
			Message:  "the backend did not find or could not use the token's key (kid " + orNone(t.kid) + ")",
			Evidence: ev,
			Hint:     "the backend may hold a JWKS cached before this key was made (refetch it on an unknown kid), or fetch another deployment's JWKS: compare its JWKS URL with the one baverify used"})
	}
	if !d.quoted && claimPatterns().MatchString(said) && d.f.Token != nil {
		if f := d.claimCause(true); f != nil {
			decisive = true
			out = append(out, *f)
		}
	}
	return out, decisive, alg
}

// clockFinding compares the backend's Date with the local clock and with
// the token's lifetime; bodyMatters adds what the backend said about time
// when it rejected a token that is valid here.
func (d *diagnosis) clockFinding(bodyMatters bool) *Finding {
	resp, t := d.f.Response, d.tok
	threshold := max(d.f.Leeway, minSkew)
	var ev []string
	reasons := []string{}
	if resp.Date != nil {
		date := *resp.Date
		skew := date.Sub(d.f.Now)
		ev = append(ev, fmt.Sprintf("the backend's Date header: %s; this machine's clock: %s", humanize.Time(date), humanize.Time(d.f.Now)))
		// Within the threshold the clocks agree, whatever the token's
		// times: a token that expires in flight is not a clock problem.
		if abs(skew) > threshold {
			dir := "ahead of"
			if skew < 0 {
				dir = "behind"
			}
			reasons = append(reasons, fmt.Sprintf("the backend's clock is %s %s this machine's", humanize.Duration(abs(skew)), dir))
			if t.iat != nil && date.Before(*t.iat) {
				reasons = append(reasons, fmt.Sprintf("by the backend's clock the token was issued %s in the future (iat %s)", humanize.Duration(t.iat.Sub(date)), humanize.Time(*t.iat)))
			}
			if t.exp != nil && !date.Before(*t.exp) {
				reasons = append(reasons, fmt.Sprintf("by the backend's clock the token expired %s ago (exp %s)", humanize.Duration(date.Sub(*t.exp)), humanize.Time(*t.exp)))
			}
		}
	}
	if bodyMatters && patterns().time.MatchString(d.said) && !d.quoted {
		reasons = append(reasons, "the backend says the token is expired or not yet valid, but it is valid by this machine's clock")
		ev = append(ev, d.saidEvidence()...)
	}
	if len(reasons) == 0 {
		return nil
	}
	if t.iat != nil && t.exp != nil {
		ev = append(ev, fmt.Sprintf("the token: iat %s, exp %s", humanize.Time(*t.iat), humanize.Time(*t.exp)))
	}
	return &Finding{Code: CodeClockSkew, Severity: SeverityWarning,
		Message:  "the clocks differ: " + strings.Join(reasons, "; "),
		Evidence: ev,
		Hint:     fmt.Sprintf("sync the clocks (NTP) of the backend, Better Auth and this machine; verifiers tolerate a few seconds at most (baverify: --leeway, now %s)", humanize.Duration(d.f.Leeway))}
}

func abs(d time.Duration) time.Duration {
	if d < 0 {
		return -d
	}
	return d
}

func orNone(s string) string {
	if s == "" {
		return "(none)"
	}
	return s
}

// BackendMessage is the backend's own explanation: FastAPI's "detail", or
// "message", "error_description", "error"; else a short text body. It is
// server text, clipped to 300 bytes.
func BackendMessage(resp *ResponseInfo) string {
	raw := resp.Body.Raw
	if resp.Body.JSON {
		var obj map[string]json.RawMessage
		if json.Unmarshal(raw, &obj) == nil {
			for _, k := range []string{"detail", "message", "error_description", "error", "msg", "title"} {
				v, ok := obj[k]
				if !ok {
					continue
				}
				var s string
				if json.Unmarshal(v, &s) == nil {
					return humanize.Clip(s, maxServerText)
				}
				return humanize.Clip(compactJSON(v), maxServerText)
			}
		}
		return humanize.Clip(compactJSON(raw), maxServerText)
	}
	text := strings.TrimSpace(string(raw))
	if text == "" || strings.HasPrefix(text, "<") {
		return "" // empty, or markup: the body shown in full says more
	}
	if i := strings.IndexByte(text, '\n'); i >= 0 {
		text = strings.TrimSpace(text[:i]) + " ..."
	}
	return humanize.Clip(text, maxServerText)
}

func compactJSON(raw []byte) string {
	var buf bytes.Buffer
	if err := json.Compact(&buf, raw); err != nil {
		return string(raw)
	}
	return buf.String()
}

// saidNoHeader: the answer is FastAPI HTTPBearer's for a request without an
// "Authorization: Bearer" header, so the token never reached the verifier.
func (d *diagnosis) saidNoHeader() bool {
	return strings.EqualFold(strings.TrimSpace(d.said), "Not authenticated")
}
