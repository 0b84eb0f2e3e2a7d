// Package fiberjwt: Fiber v2 with gofiber/contrib/jwt and JWKSetURLs, as
// its README shows. The middleware checks the signature and exp; iss and
// aud are checked in the handler (contrib/jwt does not check them). Its
// default ErrorHandler answers 400 for a missing token, else 401.
package fiberjwt

import (
	"net"

	jwtware "github.com/gofiber/contrib/jwt"
	"github.com/gofiber/fiber/v2"
	"github.com/golang-jwt/jwt/v5"

	"baverify.test/compat/internal/cases"
)

type server struct{ app *fiber.App }

func (s server) Serve(ln net.Listener) error { return s.app.Listener(ln) }
func (s server) Close() error                { return s.app.Shutdown() }

// Serve builds the app for c.
func Serve(c cases.Case, record func(error)) cases.Server {
	app := fiber.New(fiber.Config{DisableStartupMessage: true})
	app.Use(jwtware.New(jwtware.Config{
		JWKSetURLs: []string{c.JWKSURL},
		ErrorHandler: func(ctx *fiber.Ctx, err error) error {
			record(err)
			if err.Error() == jwtware.ErrJWTMissingOrMalformed.Error() { // its default handler, plus record
				return ctx.Status(fiber.StatusBadRequest).SendString(jwtware.ErrJWTMissingOrMalformed.Error())
			}
			return ctx.Status(fiber.StatusUnauthorized).SendString("Invalid or expired JWT")
		},
	}))
	app.Get("/me", func(ctx *fiber.Ctx) error {
		claims := ctx.Locals("user").(*jwt.Token).Claims
		iss, _ := claims.GetIssuer()
		aud, _ := claims.GetAudience()
		if iss != c.Issuer || len(aud) != 1 || aud[0] != c.Audience {
			return ctx.Status(fiber.StatusUnauthorized).SendString("iss or aud")
		}
		sub, _ := claims.GetSubject()
		return ctx.JSON(fiber.Map{"sub": sub})
	})
	return server{app}
}
