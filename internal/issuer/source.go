package issuer

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"os"
	"strings"
	"time"
)

// Source mints tokens for a caller in another package (probe --mint-from):
// a running issuer, asked through its mint route, or a keys file, signed
// in process.
type Source struct {
	// Label says where the tokens come from, for a report: "issuer at URL"
	// or "keys file FILE".
	Label string
	mint  func(ctx context.Context, r MintRequest) (string, error)
}

// OpenSource opens from: an http(s) URL is a running issuer's base URL;
// anything else is a keys file. A keys file signs with defaults d (its
// iss and aud: the deployment's expected ones) and the clock now (nil:
// time.Now); a running issuer uses its own defaults. client is used for a
// running issuer only.
func OpenSource(client *http.Client, from string, d Defaults, now func() time.Time) (*Source, error) {
	if from == "" {
		return nil, errors.New("mint source: give an issuer's base URL or a keys file")
	}
	if strings.HasPrefix(from, "http://") || strings.HasPrefix(from, "https://") {
		if client == nil {
			return nil, errors.New("mint source: no HTTP client")
		}
		return &Source{
			Label: "issuer at " + from,
			mint: func(ctx context.Context, r MintRequest) (string, error) {
				return MintRemote(ctx, client, from, r)
			},
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
			return ks.MintRequest(r, d)
		},
	}, nil
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
