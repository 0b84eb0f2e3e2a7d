// Package golangjwtv4: golang-jwt v4 with keyfunc v1 (keyfunc.Get on the
// JWKS URL), as the two READMEs of those versions show; golang-jwt v4
// checks iss and aud only when asked, so they are checked by its
// VerifyIssuer and VerifyAudience.
package golangjwtv4

import (
	"context"
	"errors"

	"github.com/MicahParks/keyfunc"
	"github.com/golang-jwt/jwt/v4"

	"baverify.test/compat/internal/cases"
)

// Verify verifies c the way this setup does and returns its subject.
func Verify(ctx context.Context, c cases.Case) (string, error) {
	jwks, err := keyfunc.Get(c.JWKSURL, keyfunc.Options{Ctx: ctx})
	if err != nil {
		return "", err
	}
	defer jwks.EndBackground()
	claims := jwt.MapClaims{}
	_, err = jwt.ParseWithClaims(c.Token, claims, jwks.Keyfunc, jwt.WithValidMethods([]string{c.Alg}))
	if err != nil {
		return "", err
	}
	if !claims.VerifyIssuer(c.Issuer, true) || !claims.VerifyAudience(c.Audience, true) || !claims.VerifyExpiresAt(jwt.TimeFunc().Unix(), true) {
		return "", errors.New("iss, aud or exp is not as expected")
	}
	sub, _ := claims["sub"].(string)
	return sub, nil
}
