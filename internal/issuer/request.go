package issuer

import (
	"encoding/json"
	"fmt"
	"slices"
	"time"
)

// MintRequest is what to mint, as the mint route takes it (JSON) and as
// baverify issuer mint builds it from its flags. Every field is optional:
// the empty request is the token Better Auth's /token gives for the test
// user.
type MintRequest struct {
	// Sub is sub and the user's id.
	Sub string `json:"sub,omitempty"`
	// Exp is exp relative to iat, a span such as "15m" or "-1m" (already
	// expired); "" = the issuer's expiration time.
	Exp string `json:"exp,omitempty"`
	// Nbf is nbf relative to now ("5m": not valid for five minutes); "" =
	// no nbf, as Better Auth.
	Nbf string `json:"nbf,omitempty"`
	// Iat moves iat relative to now ("-1h").
	Iat string `json:"iat,omitempty"`
	// Iss and Aud replace the issuer's iss and aud.
	Iss string   `json:"iss,omitempty"`
	Aud []string `json:"aud,omitempty"`
	// NoExp, NoIss, NoAud and NoUser leave those claims out (NoUser: the
	// user's fields, keeping sub).
	NoExp  bool `json:"noExp,omitempty"`
	NoIss  bool `json:"noIss,omitempty"`
	NoAud  bool `json:"noAud,omitempty"`
	NoUser bool `json:"noUser,omitempty"`
	// Claims are added or replace a claim in place (sorted by name).
	Claims map[string]json.RawMessage `json:"claims,omitempty"`
	// Kid signs with that key (a rotated-out or retired one too); "" = the
	// current one.
	Kid string `json:"kid,omitempty"`
	// NewKey signs with a new key, published from now on, that signs
	// nothing else unless asked for by its kid: a test that the backend
	// picks up a key added to the JWKS.
	NewKey bool `json:"newKey,omitempty"`
	// Retire takes the key (Kid's, else the signing key) out of the JWKS
	// at once and signs with it: a token of a key the JWKS no longer has.
	Retire bool `json:"retire,omitempty"`
}

// Defaults are what an issuer puts in a token when the request says
// nothing: Better Auth's jwt.issuer, jwt.audience, jwt.expirationTime and
// the session's user.
type Defaults struct {
	Issuer   string
	Audience []string
	Lifetime time.Duration // 0 = DefaultLifetime
	User     User
}

// Resolve turns the request into claims at now.
func (r MintRequest) Resolve(d Defaults, now time.Time) (Claims, MintOptions, error) {
	u := d.User
	c := Claims{
		Subject:  r.Sub,
		User:     &u,
		NoUser:   r.NoUser,
		Lifetime: d.Lifetime,
		Issuer:   d.Issuer,
		Audience: d.Audience,
		NoExp:    r.NoExp,
		NoIss:    r.NoIss,
		NoAud:    r.NoAud,
	}
	span := func(name, s string) (time.Duration, error) {
		v, err := ParseSpan(s)
		if err != nil {
			return 0, fmt.Errorf("%s: %w", name, err)
		}
		return v, nil
	}
	if r.Iat != "" {
		v, err := span("iat", r.Iat)
		if err != nil {
			return Claims{}, MintOptions{}, err
		}
		c.IssuedAt = now.Add(v)
	}
	if r.Exp != "" {
		v, err := span("exp", r.Exp)
		if err != nil {
			return Claims{}, MintOptions{}, err
		}
		if v == 0 {
			// exp = iat: expired as it is made. Claims reads 0 as "default".
			c.ExpiresAt = now
			if !c.IssuedAt.IsZero() {
				c.ExpiresAt = c.IssuedAt
			}
			c.ExpiresAt = c.ExpiresAt.Truncate(time.Second)
		}
		c.Lifetime = v
	}
	if r.Nbf != "" {
		v, err := span("nbf", r.Nbf)
		if err != nil {
			return Claims{}, MintOptions{}, err
		}
		c.NotBefore = now.Add(v)
	}
	if r.Iss != "" {
		c.Issuer = r.Iss
	}
	if len(r.Aud) > 0 {
		c.Audience = r.Aud
	}
	names := make([]string, 0, len(r.Claims))
	for k := range r.Claims {
		names = append(names, k)
	}
	slices.Sort(names)
	for _, k := range names {
		c.Extra = append(c.Extra, Claim{Name: k, Value: r.Claims[k]})
	}
	return c, MintOptions{Kid: r.Kid, NewKey: r.NewKey, Retire: r.Retire}, nil
}

// MintRequest mints what r asks for with defaults d.
func (ks *KeySet) MintRequest(r MintRequest, d Defaults) (string, error) {
	c, opts, err := r.Resolve(d, ks.now())
	if err != nil {
		return "", err
	}
	return ks.Mint(c, opts)
}
