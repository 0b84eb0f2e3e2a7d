package issuer

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"os"
	"strings"
	"time"

	"github.com/baverify/baverify/internal/verify"
)

// Source mints tokens for a caller in another package (probe --mint-from):
// a running issuer, asked through its mint route, or a keys file, signed
// in process.
type Source struct {
	// Label says where the tokens come from, for a report: "issuer at URL"
	// or "keys file FILE".
	Label string
	mint  func(ctx context.Context, r MintRequest) (string, error)
	// remote: a running issuer, whose JWKS the mint requests change.
	remote bool
}

// ErrKeysFileRotation is a request to add or retire a key made of a keys
// file: it signs here, and cannot change what a running issuer publishes.
var ErrKeysFileRotation = errors.New("a keys file signs here and cannot add a key to, or take one out of, the JWKS a running issuer serves: give the issuer's base URL")

// CanRotate reports whether the source can change the JWKS a backend
// reads (NewKey and Retire): a running issuer can, a keys file cannot.
func (s *Source) CanRotate() bool { return s.remote }

// OpenSource opens from: an http(s) URL is a running issuer's base URL;
// anything else is a keys file. A keys file signs with defaults d (its
// iss and aud: the deployment's expected ones) and the clock now (nil:
// time.Now); a running issuer uses its own defaults. client is used for a
// running issuer only.
func OpenSource(client *http.Client, from string, d Defaults, now func() time.Time) (*Source, error) {
	if from == "" {
		return nil, errors.New("mint source: give an issuer's base URL or a keys file")
	}
	if IsIssuerURL(from) {
		if client == nil {
			return nil, errors.New("mint source: no HTTP client")
		}
		return &Source{
			Label: "issuer at " + from,
			mint: func(ctx context.Context, r MintRequest) (string, error) {
				return MintRemote(ctx, client, from, r)
			},
			remote: true,
		}, nil
	}
	if now == nil {
		now = time.Now
	}
	data, err := os.ReadFile(from)
	if err != nil {
		return nil, fmt.Errorf("mint source: %w", err)
	}
	keys, err := LoadKeys(data, now())
	if err != nil {
		return nil, fmt.Errorf("mint source %s: %w", from, err)
	}
	ks, err := NewKeySet(keys, KeySetOptions{Now: now})
	if err != nil {
		return nil, err
	}
	if d.User.ID == "" {
		d.User = DefaultUser()
	}
	return &Source{
		Label: "keys file " + from,
		mint: func(ctx context.Context, r MintRequest) (string, error) {
			if err := ctx.Err(); err != nil {
				return "", err
			}
			if r.NewKey || r.Retire {
				return "", ErrKeysFileRotation
			}
			return ks.MintRequest(r, d)
		},
	}, nil
}

// IsIssuerURL reports whether a mint source names a running issuer (an
// http(s) URL) rather than a keys file.
func IsIssuerURL(from string) bool {
	return strings.HasPrefix(from, "http://") || strings.HasPrefix(from, "https://")
}

// Mint returns a token as r asks.
func (s *Source) Mint(ctx context.Context, r MintRequest) (string, error) { return s.mint(ctx, r) }

// Invalid is a token a backend must refuse, wrong in one way. Names are
// probe's deployment-token kinds.
type Invalid struct {
	Name    string
	Request MintRequest
}

// OtherOrigin is the iss or aud of the other-issuer and other-audience
// tokens: a name that can never be a real deployment's (.invalid).
const OtherOrigin = "https://other.baverify.invalid"

// InvalidKinds are the invalid tokens a Source mints for probe: expired a
// minute ago, not valid for five minutes, for another audience, from
// another issuer, without exp, without aud.
func InvalidKinds() []Invalid {
	return []Invalid{
		{"expired", MintRequest{Exp: "-1m"}},
		{"not_yet_valid", MintRequest{Nbf: "5m"}},
		{"other_audience", MintRequest{Aud: []string{OtherOrigin}}},
		{"other_issuer", MintRequest{Iss: OtherOrigin}},
		{"no_exp", MintRequest{NoExp: true}},
		{"no_aud", MintRequest{NoAud: true}},
	}
}

// KeyTest is a key a running issuer published for one test of key
// removal, and a token it signed while published.
type KeyTest struct {
	Kid   string
	Token string
}

// NewTestKey asks the issuer for a new key, published from now on and
// signing nothing else unless asked for by its kid, and a token of it.
func (s *Source) NewTestKey(ctx context.Context) (KeyTest, error) {
	if !s.remote {
		return KeyTest{}, ErrKeysFileRotation
	}
	tok, err := s.mint(ctx, MintRequest{NewKey: true})
	if err != nil {
		return KeyTest{}, err
	}
	t, err := verify.Decode(tok)
	if err != nil {
		return KeyTest{}, fmt.Errorf("the token of the new key: %w", err)
	}
	kid, _, _ := t.Header.String("kid")
	if kid == "" {
		return KeyTest{}, errors.New("the token of the new key has no kid")
	}
	return KeyTest{Kid: kid, Token: tok}, nil
}

// RetireKey takes the key kid out of the issuer's JWKS at once.
func (s *Source) RetireKey(ctx context.Context, kid string) error {
	if !s.remote {
		return ErrKeysFileRotation
	}
	_, err := s.mint(ctx, MintRequest{Kid: kid, Retire: true})
	return err
}
