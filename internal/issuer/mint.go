package issuer

import (
	"bytes"
	"crypto"
	"crypto/ecdsa"
	"crypto/ed25519"
	"crypto/rand"
	"crypto/rsa"
	"crypto/sha256"
	"crypto/sha512"
	"encoding/json"
	"errors"
	"fmt"
	"strconv"
	"strings"
	"time"
)

// DefaultLifetime is the jwt plugin's default jwt.expirationTime, "15m".
const DefaultLifetime = 15 * time.Minute

// The default test user: the session.user row Better Auth's jwt plugin
// puts in a token (definePayload's default), shaped like a real one (a
// 32-character id) and plainly a test user.
const (
	DefaultUserID    = "baverifyTestUser0000000000000001"
	DefaultUserName  = "Test User"
	DefaultUserEmail = "test-user@example.com"
)

// User is the session.user row whose fields the default payload carries.
type User struct {
	ID            string // "" = DefaultUserID (or the Claims' Subject)
	Name          string
	Email         string
	EmailVerified bool
	// Image is included when set, as the memory adapter does; an SQL
	// adapter would write "image":null (add it with an Extra claim).
	Image string
	// CreatedAt and UpdatedAt: zero means when the token is made.
	CreatedAt, UpdatedAt time.Time
}

// DefaultUser is the test user every token describes unless told otherwise.
func DefaultUser() User {
	return User{ID: DefaultUserID, Name: DefaultUserName, Email: DefaultUserEmail}
}

// Claim is one extra claim: a name and its JSON value.
type Claim struct {
	Name  string
	Value json.RawMessage
}

// Claims say what a token carries. The zero value plus Issuer and
// Audience is what Better Auth's /token gives for the default user: iat,
// the user's fields, sub (= id), exp = iat + 15m, iss, aud.
type Claims struct {
	// Subject is sub and the user's id; "" = User.ID or DefaultUserID.
	Subject string
	// User is the user whose fields the payload carries; nil = DefaultUser.
	User *User
	// NoUser leaves the user's fields out (a payload of registered claims
	// only, as auth.api.signJWT with a bare payload makes).
	NoUser bool
	// IssuedAt is iat; zero = the key set's clock, floored to seconds.
	IssuedAt time.Time
	// Lifetime sets exp = iat + Lifetime (negative: already expired); 0 =
	// DefaultLifetime. ExpiresAt, when set, is exp itself.
	Lifetime  time.Duration
	ExpiresAt time.Time
	NoExp     bool
	// NotBefore is nbf; zero = none (Better Auth sets none).
	NotBefore time.Time
	// Issuer is iss and Audience is aud (one member: a string, as Better
	// Auth writes it; several: an array). Both are required unless NoIss or
	// NoAud leaves the claim out.
	Issuer   string
	NoIss    bool
	Audience []string
	NoAud    bool
	// Extra claims are added after the others, in order; one with the
	// name of a claim above replaces its value where it stands.
	Extra []Claim
}

// MintOptions choose the signing key.
type MintOptions struct {
	// Kid signs with that key of the set, even one no longer published (a
	// rotated-out or retired key); "" = the current signing key, rotating
	// first when it expired, as Better Auth does.
	Kid string
	// NewKey signs with a new test key (KeySet.NewTestKey), published from
	// now on; not with Kid or Retire.
	NewKey bool
	// Retire takes the key (Kid's, else the signing key) out of the JWKS
	// before it signs (KeySet.Retire).
	Retire bool
}

// isoMillis is JavaScript's Date.prototype.toISOString.
func isoMillis(t time.Time) string { return t.UTC().Format("2006-01-02T15:04:05.000Z") }

// Payload returns the token's payload, in the order Better Auth's jwt
// plugin writes it: iat, the user's fields, sub, exp, iss, aud, then nbf
// and the extra claims.
func (c Claims) Payload(now time.Time) ([]byte, error) {
	iat := c.IssuedAt
	if iat.IsZero() {
		iat = now
	}
	made := iat.Truncate(time.Millisecond) // a user row made as the token is
	iat = iat.Truncate(time.Second)
	var m []member
	m = append(m, member{"iat", iat.Unix()})
	sub := c.Subject
	if !c.NoUser {
		u := DefaultUser()
		if c.User != nil {
			u = *c.User
		}
		if sub != "" {
			u.ID = sub
		}
		if u.ID == "" {
			u.ID = DefaultUserID
		}
		sub = u.ID
		created, updated := u.CreatedAt, u.UpdatedAt
		if created.IsZero() {
			created = made
		}
		if updated.IsZero() {
			updated = created
		}
		var image any
		if u.Image != "" {
			image = u.Image
		}
		m = append(m,
			member{"name", u.Name}, member{"email", u.Email}, member{"emailVerified", u.EmailVerified},
			member{"image", image},
			member{"createdAt", isoMillis(created)}, member{"updatedAt", isoMillis(updated)},
			member{"id", u.ID})
	}
	if sub == "" {
		sub = DefaultUserID
	}
	m = append(m, member{"sub", sub})
	if !c.NoExp {
		exp := c.ExpiresAt
		if exp.IsZero() {
			life := c.Lifetime
			if life == 0 {
				life = DefaultLifetime
			}
			exp = iat.Add(life)
		}
		m = append(m, member{"exp", exp.Unix()})
	}
	if !c.NoIss {
		if c.Issuer == "" {
			return nil, errors.New("no issuer: give one, or leave iss out on purpose")
		}
		m = append(m, member{"iss", c.Issuer})
	}
	if !c.NoAud {
		switch len(c.Audience) {
		case 0:
			return nil, errors.New("no audience: give one, or leave aud out on purpose")
		case 1:
			m = append(m, member{"aud", c.Audience[0]})
		default:
			m = append(m, member{"aud", c.Audience})
		}
	}
	if !c.NotBefore.IsZero() {
		m = append(m, member{"nbf", c.NotBefore.Unix()})
	}
	for _, e := range c.Extra {
		if e.Name == "" {
			return nil, errors.New("a claim needs a name")
		}
		if !json.Valid(e.Value) {
			return nil, fmt.Errorf("claim %s: not a JSON value", e.Name)
		}
		replaced := false
		for i := range m {
			if m[i].name == e.Name {
				m[i].value, replaced = e.Value, true
			}
		}
		if !replaced {
			m = append(m, member{e.Name, e.Value})
		}
	}
	var buf bytes.Buffer
	if err := writeObject(&buf, m); err != nil {
		return nil, err
	}
	return buf.Bytes(), nil
}

