// Command baverify debugs the JWTs that Better Auth issues, the JWKS that
// publishes their keys, and the backends that accept them.
package main

import (
	"bufio"
	"context"
	"os"

	"github.com/baverify/baverify/cmd"
)

func main() {
	f := cmd.SystemFactory()
	// Output is buffered and written once at exit: a report of forty lines
	// is then one write, not forty.
	out := bufio.NewWriterSize(os.Stdout, 64*1024)
	f.IO.Out = out
	code := cmd.Execute(context.Background(), f, os.Args[1:])
	if err := out.Flush(); err != nil && code == 0 {
		code = 1 // stdout closed early (a pipe reader left): the report is lost
	}
	os.Exit(code)
}
