package doctor

import (
	"encoding/json"
	"fmt"
	"math"
	"net/http"
	"slices"
	"strings"
	"time"

	"github.com/baverify/baverify/internal/humanize"
	"github.com/baverify/baverify/internal/jwks"
	"github.com/baverify/baverify/internal/verify"
)

// skewTolerance is the clock difference the run accepts beyond --leeway:
// Date has whole seconds, and the answer takes time to come.
const skewTolerance = 5 * time.Second

// deploymentStep makes the checks no single command makes.
func (r *run) deploymentStep(s *Step) {
	r.keyChurn(s)
	r.clock(s)
	r.cors(s)
	r.keyLifetime(s)
}

// kidOf is a token's kid ("" when none or it does not decode).
func kidOf(raw string) string {
	tok, err := verify.Decode(raw)
	if err != nil {
		return ""
	}
	kid, _, _ := tok.Header.String("kid")
	return kid
}

// keyChurn signs in a second time and fetches the JWKS again: a new kid on
// each sign-in is key churn, and a token of this run whose kid the JWKS no
// longer serves cannot be verified by any backend.
func (r *run) keyChurn(s *Step) {
	switch {
	case r.token == "":
		s.add(notRun("key_churn", "needs a token (step sign_in)"))
		s.add(notRun("kid_published", "needs a token (step sign_in)"))
		return
	case r.doc == nil:
		s.add(notRun("key_churn", "needs the JWKS (step jwks)"))
		s.add(notRun("kid_published", "needs the JWKS (step jwks)"))
		return
	}
	before, _ := jwks.Parse(r.doc.Body)
	// The tokens of this run, in the order they were minted.
	type minted struct{ what, kid string }
	var tokens []minted
	if r.tokEP != nil && r.tokEP.Token != "" {
		tokens = append(tokens, minted{"GET /token after the first sign-in", kidOf(r.tokEP.Token)})
	}
	if r.getSess != nil && r.getSess.Token != "" {
		tokens = append(tokens, minted{"set-auth-jwt after the first sign-in", kidOf(r.getSess.Token)})
	}
	second, fail := r.signIn()
	if fail != nil {
		fail.ID = "key_churn"
		fail.Message = "the second sign-in failed: " + fail.Message
		s.add(*fail)
	} else {
		ans, err := second.TokenEndpoint()
		switch {
		case err != nil:
			c := loginCheck("key_churn", err)
			c.Message = "the second sign-in's token: " + c.Message
			s.add(*c)
			fail = c
		case ans.Token == "":
			s.add(Check{ID: "key_churn", Status: Fail, Message: fmt.Sprintf("after the second sign-in, %s answered HTTP %d without a JWT", ans.Step, ans.Status)})
			fail = &Check{}
		default:
			tokens = append(tokens, minted{"GET /token after the second sign-in", kidOf(ans.Token)})
		}
	}
	afterDoc, err := r.opts.Fetcher.Get(r.ctx, r.rep.JWKSURL, nil)
	var after *jwks.Set
	if err == nil && afterDoc.HTTP != nil && afterDoc.HTTP.Status == http.StatusOK {
		after, err = jwks.Parse(afterDoc.Body)
	} else if err == nil {
		err = fmt.Errorf("GET %s answered HTTP %d", r.rep.JWKSURL, afterDoc.HTTP.Status)
	}
	if r.ctx.Err() != nil {
		return
	}
	var beforeKids, afterKids []string
	if before != nil {
		beforeKids = before.Kids()
	}
	if after != nil {
		afterKids = after.Kids()
	}
	var evidence []string
	for _, t := range tokens {
		evidence = append(evidence, fmt.Sprintf("%s: kid %s", t.what, orNone(t.kid)))
	}
	evidence = append(evidence, "the JWKS before the sign-ins: "+kidList(beforeKids))
	if after != nil {
		evidence = append(evidence, "the JWKS after them: "+kidList(afterKids))
	} else {
		evidence = append(evidence, "the JWKS after them could not be read: "+err.Error())
	}

	if fail == nil {
		changes := 0
		for i := 1; i < len(tokens); i++ {
			if tokens[i].kid != tokens[i-1].kid {
				changes++
			}
		}
		added := 0
		for _, k := range afterKids {
			if !slices.Contains(beforeKids, k) {
				added++
			}
		}
		c := Check{ID: "key_churn", Evidence: evidence}
		switch {
		case len(tokens) >= 3 && changes == len(tokens)-1:
			c.Status = Fail
			c.Message = fmt.Sprintf("keys churn: each of the %d tokens of this run was signed with a new key", len(tokens))
			if after != nil {
				c.Message += fmt.Sprintf(" (the JWKS went from %s to %s)", plural(len(beforeKids), "key"), plural(len(afterKids), "key"))
			}
			c.Hint = "Better Auth makes a new key whenever it signs after the newest key's expiresAt: set jwks.rotationInterval to days, not seconds (Better Auth 1.4.x made a new key per request without it, upstream issue #6215); backends that cache the JWKS then meet unknown kids and refetch on every request"
		case changes > 0:
			c.Status = Warn
			c.Message = "a key rotated during this run: the tokens carry two kids; run again, and if it recurs, keys churn"
			c.Hint = "check jwks.rotationInterval: Better Auth rotates when it signs after the newest key's expiresAt"
		case added > 1:
			c.Status = Warn
			c.Message = fmt.Sprintf("the JWKS grew by %s during this run, though the tokens share one kid", plural(added, "key"))
			c.Hint = "something else signs with this deployment's key store (another instance with a short jwks.rotationInterval?)"
		default:
			c.Status = Pass
			c.Message = fmt.Sprintf("no churn: the %s of this run share kid %s", plural(len(tokens), "token"), orNone(tokens[0].kid))
		}
		s.add(c)
	}
	s.add(r.kidPublished(tokens[0].kid, after, afterKids, err))
}

