// Command compat-go runs the Go setups of baverify's compatibility suite
// (see ../README.md): `compat-go SETUP` reads cases on stdin and prints one
// result a line. One binary for the three setups links once, which is most
// of the time of building it; each setup is a package of its own.
package main

import (
	"context"
	"fmt"
	"os"
	"sort"
	"strings"

	gojose "baverify.test/compat/go-jose"
	golangjwt "baverify.test/compat/golang-jwt"
	"baverify.test/compat/internal/cases"
	"baverify.test/compat/jwx"
)

type setup struct {
	module    string       // the library's module path
	companion cases.Module // the module used beside it, if any
	verify    func(context.Context, cases.Case) (string, error)
}

func main() {
	setups := map[string]setup{
		"golang-jwt": {"github.com/golang-jwt/jwt/v5", cases.Module{Name: "keyfunc", Path: "github.com/MicahParks/keyfunc/v3"}, golangjwt.Verify},
		"go-jose":    {"github.com/go-jose/go-jose/v4", cases.Module{}, gojose.Verify},
		"jwx":        {"github.com/lestrrat-go/jwx/v3", cases.Module{}, jwx.Verify},
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
	cases.Run(s.module, s.companion, s.verify)
}
