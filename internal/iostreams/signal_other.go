//go:build !unix

package iostreams

import (
	"os"
	"syscall"
)

// endingSignals end a run that waits at a password prompt, besides SIGINT
// (Ctrl-C), which the command's own handler turns into a cancelled context.
func endingSignals() []os.Signal { return []os.Signal{syscall.SIGTERM} }

// reraise ends the process as a shell reports a signal: 128 + its number.
func reraise(sig os.Signal) {
	n := 1
	if s, ok := sig.(syscall.Signal); ok {
		n = int(s)
	}
	os.Exit(128 + n)
}