// Mint signs a token with claims. Its header is {"alg","kid"} and nothing
// else, as Better Auth's.
func (ks *KeySet) Mint(c Claims, opts MintOptions) (string, error) {
	payload, err := c.Payload(ks.now())
	if err != nil {
		return "", err
	}
	var key *Key
	switch {
	case opts.NewKey && opts.Kid != "":
		return "", errors.New("newKey and kid: choose one (a new key has no kid yet)")
	case opts.NewKey && opts.Retire:
		return "", errors.New("newKey and retire: a key retired as it is made was never published; mint with newKey, then retire that key by its kid")
	case opts.NewKey:
		key, err = ks.NewTestKey()
	case opts.Retire:
		key, err = ks.Retire(opts.Kid)
	case opts.Kid != "":
		key, err = ks.Key(opts.Kid)
	default:
		key, err = ks.SigningKey()
	}
	if err != nil {
		return "", err
	}
	return key.Sign(payload)
}

// Sign returns a compact JWS of payload (a JSON object) signed by k.
func (k *Key) Sign(payload []byte) (string, error) {
	var header bytes.Buffer
	if err := writeObject(&header, []member{{"alg", k.Alg}, {"kid", k.Kid}}); err != nil {
		return "", err
	}
	input := b64(header.Bytes()) + "." + b64(payload)
	sig, err := k.sign([]byte(input))
	if err != nil {
		return "", fmt.Errorf("sign with %s key %s: %w", k.Alg, k.Kid, err)
	}
	return input + "." + b64(sig), nil
}

func (k *Key) sign(input []byte) ([]byte, error) {
	switch priv := k.signer.(type) {
	case ed25519.PrivateKey:
		return ed25519.Sign(priv, input), nil
	case *ecdsa.PrivateKey:
		var digest []byte
		if k.Alg == "ES512" {
			d := sha512.Sum512(input)
			digest = d[:]
		} else {
			d := sha256.Sum256(input)
			digest = d[:]
		}
		r, s, err := ecdsa.Sign(rand.Reader, priv, digest)
		if err != nil {
			return nil, err
		}
		n := curveSize(priv.Curve)
		out := make([]byte, 2*n)
		r.FillBytes(out[:n])
		s.FillBytes(out[n:])
		return out, nil
	case *rsa.PrivateKey:
		d := sha256.Sum256(input)
		if k.Alg == "PS256" {
			return rsa.SignPSS(rand.Reader, priv, crypto.SHA256, d[:], &rsa.PSSOptions{SaltLength: rsa.PSSSaltLengthEqualsHash})
		}
		return rsa.SignPKCS1v15(rand.Reader, priv, crypto.SHA256, d[:])
	}
	return nil, errors.New("unsupported key type")
}

// ParseSpan reads a time span as Better Auth's expirationTime takes it and
// Go writes it: "15m", "-1m", "1h30m", "90s", "2d", "1w", or whole
// seconds ("900").
func ParseSpan(s string) (time.Duration, error) {
	t := strings.TrimSpace(s)
	if t == "" {
		return 0, errors.New("empty time span")
	}
	if n, err := strconv.ParseInt(t, 10, 64); err == nil {
		return time.Duration(n) * time.Second, nil
	}
	neg := strings.HasPrefix(t, "-")
	body := strings.TrimLeft(t, "+-")
	for suffix, unit := range map[string]time.Duration{"d": 24 * time.Hour, "w": 7 * 24 * time.Hour} {
		if n, ok := strings.CutSuffix(body, suffix); ok {
			v, err := strconv.ParseFloat(n, 64)
			if err != nil {
				break
			}
			d := time.Duration(v * float64(unit))
			if neg {
				d = -d
			}
			return d, nil
		}
	}
	d, err := time.ParseDuration(t)
	if err != nil {
		return 0, fmt.Errorf("time span %q: want e.g. 15m, -1m, 1h, 2d or whole seconds", s)
	}
	return d, nil
}
