// Package jwxv2: jwx v2's jwk.Fetch of the JWKS URL, then jwt.Parse with
// jwt.WithKeySet, the issuer and the audience, as jwx v2's docs show.
package jwxv2

import (
	"context"

	"github.com/lestrrat-go/jwx/v2/jwk"
	"github.com/lestrrat-go/jwx/v2/jwt"

	"baverify.test/compat/internal/cases"
)

// Verify verifies c the way this setup does and returns its subject.
func Verify(ctx context.Context, c cases.Case) (string, error) {
	set, err := jwk.Fetch(ctx, c.JWKSURL)
	if err != nil {
		return "", err
	}
	tok, err := jwt.Parse([]byte(c.Token),
		jwt.WithKeySet(set),
		jwt.WithIssuer(c.Issuer),
		jwt.WithAudience(c.Audience),
		jwt.WithRequiredClaim("exp"),
	)
	if err != nil {
		return "", err
	}
	return tok.Subject(), nil
}
