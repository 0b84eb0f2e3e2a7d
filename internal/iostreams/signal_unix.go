//go:build unix

package iostreams

import (
	"os"
	"os/signal"
	"syscall"
	"time"
)

// endingSignals end a run that waits at a password prompt, besides SIGINT
// (Ctrl-C), which the command's own handler turns into a cancelled context.
func endingSignals() []os.Signal {
	return []os.Signal{syscall.SIGHUP, syscall.SIGTERM, syscall.SIGQUIT}
}

// reraise ends the process by sig, as it would have ended without a
// handler: the default action back, then the signal again.
func reraise(sig os.Signal) {
	signal.Reset(sig)
	if s, ok := sig.(syscall.Signal); ok {
		_ = syscall.Kill(syscall.Getpid(), s)
		// The signal is delivered asynchronously; give it a moment.
		time.Sleep(time.Second)
	}
}
