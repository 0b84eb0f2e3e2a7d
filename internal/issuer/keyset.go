package issuer

import (
	"errors"
	"fmt"
	"slices"
	"sync"
	"time"
)

// DefaultGrace is Better Auth's jwks.gracePeriod default: 30 days.
const DefaultGrace = 30 * 24 * time.Hour

// Rotation is Better Auth's jwks.rotationInterval and jwks.gracePeriod.
type Rotation struct {
	// Every is the rotation interval; 0 turns rotation off (Better Auth's
	// default): keys never expire.
	Every time.Duration
	// Grace is how long an expired key stays in the JWKS; 0 means
	// DefaultGrace, as in Better Auth.
	Grace time.Duration
}

func (r Rotation) grace() time.Duration {
	if r.Grace <= 0 {
		return DefaultGrace
	}
	return r.Grace
}

// KeySet is the issuer's jwks table: keys oldest first, rotated lazily as
// Better Auth rotates them. It is safe for concurrent use.
type KeySet struct {
	alg      string
	rotation Rotation
	now      func() time.Time

	mu   sync.Mutex
	keys []*Key
}

// KeySetOptions configure a KeySet.
type KeySetOptions struct {
	// Alg is the algorithm of the keys made on rotation (keyPairConfig.alg);
	// "" means the alg of the newest given key, or DefaultAlg.
	Alg      string
	Rotation Rotation
	// Now is the clock; nil means time.Now.
	Now func() time.Time
}

// NewKeySet returns a key set holding keys (oldest first; may be empty,
// then the first signing or JWKS request makes a key, as Better Auth does).
// With rotation on, a key without ExpiresAt gets CreatedAt + Every, as if
// Better Auth had made it.
func NewKeySet(keys []*Key, opts KeySetOptions) (*KeySet, error) {
	ks := &KeySet{alg: opts.Alg, rotation: opts.Rotation, now: opts.Now}
	if ks.now == nil {
		ks.now = time.Now
	}
	if opts.Rotation.Every < 0 || opts.Rotation.Grace < 0 {
		return nil, errors.New("rotation interval and grace period must not be negative")
	}
	if ks.alg == "" {
		ks.alg = DefaultAlg
		if len(keys) > 0 {
			ks.alg = keys[len(keys)-1].Alg
		}
	}
	alg, err := ParseAlg(ks.alg)
	if err != nil {
		return nil, err
	}
	ks.alg = alg
	for _, k := range keys {
		c := *k
		if ks.rotation.Every > 0 && c.ExpiresAt.IsZero() {
			c.ExpiresAt = c.CreatedAt.Add(ks.rotation.Every)
		}
		ks.keys = append(ks.keys, &c)
	}
	return ks, nil
}

// Alg is the algorithm new keys are made with.
func (ks *KeySet) Alg() string { return ks.alg }

// Now is the key set's clock.
func (ks *KeySet) Now() time.Time { return ks.now() }

// newKeyLocked makes a key the way createJwk does: expiresAt = now + the
// rotation interval when rotation is on.
func (ks *KeySet) newKeyLocked(now time.Time) (*Key, error) {
	k, err := GenerateKey(ks.alg, now)
	if err != nil {
		return nil, err
	}
	if ks.rotation.Every > 0 {
		k.ExpiresAt = now.Add(ks.rotation.Every)
	}
	ks.keys = append(ks.keys, k)
	return k, nil
}

// Keys returns every key ever made or loaded, oldest first: the table,
// which never loses a row.
func (ks *KeySet) Keys() []*Key {
	ks.mu.Lock()
	defer ks.mu.Unlock()
	return append([]*Key(nil), ks.keys...)
}

// Published returns the keys GET /jwks publishes now: those without an
// expiry and those within expiresAt + grace, never a retired one. Like
// Better Auth, it makes a key only when there is none at all (a retired
// key is a deleted row); when every key is past its grace it returns none
// (an empty set, status 200). It never rotates.
func (ks *KeySet) Published() ([]*Key, error) {
	ks.mu.Lock()
	defer ks.mu.Unlock()
	now := ks.now()
	if !slices.ContainsFunc(ks.keys, func(k *Key) bool { return !k.retired }) {
		if _, err := ks.newKeyLocked(now); err != nil {
			return nil, err
		}
	}
	grace := ks.rotation.grace()
	var out []*Key
	for _, k := range ks.keys {
		if !k.retired && (k.ExpiresAt.IsZero() || k.ExpiresAt.Add(grace).After(now)) {
			out = append(out, k)
		}
	}
	return out, nil
}

