// Package gojwtmiddleware: auth0's go-jwt-middleware v2 on net/http, with
// its jwks.Provider on the JWKS URL (WithCustomJWKSURI) and its validator
// for the algorithm, issuer and audience, as its README shows. Its
// DefaultErrorHandler answers 401 for an invalid token, else 500.
package gojwtmiddleware

import (
	"encoding/json"
	"net/http"
	"net/url"

	jwtmiddleware "github.com/auth0/go-jwt-middleware/v2"
	"github.com/auth0/go-jwt-middleware/v2/jwks"
	"github.com/auth0/go-jwt-middleware/v2/validator"

	"baverify.test/compat/internal/cases"
)

// Serve builds the app for c.
func Serve(c cases.Case, record func(error)) cases.Server {
	issuer, _ := url.Parse(c.Issuer)
	jwksURL, _ := url.Parse(c.JWKSURL)
	provider := jwks.NewProvider(issuer, jwks.WithCustomJWKSURI(jwksURL))
	v, err := validator.New(provider.KeyFunc, validator.SignatureAlgorithm(c.Alg), c.Issuer, []string{c.Audience})
	mux := http.NewServeMux()
	if err != nil {
		// The validator refuses the algorithm: the app cannot start.
		mux.HandleFunc("/me", func(w http.ResponseWriter, r *http.Request) {
			record(err)
			http.Error(w, "validator: "+err.Error(), http.StatusInternalServerError)
		})
		return cases.HTTPServer{Server: &http.Server{Handler: mux}}
	}
	mw := jwtmiddleware.New(v.ValidateToken, jwtmiddleware.WithErrorHandler(func(w http.ResponseWriter, r *http.Request, err error) {
		record(err)
		jwtmiddleware.DefaultErrorHandler(w, r, err)
	}))
	mux.Handle("/me", mw.CheckJWT(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		claims := r.Context().Value(jwtmiddleware.ContextKey{}).(*validator.ValidatedClaims)
		_ = json.NewEncoder(w).Encode(map[string]string{"sub": claims.RegisteredClaims.Subject})
	})))
	return cases.HTTPServer{Server: &http.Server{Handler: mux}}
}
