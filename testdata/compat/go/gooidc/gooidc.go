// Package gooidc: go-oidc's NewRemoteKeySet on the JWKS URL and
// NewVerifier with the issuer and ClientID (the audience), as go-oidc's
// docs show for a provider without discovery. Its default Config accepts
// RS256 only; VerifyAlgs sets SupportedSigningAlgs, the setting measured
// as the fix.
package gooidc

import (
	"context"

	"github.com/coreos/go-oidc/v3/oidc"

	"baverify.test/compat/internal/cases"
)

// Verify verifies c with go-oidc's default Config.
func Verify(ctx context.Context, c cases.Case) (string, error) { return verify(ctx, c, nil) }

// VerifyAlgs verifies c with SupportedSigningAlgs set to c's algorithm.
func VerifyAlgs(ctx context.Context, c cases.Case) (string, error) {
	return verify(ctx, c, []string{c.Alg})
}

func verify(ctx context.Context, c cases.Case, algs []string) (string, error) {
	keySet := oidc.NewRemoteKeySet(ctx, c.JWKSURL)
	verifier := oidc.NewVerifier(c.Issuer, keySet, &oidc.Config{ClientID: c.Audience, SupportedSigningAlgs: algs})
	tok, err := verifier.Verify(ctx, c.Token)
	if err != nil {
		return "", err
	}
	return tok.Subject, nil
}