// kidPublished checks that the JWKS, fetched after the sign-ins, still
// serves the kid of the token sent to the backends.
func (r *run) kidPublished(kid string, after *jwks.Set, kids []string, err error) Check {
	c := Check{ID: "kid_published"}
	switch {
	case after == nil:
		c.Status = CouldNotCheck
		c.Message = "the JWKS could not be fetched again after the sign-ins: " + err.Error()
	case kid == "":
		c.Status = Warn
		c.Message = "the token has no kid: backends that pick the key by kid (PyJWKClient, jwks-rsa) cannot verify it"
	case slices.Contains(kids, kid):
		c.Status = Pass
		c.Message = "the JWKS serves the token's kid " + kid
	case len(kids) == 0:
		c.Status = Fail
		c.Message = "the JWKS is empty after the sign-ins: no backend can verify the token (kid " + kid + ")"
		c.Hint = "every key is past expiresAt + jwks.gracePeriod: keep jwks.gracePeriod longer than the token lifetime (jwt.expirationTime)"
	default:
		c.Status = Fail
		c.Message = fmt.Sprintf("the JWKS serves %s but not the token's kid %s: no backend can verify the token", kidList(kids), kid)
		c.Hint = "the JWKS comes from another key store than the one that signs (another database or deployment, a cache or CDN in front of the jwks route serving an old copy), or the key left the JWKS while its tokens are live (jwks.gracePeriod shorter than the token lifetime)"
	}
	return c
}

func kidList(kids []string) string {
	if len(kids) == 0 {
		return "no keys"
	}
	return plural(len(kids), "key") + " (kid " + strings.Join(kids, ", ") + ")"
}

