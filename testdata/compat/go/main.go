// Command compat-go runs the Go setups of baverify's compatibility suite
// (see ../README.md): `compat-go SETUP` reads cases on stdin and prints one
// result a line. One binary for every setup links once, which is most of
// the time of building it; each setup is a package of its own.
package main

import (
	"context"
	"fmt"
	"os"
	"sort"
	"strings"

	"baverify.test/compat/fiberjwt"
	gojose "baverify.test/compat/go-jose"
	"baverify.test/compat/gojwtmiddleware"
	golangjwt "baverify.test/compat/golang-jwt"
	"baverify.test/compat/golangjwtv4"
	"baverify.test/compat/gooidc"
	"baverify.test/compat/internal/cases"
	"baverify.test/compat/jwx"
	"baverify.test/compat/jwxv2"
	"baverify.test/compat/keyfuncv2"
)

type setup struct {
	module    string       // the library's module path
	companion cases.Module // the module used beside it, if any
	verify    func(context.Context, cases.Case) (string, error)
	// serve, instead of verify, builds a framework's app (cases.RunHTTP).
	serve func(cases.Case, func(error)) cases.Server
}

func main() {
	setups := map[string]setup{
		"golang-jwt":        {module: "github.com/golang-jwt/jwt/v5", companion: cases.Module{Name: "keyfunc", Path: "github.com/MicahParks/keyfunc/v3"}, verify: golangjwt.Verify},
		"go-jose":           {module: "github.com/go-jose/go-jose/v4", verify: gojose.Verify},
		"jwx":               {module: "github.com/lestrrat-go/jwx/v3", verify: jwx.Verify},
		"go-oidc":           {module: "github.com/coreos/go-oidc/v3", verify: gooidc.Verify},
		"go-oidc-algs":      {module: "github.com/coreos/go-oidc/v3", verify: gooidc.VerifyAlgs},
		"golang-jwt-v4":     {module: "github.com/golang-jwt/jwt/v4", companion: cases.Module{Name: "keyfunc", Path: "github.com/MicahParks/keyfunc"}, verify: golangjwtv4.Verify},
		"keyfunc-v2":        {module: "github.com/golang-jwt/jwt/v5", companion: cases.Module{Name: "keyfunc", Path: "github.com/MicahParks/keyfunc/v2"}, verify: keyfuncv2.Verify},
		"jwx-v2":            {module: "github.com/lestrrat-go/jwx/v2", verify: jwxv2.Verify},
		"go-jwt-middleware": {module: "github.com/auth0/go-jwt-middleware/v2", serve: gojwtmiddleware.Serve},
		"fiber-jwt":         {module: "github.com/gofiber/contrib/jwt", companion: cases.Module{Name: "fiber", Path: "github.com/gofiber/fiber/v2"}, serve: fiberjwt.Serve},
	}
	var s setup
	ok := len(os.Args) == 2
	if ok {
		s, ok = setups[os.Args[1]]
	}
	if !ok {
		names := make([]string, 0, len(setups))
		for n := range setups {
			names = append(names, n)
		}
		sort.Strings(names)
		fmt.Fprintf(os.Stderr, "usage: compat-go SETUP (one of %s)\n", strings.Join(names, ", "))
		os.Exit(2)
	}
	if s.serve != nil {
		cases.RunHTTP(s.module, s.companion, s.serve)
		return
	}
	cases.Run(s.module, s.companion, s.verify)
}
