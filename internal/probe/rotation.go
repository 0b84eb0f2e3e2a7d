package probe

import (
	"context"
	"fmt"
	"time"
)

// CaseRotatedKey sends a token of a key taken out of the JWKS after the
// backend accepted a token of that key.
const CaseRotatedKey = "rotated_key_token"

// CheckKeyRemoval is the check that a key the JWKS no longer publishes (a
// compromised key an operator deleted) is no longer trusted.
const CheckKeyRemoval = "key_removal"

// fixKeyRemoval is the one thing to change when rotated_key_token is
// accepted.
const fixKeyRemoval = "refetch the JWKS within a bounded time and drop the keys it no longer lists (PyJWT: PyJWKClient without cache_keys=True, whose lifespan bounds its JWKS cache; jose: createRemoteJWKSet with cacheMaxAge); never load the keys once at start"

// KeyRotation is what rotated_key_token needs from a minter that can
// change the JWKS the backend reads (a running baverify issuer): a token
// of a key published before the probe began, used by this case alone; a
// way to take that key out of the JWKS; and a way to sign with it after.
type KeyRotation struct {
	// Source says where the tokens come from ("minted by --mint-from URL").
	Source string
	// NotTested says why the case cannot be sent (a keys file cannot
	// change what a running issuer publishes), and EnabledBy what would
	// let it be.
	NotTested, EnabledBy string
	// Token is signed by the key, while the JWKS publishes it: the
	// backend must accept it, or it never held the key and a refusal of
	// the retired key proves nothing.
	Token string
	// Retire takes the key out of the JWKS.
	Retire func(ctx context.Context) error
	// Mint returns a new token signed by the key.
	Mint func(ctx context.Context) (string, error)
	// Wait is how long after Retire the retired key's token is sent. A
	// backend that accepts it after a wait longer than its key cache
	// trusts removed keys; with no wait, a key cache accepts it too, so an
	// acceptance is not tested.
	Wait time.Duration
	// OnWait hears of the wait as it begins (nil: nobody listens): minutes
	// of silence at a terminal look like a hang.
	OnWait func(d time.Duration)
}

// rotationCase is the rotated_key_token case, or none when no minter can
// rotate keys (no --mint-from: a deployment has no such token to give).
func rotationCase(r *KeyRotation) (Case, bool) {
	if r == nil {
		return Case{}, false
	}
	c := Case{Name: CaseRotatedKey, Check: CheckKeyRemoval, Fix: fixKeyRemoval, Source: r.Source, rotation: r,
		Attack: "a token of a key the issuer took out of its JWKS, after the backend accepted a token of that key: accepting it means a key removed from the JWKS (a compromised one, say) is still trusted",
		// Signed by a key the JWKS no longer has: a backend that checks no
		// signature, or trusts unknown kids, accepts it for that reason.
		tr: traits{forged: true, foreignKid: true}}
	if r.NotTested != "" {
		// Nothing is minted: no source to name.
		c.NotTested, c.EnabledBy, c.Source = r.NotTested, r.EnabledBy, ""
	}
	return c, true
}

// sendRotation runs rotated_key_token, after every other case: the token
// of the key while it is published (the backend must accept it), then the
// key retired, the wait, and a new token of it (the backend must refuse
// it). genuineURL is where the genuine request ended.
func sendRotation(ctx context.Context, opts Options, c Case, genuineAccepted bool, genuineURL string) Result {
	r := c.rotation
	res := Result{Name: c.Name, Attack: c.Attack, Expect: rejection().String(), Source: c.Source}
	if !genuineAccepted {
		res.Outcome = Inconclusive
		res.Message = "not sent: the genuine token was refused, so no answer to a retired key would prove anything (the issuer's keys were left as they were)"
		return res
	}
	before := c
	before.Genuine, before.Token, before.Authorization = true, r.Token, "Bearer "+r.Token
	first, _ := sendCase(ctx, opts, before, nil, nil, "")
	switch first.Outcome {
	case Pass:
	case Unanswered:
		first.Name, first.Attack, first.Expect = c.Name, c.Attack, res.Expect
		first.Message = "no answer to the token of the key while the JWKS published it: " + first.Message
		return first
	default:
		res.Status, res.LatencyMs, res.BackendSaid, res.Redirects = first.Status, first.LatencyMs, first.BackendSaid, first.Redirects
		res.Outcome = NotTested
		res.Message = fmt.Sprintf("the backend did not accept (HTTP %d) a token of a key the issuer published when the probe began, so it never held that key and a refusal once the key is retired would prove nothing: it has not fetched the JWKS since (a key cache: jose's createRemoteJWKSet refetches at most every 30s) or never does (keys loaded at start, which refuses every user after the next key rotation)", first.Status)
		res.why = res.Message
		return res
	}
	if err := r.Retire(ctx); err != nil {
		return notTestedRotation(res, fmt.Sprintf("the key could not be taken out of the issuer's JWKS: %v", err))
	}
	retired := time.Now()
	if r.Wait > 0 {
		if r.OnWait != nil {
			r.OnWait(r.Wait)
		}
		t := time.NewTimer(r.Wait)
		select {
		case <-t.C:
		case <-ctx.Done():
			t.Stop()
			res.Outcome, res.Message = Inconclusive, fmt.Sprintf("not sent: %v", ctx.Err())
			return res
		}
	}
	tok, err := r.Mint(ctx)
	if err != nil {
		return notTestedRotation(res, fmt.Sprintf("no token of the retired key: %v", err))
	}
	after := c
	after.Token, after.Authorization = tok, "Bearer "+tok
	out, _ := sendCase(ctx, opts, after, nil, nil, genuineURL)
	out.tr = c.tr
	since := shortAgo(time.Since(retired))
	switch {
	case out.Outcome == Pass:
		out.Message = fmt.Sprintf("refused (HTTP %d) %s after its key left the JWKS; the backend had accepted a token of that key before", out.Status, since)
	case out.accepted && r.Wait > 0:
		out.Message = fmt.Sprintf("ACCEPTED (HTTP %d) %s after its key left the JWKS: the backend still trusts a removed key after --rotated-key-wait (%s): it caches keys longer than that, or keeps them for ever (keys loaded at start; PyJWKClient(cache_keys=True))",
			out.Status, since, r.Wait)
	case out.accepted:
		// With no wait a key cache accepts it as well: the answer cannot
		// tell a cache of minutes from a key trusted for ever.
		out.Outcome, out.accepted = NotTested, false
		out.Message = fmt.Sprintf("accepted (HTTP %d) %s after its key left the JWKS, as a backend with a key cache does (PyJWKClient keeps the JWKS 300s by default) and as one that trusts a removed key for ever does: give --rotated-key-wait longer than the backend's key cache to tell them apart", out.Status, since)
		out.why, out.enabledBy = out.Message, "--rotated-key-wait"
	}
	return out
}

func notTestedRotation(res Result, why string) Result {
	res.Outcome, res.why, res.Message = NotTested, why, why
	return res
}

// shortAgo is Ago, in milliseconds under a second: "0s" would read as
// "not at all".
func shortAgo(d time.Duration) string {
	if d < time.Second {
		return fmt.Sprintf("%dms", d.Milliseconds())
	}
	return Ago(d)
}
