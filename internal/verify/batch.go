package verify

import (
	"context"
	"crypto"
	"crypto/ecdsa"
	"crypto/ed25519"
	"crypto/rsa"
	"crypto/sha256"
	"crypto/sha512"
	"errors"
	"math/big"
	"sync/atomic"
	"time"
)

// Outcome is the lean result of one token in a batch: the verdict, the
// errors in pipeline order, and the few claims a batch report groups by.
// A field that the token does not carry as a plain string is "".
type Outcome struct {
	Valid bool
	// CouldNotCheck: the key source could not be read for this token.
	CouldNotCheck bool
	Errors        []Problem
	Kid, Alg      string
	Sub, Iss      string
	// Aud is the token's aud when it is a string or an array of strings;
	// AudArray says which.
	Aud      []string
	AudArray bool
	// Exp is the exp claim as its JSON number, "" when absent or not a
	// NumericDate.
	Exp string
}

// Batch verifies many tokens against one key source, loaded once. Each
// token first goes through a fast path (prepared keys by kid, the standard
// library's signature check, a lean decode of only the claims the policy
// needs), which decides only when everything about the token is ordinary and
// valid. Anything else (a failure, an unusual header or claim, an unknown
// kid) goes through Verifier.Verify, so every verdict, code and message
// comes from the one pipeline. A Batch is safe for concurrent use.
type Batch struct {
	v        Verifier
	now      time.Time
	prepared atomic.Pointer[preparedSet]
	fastOff  bool // tests: every token takes the full pipeline
}

// preparedSet is a KeySet with, for every kid, the keys the full pipeline
// would select for each allowed algorithm.
type preparedSet struct {
	set   *KeySet
	byKid map[string][]fastKey
}

type fastKey struct {
	alg    string
	sigLen int
	verify func(signingInput, sig []byte) bool
}

// NewBatch loads the verifier's keys once. Times are evaluated at one
// instant, the verifier's clock read now, so that every token of a run is
// judged at the same moment. The error is the key source's (the verdict
// would be "could not check" for every token).
func NewBatch(ctx context.Context, v *Verifier) (*Batch, error) {
	if v.Keys == nil || v.DecodeOnly {
		return nil, errors.New("a batch needs a key source and verification")
	}
	b := &Batch{v: *v}
	b.now = time.Now()
	if v.Now != nil {
		b.now = v.Now()
	}
	now := b.now
	b.v.Now = func() time.Time { return now }
	src := &batchSource{inner: v.Keys}
	b.v.Keys = src
	ks, err := v.Keys.Load(ctx)
	if err != nil {
		return nil, err
	}
	b.prepare(ks)
	return b, nil
}

// Now is the instant the batch evaluates times at.
func (b *Batch) Now() time.Time { return b.now }

// Keys says where the run's one set of keys came from (nil for a set made
// in code).
func (b *Batch) Keys() *KeysOrigin { return b.prepared.Load().set.Origin }

// prepare builds the fast-path keys from a set: for each kid and allowed
// algorithm, exactly the key selectKey picks, so the fast path never
// selects differently from the pipeline.
func (b *Batch) prepare(ks *KeySet) {
	p := &preparedSet{set: ks, byKid: map[string][]fastKey{}}
	for i := range ks.Set.Keys {
		k := &ks.Set.Keys[i]
		if !k.HasKid {
			continue
		}
		if _, done := p.byKid[k.Kid]; done {
			continue
		}
		var fks []fastKey
		for _, alg := range b.v.algorithms() {
			sel := selectKey(ks.Set, k.Kid, true, alg)
			if sel.code != "" || sel.key == nil {
				continue
			}
			if fk, ok := newFastKey(alg, sel.key.Public, signatureLength(alg, sel.key)); ok {
				fks = append(fks, fk)
			}
		}
		p.byKid[k.Kid] = fks
	}
	b.prepared.Store(p)
}

