package cmd

import (
	"context"
	"io"
	"testing"
	"time"

	"github.com/baverify/baverify/internal/httpclient"
	"github.com/baverify/baverify/internal/iostreams"
)

// BenchmarkExecute is one whole run of a command, in process: the command
// tree, flag parsing, reading the files, verifying, rendering. The process
// start-up around it is measured by scripts/bench-startup.sh.
func BenchmarkExecute(b *testing.B) {
	rt := loadReal(b, "EdDSA")
	at := time.Unix(rt.Iat+60, 0)
	token := []string{"token", "--jwks", rt.JWKSPath, "--issuer", rt.Origin, "--audience", rt.Origin, rt.Token}
	for _, bc := range []struct {
		name string
		args []string
	}{
		{"version", []string{"version"}},
		{"token-decode-only", []string{"token", "--decode-only", rt.Token}},
		{"token", token},
		{"token-json", append(append([]string{}, token...), "-o", "json")},
	} {
		b.Run(bc.name, func(b *testing.B) {
			b.ReportAllocs()
			for b.Loop() {
				ios, _, _, errOut := iostreams.Test()
				ios.Out = io.Discard
				f := &Factory{IO: ios, Getenv: func(string) string { return "" }, Now: func() time.Time { return at },
					HTTPClient: httpclient.New, Version: BuildInfo{Version: "bench"}}
				if code := Execute(context.Background(), f, bc.args); code != ExitOK {
					b.Fatalf("exit %d: %s", code, errOut)
				}
			}
		})
	}
}