// JWKS returns the body of GET /jwks.
func (ks *KeySet) JWKS() ([]byte, error) {
	keys, err := ks.Published()
	if err != nil {
		return nil, err
	}
	return MarshalPublic(keys)
}

// SigningKey returns the key the next token is signed with: the newest
// key of the set's alg (else the newest key), never a test key or a
// retired one; when there is none, or it has expired, a new one is made
// first (lazy rotation, as in sign.mjs).
func (ks *KeySet) SigningKey() (*Key, error) {
	ks.mu.Lock()
	defer ks.mu.Unlock()
	return ks.signingKeyLocked()
}

func (ks *KeySet) signingKeyLocked() (*Key, error) {
	now := ks.now()
	var key, newest *Key
	for i := len(ks.keys) - 1; i >= 0 && key == nil; i-- {
		k := ks.keys[i]
		if k.testKey || k.retired {
			continue
		}
		if newest == nil {
			newest = k
		}
		if k.Alg == ks.alg {
			key = k
		}
	}
	if key == nil {
		key = newest
	}
	if key == nil || (!key.ExpiresAt.IsZero() && key.ExpiresAt.Before(now)) {
		return ks.newKeyLocked(now)
	}
	return key, nil
}

// Key returns the key with kid, published, past its grace or retired.
func (ks *KeySet) Key(kid string) (*Key, error) {
	ks.mu.Lock()
	defer ks.mu.Unlock()
	return ks.keyLocked(kid)
}

func (ks *KeySet) keyLocked(kid string) (*Key, error) {
	for _, k := range ks.keys {
		if k.Kid == kid {
			return k, nil
		}
	}
	return nil, fmt.Errorf("no key with kid %q in the key set", kid)
}

// MaxTestKeys bounds the test keys published at once: each one is key
// generation (RSA takes a tenth of a second) and a JWKS entry, asked for
// by any client of the mint route.
const MaxTestKeys = 64

// NewTestKey makes a key of the set's alg for a test of key rotation: it
// is published at once, and signs only when asked for by its kid, so that
// every other token is signed as before. At most MaxTestKeys are published
// at once; retire one to make another.
func (ks *KeySet) NewTestKey() (*Key, error) {
	ks.mu.Lock()
	defer ks.mu.Unlock()
	live := 0
	for _, k := range ks.keys {
		if k.testKey && !k.retired {
			live++
		}
	}
	if live >= MaxTestKeys {
		return nil, fmt.Errorf("%d test keys are published already: retire one (retire with its kid) before asking for another", live)
	}
	k, err := ks.newKeyLocked(ks.now())
	if err != nil {
		return nil, err
	}
	k.testKey = true
	return k, nil
}

// Retire takes the key kid ("" = the signing key) out of the JWKS at once,
// as an operator deletes a compromised key's row, and returns it: it still
// signs when asked for by its kid, which is how a test gets a token of a
// key the JWKS no longer publishes. After the signing key is retired,
// tokens come from the newest key left, as after Better Auth's row is
// deleted, or from a new key when none is left.
func (ks *KeySet) Retire(kid string) (*Key, error) {
	ks.mu.Lock()
	defer ks.mu.Unlock()
	var k *Key
	var err error
	if kid == "" {
		k, err = ks.signingKeyLocked()
	} else {
		k, err = ks.keyLocked(kid)
	}
	if err != nil {
		return nil, err
	}
	k.retired = true
	return k, nil
}

// Prepare makes the first key now when the set has none, as the first
// JWKS request would; a server calls it once it listens, so that the first
// request rarely waits for a key to be made.
func (ks *KeySet) Prepare() error {
	_, err := ks.Published()
	return err
}