// newFastKey binds a public key to the standard library's verification for
// alg, with the parameters jwx uses (raw r||s for ECDSA, PSS salt length
// equal to the hash).
func newFastKey(alg string, pub crypto.PublicKey, sigLen int) (fastKey, bool) {
	fk := fastKey{alg: alg, sigLen: sigLen}
	switch p := pub.(type) {
	case ed25519.PublicKey:
		if alg != "EdDSA" {
			return fk, false // "Ed25519" warns in the pipeline; let it decide
		}
		fk.verify = func(in, sig []byte) bool { return ed25519.Verify(p, in, sig) }
	case *ecdsa.PublicKey:
		var hash crypto.Hash
		switch alg {
		case "ES256":
			hash = crypto.SHA256
		case "ES384":
			hash = crypto.SHA384
		case "ES512":
			hash = crypto.SHA512
		default:
			return fk, false
		}
		fk.verify = func(in, sig []byte) bool {
			var r, s big.Int
			half := len(sig) / 2
			r.SetBytes(sig[:half])
			s.SetBytes(sig[half:])
			var buf [64]byte
			return ecdsa.Verify(p, digest(hash, in, buf[:0]), &r, &s)
		}
	case *rsa.PublicKey:
		var hash crypto.Hash
		switch alg[2:] {
		case "256":
			hash = crypto.SHA256
		case "384":
			hash = crypto.SHA384
		case "512":
			hash = crypto.SHA512
		default:
			return fk, false
		}
		switch alg[:2] {
		case "RS":
			fk.verify = func(in, sig []byte) bool {
				var buf [64]byte
				return rsa.VerifyPKCS1v15(p, hash, digest(hash, in, buf[:0]), sig) == nil
			}
		case "PS":
			opts := &rsa.PSSOptions{Hash: hash, SaltLength: rsa.PSSSaltLengthEqualsHash}
			fk.verify = func(in, sig []byte) bool {
				var buf [64]byte
				return rsa.VerifyPSS(p, hash, digest(hash, in, buf[:0]), sig, opts) == nil
			}
		default:
			return fk, false
		}
	default:
		return fk, false
	}
	return fk, true
}

func digest(h crypto.Hash, in, buf []byte) []byte {
	switch h {
	case crypto.SHA256:
		d := sha256.Sum256(in)
		return append(buf, d[:]...)
	case crypto.SHA384:
		d := sha512.Sum384(in)
		return append(buf, d[:]...)
	default:
		d := sha512.Sum512(in)
		return append(buf, d[:]...)
	}
}

// batchSource wraps the key source so that every line of a run is judged
// against the one set loaded before the first line. A refetch for an
// unknown kid would replace that set halfway through, and the same token
// would be valid before that line and key_not_found after it (the verdict
// would depend on the line's position and on the workers' timing). So a
// batch never refetches: the command asks the server for its current set
// at the start (unless --cache-ttl lets the cache answer), and a kid that
// set lacks is key_not_found, with the message saying where the keys came
// from.
type batchSource struct {
	inner KeySource
}

func (s *batchSource) Load(ctx context.Context) (*KeySet, error) { return s.inner.Load(ctx) }

// Refresh never refetches: see batchSource.
func (s *batchSource) Refresh(context.Context) (*KeySet, error) { return nil, nil }

// Scratch is per-worker memory for the fast path; the zero value is ready.
type Scratch struct {
	buf []byte
	st  *scratchState
}

// Check verifies one token (already normalised) into out. out is reset.
func (b *Batch) Check(ctx context.Context, raw []byte, sc *Scratch, out *Outcome) {
	errs, aud := out.Errors[:0], out.Aud[:0]
	*out = Outcome{Errors: errs, Aud: aud}
	if !b.fastOff && b.fast(raw, sc, out) {
		return
	}
	*out = Outcome{Errors: errs}
	b.slow(ctx, string(raw), out)
}

// slow runs the full pipeline and keeps the lean outcome.
func (b *Batch) slow(ctx context.Context, raw string, out *Outcome) {
	r := b.v.Verify(ctx, raw)
	OutcomeOf(r, out)
}

// OutcomeOf fills out from a full result.
func OutcomeOf(r *Result, out *Outcome) {
	out.Valid = r.Valid
	out.CouldNotCheck = r.Verdict == VerdictCouldNotCheck // the single-token verdict, word for word
	for _, e := range r.Errors {
		out.Errors = append(out.Errors, Problem{Code: e.Code, Message: e.Message})
	}
	if r.Token == nil {
		return
	}
	out.Kid, _, _ = r.Token.Header.String("kid")
	out.Alg, _, _ = r.Token.Header.String("alg")
	out.Sub, _, _ = r.Token.Claims.String("sub")
	out.Iss, _, _ = r.Token.Claims.String("iss")
	if raw, ok := r.Token.Claims.Get("aud"); ok {
		if auds, array, ok := ParseAudience(raw); ok {
			out.Aud, out.AudArray = auds, array
		}
	}
	if raw, ok := r.Token.Claims.Get("exp"); ok {
		if d, err := ParseNumericDate(raw); err == nil {
			out.Exp = d.Raw
		}
	}
}