// clock compares the server's Date with this machine's clock, and a
// token's iat with the Date of the answer that carried it.
func (r *run) clock(s *Step) {
	var date time.Time
	var local time.Time
	var iatRaw string
	switch {
	case r.getSess != nil && r.getSess.Header.Get("Date") != "":
		date, local, iatRaw = parseDate(r.getSess.Header), r.sessAt, r.getSess.Token
	case r.tokEP != nil && r.tokEP.Header.Get("Date") != "":
		date, local, iatRaw = parseDate(r.tokEP.Header), r.tokAt, r.tokEP.Token
	case r.answer != nil && r.answer.HTTP != nil && r.answer.HTTP.Date != "":
		if t, err := http.ParseTime(r.answer.HTTP.Date); err == nil {
			date, local = t, r.answer.FetchedAt
		}
	}
	tolerance := max(skewTolerance, r.opts.Leeway)
	if date.IsZero() {
		why := "no answer of Better Auth carried a Date header"
		if r.answer == nil && r.sess == nil {
			why = "needs an answer from Better Auth (steps jwks, sign_in)"
			s.add(notRun("clock_skew", why))
		} else {
			s.add(Check{ID: "clock_skew", Status: Skipped, Message: "not measured: " + why})
		}
	} else {
		skew := dateSkew(date, local)
		r.rep.Clock.SkewSeconds = &skew
		c := Check{ID: "clock_skew", Status: Pass,
			Message: fmt.Sprintf("the server's Date is %s this machine's clock", skewWords(skew))}
		if time.Duration(abs(skew))*time.Second > tolerance {
			c.Status = Warn
			c.Hint = fmt.Sprintf("one of the two clocks is off by %ds (beyond %s): run NTP on the Better Auth host (and this machine); backends judge exp and iat by their own clock, and a token issued in their future is refused", abs(skew), humanize.Duration(tolerance))
		}
		s.add(c)
	}

	iatCheck := Check{ID: "iat_skew"}
	tok, err := verify.Decode(iatRaw)
	var iat verify.NumericDate
	if err == nil {
		if raw, ok := tok.Claims.Get("iat"); ok {
			iat, err = verify.ParseNumericDate(raw)
		} else {
			err = fmt.Errorf("no iat")
		}
	}
	switch {
	case iatRaw == "" || date.IsZero():
		s.add(notRun("iat_skew", "needs a token and the Date of the answer that carried it (step sign_in)"))
		return
	case err != nil:
		iatCheck.Status = Warn
		iatCheck.Message = "the token's iat cannot be read: " + err.Error()
	default:
		d := int64(math.Round(iat.Sub(date).Seconds()))
		r.rep.Clock.IatSkewSeconds = &d
		iatCheck.Status = Pass
		iatCheck.Message = fmt.Sprintf("the token's iat is %s the Date of the answer that carried it", skewWords(d))
		if time.Duration(abs(d))*time.Second > tolerance {
			iatCheck.Status = Warn
			iatCheck.Hint = "Better Auth signs with another clock than the one that stamps Date (a proxy's, or a signer elsewhere): tokens look issued in the past or the future"
		}
	}
	s.add(iatCheck)
}

// dateSkew is how far the server's clock is from local, in whole seconds:
// a Date of d says the server's time was in [d, d+1s) when it answered,
// shortly before local.
func dateSkew(d, local time.Time) int64 {
	switch {
	case local.Before(d):
		return int64(math.Round(d.Sub(local).Seconds()))
	case local.After(d.Add(time.Second)):
		return -int64(math.Round(local.Sub(d.Add(time.Second)).Seconds()))
	}
	return 0
}

func parseDate(h http.Header) time.Time {
	t, err := http.ParseTime(h.Get("Date"))
	if err != nil {
		return time.Time{}
	}
	return t
}

func abs(n int64) int64 {
	if n < 0 {
		return -n
	}
	return n
}

// skewWords is "2s ahead of", "3s behind" or "within a second of".
func skewWords(s int64) string {
	switch {
	case s > 0:
		return fmt.Sprintf("%ds ahead of", s)
	case s < 0:
		return fmt.Sprintf("%ds behind", -s)
	}
	return "within a second of"
}

// cors checks that get-session, asked with the Origin a browser app sends,
// exposes set-auth-jwt to it.
func (r *run) cors(s *Step) {
	a := r.getSess
	switch {
	case a == nil:
		s.add(notRun("cors_expose_headers", "needs get-session's answer with a session (step sign_in)"))
		return
	case a.Token == "":
		s.add(Check{ID: "cors_expose_headers", Status: Skipped,
			Message: "get-session sets no set-auth-jwt header here, so there is nothing to expose"})
		return
	}
	exposed := headerList(a.Header.Values("Access-Control-Expose-Headers"))
	c := Check{ID: "cors_expose_headers",
		Evidence: []string{"Origin: " + r.opts.Origin, "Access-Control-Expose-Headers: " + orNone(strings.Join(exposed, ", "))}}
	switch {
	case containsFold(exposed, "set-auth-jwt"):
		c.Status = Pass
		c.Message = "get-session exposes set-auth-jwt to " + r.opts.Origin
	case containsFold(exposed, "*"):
		c.Status = Warn
		c.Message = "get-session exposes \"*\", which a browser does not apply to a request with credentials (get-session sends the session cookie): set-auth-jwt stays hidden from " + r.opts.Origin
		c.Hint = "name set-auth-jwt in your CORS middleware's exposeHeaders"
	default:
		c.Status = Warn
		c.Message = "get-session does not expose set-auth-jwt to " + r.opts.Origin + ": a browser app there never sees the JWT in that header"
		c.Hint = "a CORS middleware in front of Better Auth replaced the Access-Control-Expose-Headers the jwt plugin sets (upstream issue #1835): add set-auth-jwt to its exposeHeaders (cors({ exposeHeaders: [\"set-auth-jwt\", ...] }))"
	}
	s.add(c)
	if r.opts.Origin == r.opts.Deployment.Origin() {
		return
	}
	allow := a.Header.Get("Access-Control-Allow-Origin")
	creds := a.Header.Get("Access-Control-Allow-Credentials")
	ac := Check{ID: "cors_allow_origin", Evidence: []string{"Access-Control-Allow-Origin: " + orNone(allow), "Access-Control-Allow-Credentials: " + orNone(creds)}}
	if allow == r.opts.Origin && strings.EqualFold(creds, "true") {
		ac.Status = Pass
		ac.Message = "get-session allows " + r.opts.Origin + " with credentials"
	} else {
		ac.Status = Warn
		ac.Message = "get-session does not allow " + r.opts.Origin + " with credentials: a browser app there cannot read its answer at all"
		ac.Hint = "allow the app's origin in the CORS middleware in front of Better Auth (origin and credentials: true), and add it to trustedOrigins"
	}
	s.add(ac)
}

