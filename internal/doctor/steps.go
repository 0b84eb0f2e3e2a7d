package doctor

import (
	"errors"
	"fmt"
	"net/http"
	"strings"

	"github.com/baverify/baverify/internal/betterauth"
	"github.com/baverify/baverify/internal/keysource"
	"github.com/baverify/baverify/internal/verify"
)

// signIn signs the test user in; a failure is a check.
func (r *run) signIn() (*betterauth.Session, *Check) {
	c := r.opts.Credentials
	sess, err := betterauth.SignIn(r.ctx, betterauth.LoginOptions{Deployment: r.opts.Deployment,
		Email: c.Email, Password: c.Password, Client: r.opts.Client, UserAgent: r.opts.UserAgent})
	if err == nil {
		return sess, nil
	}
	return nil, loginCheck("sign_in", err)
}

// loginCheck turns a sign-in failure into a check: could not check when
// Better Auth could not be reached, else a failure with its hint.
func loginCheck(id string, err error) *Check {
	c := &Check{ID: id, Status: Fail, Message: err.Error()}
	var le *betterauth.LoginError
	if errors.As(err, &le) {
		c.Hint = le.Hint
		if le.Unavailable() {
			c.Status = CouldNotCheck
		}
	}
	return c
}

// signInStep signs in and asks each route that mints a token: GET /token
// and the set-auth-jwt header of GET /get-session (sent with Origin, for
// the CORS check).
func (r *run) signInStep(s *Step) {
	if r.opts.Credentials == nil {
		s.add(notRun("sign_in", r.opts.NoCredentials))
		s.add(notRun("token_endpoint", "needs a sign-in"))
		s.add(notRun("session_header", "needs a sign-in"))
		return
	}
	sess, fail := r.signIn()
	if fail != nil {
		s.add(*fail)
		s.add(notRun("token_endpoint", "needs a sign-in"))
		s.add(notRun("session_header", "needs a sign-in"))
		return
	}
	r.sess = sess
	res := sess.Result()
	msg := "signed in as " + res.Email
	if res.UserID != "" {
		msg += " (user " + res.UserID + ")"
	}
	s.add(Check{ID: "sign_in", Status: Pass, Message: msg, Evidence: res.Notes})

	ans, err := sess.TokenEndpoint()
	r.tokAt = r.now()
	switch {
	case err != nil:
		s.add(*loginCheck("token_endpoint", err))
	case ans.Token != "":
		r.tokEP = ans
		s.add(Check{ID: "token_endpoint", Status: Pass, Message: ans.Step + " answered 200 with a JWT" + headerFacts(ans.Token)})
	default:
		r.tokEP = ans
		s.add(tokenEndpointCheck(ans))
	}

	ans, err = sess.GetSession(r.opts.Origin)
	r.sessAt = r.now()
	switch {
	case err != nil:
		s.add(*loginCheck("session_header", err))
	case ans.Token != "":
		r.getSess = ans
		s.add(Check{ID: "session_header", Status: Pass, Message: ans.Step + " answered 200 with a JWT in set-auth-jwt" + headerFacts(ans.Token)})
	default:
		r.getSess = ans
		s.add(sessionHeaderCheck(ans))
	}
	switch {
	case r.tokEP != nil && r.tokEP.Token != "":
		r.token = r.tokEP.Token
	case r.getSess != nil && r.getSess.Token != "":
		r.token = r.getSess.Token
	}
}

// tokenEndpointCheck says why GET /token gave no JWT.
func tokenEndpointCheck(a *betterauth.Answer) Check {
	c := Check{ID: "token_endpoint", Status: Fail, Message: fmt.Sprintf("%s answered HTTP %d without a JWT", a.Step, a.Status)}
	if says := betterauth.Says(a.Message, a.Code); says != "" {
		c.Message += ": " + says
	}
	switch {
	case a.Status == http.StatusNotFound:
		c.Hint = "no token endpoint: enable the jwt() plugin (it serves /token), and give --base-url the deployment's baseURL with its path"
	case a.Status >= 502 && a.Status <= 504:
		c.Status = CouldNotCheck
		c.Hint = "a gateway in front of Better Auth answered; is the server up?"
	case a.Status >= 500:
		c.Hint = "Better Auth could not sign: a common cause is a changed BETTER_AUTH_SECRET (the stored private keys no longer decrypt; the server log says \"Failed to decrypt private key\")"
	case a.Status == http.StatusUnauthorized:
		c.Hint = "the token endpoint saw no session: the sign-in cookie did not come back (Secure cookies over http, a proxy dropping Set-Cookie)"
	}
	return c
}

