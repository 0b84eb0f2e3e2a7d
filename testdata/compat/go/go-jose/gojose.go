// go-jose: the JWKS unmarshalled into a jose.JSONWebKeySet, jwt.ParseSigned
// with the expected algorithm, Claims with the key set (picked by kid),
// then Validate with the issuer and audience, as go-jose's docs show.
package gojose

import (
	"context"
	"encoding/json"
	"time"

	"github.com/go-jose/go-jose/v4"
	"github.com/go-jose/go-jose/v4/jwt"

	"baverify.test/compat/internal/cases"
)

// Verify verifies c the way this setup does and returns its subject.
func Verify(ctx context.Context, c cases.Case) (string, error) {
	body, err := cases.FetchJWKS(ctx, c.JWKSURL)
	if err != nil {
		return "", err
	}
	var set jose.JSONWebKeySet
	if err := json.Unmarshal(body, &set); err != nil {
		return "", err
	}
	tok, err := jwt.ParseSigned(c.Token, []jose.SignatureAlgorithm{jose.SignatureAlgorithm(c.Alg)})
	if err != nil {
		return "", err
	}
	var claims jwt.Claims
	if err := tok.Claims(set, &claims); err != nil {
		return "", err
	}
	if claims.Expiry == nil {
		return "", jwt.ErrExpired
	}
	if err := claims.Validate(jwt.Expected{
		Issuer:      c.Issuer,
		AnyAudience: jwt.Audience{c.Audience},
		Time:        time.Now(),
	}); err != nil {
		return "", err
	}
	return claims.Subject, nil
}
