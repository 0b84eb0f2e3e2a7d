// Command baverify debugs the JWTs that Better Auth issues, the JWKS that
// publishes their keys, and the backends that accept them.
package main

import (
	"context"
	"os"
	"os/signal"

	"github.com/baverify/baverify/cmd"
)

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt)
	code := cmd.Execute(ctx, cmd.SystemFactory(), os.Args[1:])
	stop()
	os.Exit(code)
}