// sessionHeaderCheck says why get-session carried no set-auth-jwt.
func sessionHeaderCheck(a *betterauth.Answer) Check {
	c := Check{ID: "session_header", Status: Fail, Message: fmt.Sprintf("%s answered HTTP %d without a set-auth-jwt header", a.Step, a.Status)}
	switch {
	case a.Status == http.StatusOK:
		c.Status = Warn
		c.Hint = "the jwt plugin sets set-auth-jwt on every get-session with a session unless disableSettingJwtHeader is true; clients that read the JWT from it (the Better Auth client's onSuccess) get none"
	case a.Status >= 502 && a.Status <= 504:
		c.Status = CouldNotCheck
		c.Hint = "a gateway in front of Better Auth answered; is the server up?"
	}
	return c
}

// headerFacts is " (alg EdDSA, kid abc)" of a token, or "".
func headerFacts(raw string) string {
	tok, err := verify.Decode(raw)
	if err != nil {
		return ""
	}
	alg, _, _ := tok.Header.String("alg")
	kid, _, _ := tok.Header.String("kid")
	return fmt.Sprintf(" (alg %s, kid %s)", orNone(alg), orNone(kid))
}

func orNone(s string) string {
	if s == "" {
		return "none"
	}
	return s
}

// verifyStep verifies each token against the JWKS through the key source
// token uses, with the deployment's policy.
func (r *run) verifyStep(s *Step) {
	type minted struct {
		id, route string
		ans       *betterauth.Answer
	}
	routes := []minted{
		{"verify_token_endpoint", betterauth.SourceTokenEndpoint, r.tokEP},
		{"verify_session_header", betterauth.SourceSessionHeader, r.getSess},
	}
	// The keys as a backend would fetch them now, after the tokens were
	// minted: Better Auth makes a key when it signs after the newest one's
	// expiresAt, so the JWKS of the first step may predate it.
	var keys verify.KeySource
	if r.doc != nil {
		res, err := keysource.Resolve(r.opts.KeySource, "")
		if err != nil {
			s.add(notRun("verify_token_endpoint", err.Error()))
			return
		}
		keys = res.Keys
	}
	for _, m := range routes {
		switch {
		case m.ans == nil || m.ans.Token == "":
			s.add(notRun(m.id, "needs a token from the "+m.route+" (step sign_in)"))
			continue
		case r.doc == nil:
			s.add(notRun(m.id, "needs the JWKS (step jwks)"))
			continue
		}
		v := &verify.Verifier{Keys: keys, Policy: r.opts.Policy, Now: r.now}
		res := v.Verify(r.ctx, m.ans.Token)
		if r.ctx.Err() != nil {
			return
		}
		s.Tokens = append(s.Tokens, TokenResult{Route: m.route, Result: res})
		if m.ans.Token == r.token {
			r.primary, r.keys = res, keys
		}
		s.add(verifyCheck(m.id, m.route, res))
	}
}

// verifyCheck sums a verification up.
func verifyCheck(id, route string, res *verify.Result) Check {
	c := Check{ID: id, Status: Pass}
	switch {
	case res.Valid:
		c.Message = "the token from the " + route + " verifies: signature"
		if res.Key != nil {
			c.Message += " (kid " + res.Key.Kid + ")"
		}
		c.Message += ", exp, iat, iss and aud"
	case res.SourceErr != nil:
		c.Status = CouldNotCheck
		c.Message = "the token from the " + route + " could not be checked: " + res.SourceErr.Error()
	default:
		c.Status = Fail
		p := res.Primary()
		c.Message = "the token from the " + route + " does not verify: " + p.Message
		c.Hint = p.Hint
		for _, e := range res.Errors[1:] {
			c.Evidence = append(c.Evidence, string(e.Code)+": "+e.Message)
		}
	}
	for _, w := range res.Warnings {
		c.Evidence = append(c.Evidence, "warning: "+string(w.Code)+": "+w.Message)
	}
	return c
}

func plural(n int, word string) string {
	if n == 1 {
		return "1 " + word
	}
	return fmt.Sprintf("%d %ss", n, word)
}

func joinComma(items []string) string { return strings.Join(items, ", ") }
