// Package keyfuncv2: golang-jwt v5 with keyfunc v2 (keyfunc.Get on the
// JWKS URL), as keyfunc v2's README shows.
package keyfuncv2

import (
	"context"

	"github.com/MicahParks/keyfunc/v2"
	"github.com/golang-jwt/jwt/v5"

	"baverify.test/compat/internal/cases"
)

// Verify verifies c the way this setup does and returns its subject.
func Verify(ctx context.Context, c cases.Case) (string, error) {
	jwks, err := keyfunc.Get(c.JWKSURL, keyfunc.Options{Ctx: ctx})
	if err != nil {
		return "", err
	}
	defer jwks.EndBackground()
	token, err := jwt.Parse(c.Token, jwks.Keyfunc,
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