// headerList splits comma-separated header values into trimmed names.
func headerList(values []string) []string {
	var out []string
	for _, v := range values {
		for _, part := range strings.Split(v, ",") {
			if p := strings.TrimSpace(part); p != "" {
				out = append(out, p)
			}
		}
	}
	return out
}

func containsFold(list []string, s string) bool {
	for _, x := range list {
		if strings.EqualFold(x, s) {
			return true
		}
	}
	return false
}

// keyLifetime compares the token's lifetime with the remaining life of its
// key, when the JWKS says when the key expires (an exp member: Better
// Auth's own JWKS never does).
func (r *run) keyLifetime(s *Step) {
	res := r.primary
	if res == nil || res.Token == nil {
		s.add(notRun("key_lifetime", "needs a verified token (step verify)"))
		return
	}
	s.add(lifetimeCheck(res.Token.Claims, res.PublicJWK, r.now()))
}

// lifetimeCheck compares a token's exp with the exp its key's JWK
// publishes, at now.
func lifetimeCheck(claims verify.Object, jwk []byte, now time.Time) Check {
	var lifetime time.Duration
	var exp time.Time
	expOK := false
	iatRaw, okI := claims.Get("iat")
	expRaw, okE := claims.Get("exp")
	if okE {
		if e, err := verify.ParseNumericDate(expRaw); err == nil {
			exp, expOK = e.Time(), true
			if okI {
				if iat, err := verify.ParseNumericDate(iatRaw); err == nil {
					lifetime = exp.Sub(iat.Time())
				}
			}
		}
	}
	keyExp, ok := jwkExp(jwk)
	if !ok {
		msg := "not checked: Better Auth's JWKS does not say when a key expires (no exp on the key), so its remaining life is unknown"
		if lifetime > 0 {
			msg += fmt.Sprintf("; the token lifetime is %s: keep jwks.gracePeriod longer than that, or valid tokens stop verifying after a rotation", humanize.Duration(lifetime))
		}
		return Check{ID: "key_lifetime", Status: Skipped, Message: msg}
	}
	c := Check{ID: "key_lifetime", Status: Pass}
	left := keyExp.Sub(now).Truncate(time.Second)
	switch {
	case !expOK:
		c.Status = Warn
		c.Message = "the token's exp cannot be read, so its lifetime cannot be compared with its key's"
	case exp.After(keyExp):
		c.Status = Warn
		c.Message = fmt.Sprintf("the token outlives its key by %s: the JWKS says the key expires in %s, the token in %s; it stops verifying before its exp",
			humanize.Duration(exp.Sub(keyExp)), humanize.Duration(left), humanize.Duration(exp.Sub(now).Truncate(time.Second)))
		c.Hint = "keep the key published (jwks.gracePeriod) for longer than the token lifetime (jwt.expirationTime)"
	default:
		c.Message = fmt.Sprintf("the token expires before its key (the key in %s)", humanize.Duration(left))
	}
	return c
}

// jwkExp reads a numeric exp member of a JWK.
func jwkExp(raw []byte) (time.Time, bool) {
	var m map[string]json.RawMessage
	if len(raw) == 0 || json.Unmarshal(raw, &m) != nil {
		return time.Time{}, false
	}
	e, ok := m["exp"]
	if !ok {
		return time.Time{}, false
	}
	d, err := verify.ParseNumericDate(e)
	if err != nil {
		return time.Time{}, false
	}
	return d.Time(), true
}
