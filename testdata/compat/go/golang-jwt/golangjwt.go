// golang-jwt with keyfunc: keyfunc.NewDefaultCtx on the JWKS URL gives the
// Keyfunc of jwt.Parse, with the valid methods, issuer, audience and a
// required exp, as the two READMEs show.
package golangjwt

import (
	"context"

	"github.com/MicahParks/keyfunc/v3"
	"github.com/golang-jwt/jwt/v5"

	"baverify.test/compat/internal/cases"
)

// Verify verifies c the way this setup does and returns its subject.
func Verify(ctx context.Context, c cases.Case) (string, error) {
	k, err := keyfunc.NewDefaultCtx(ctx, []string{c.JWKSURL})
	if err != nil {
		return "", err
	}
	token, err := jwt.Parse(c.Token, k.Keyfunc,
		jwt.WithValidMethods([]string{c.Alg}),
		jwt.WithIssuer(c.Issuer),
		jwt.WithAudience(c.Audience),
		jwt.WithExpirationRequired(),
	)
	if err != nil {
		return "", err
	}
	return token.Claims.GetSubject()
}
