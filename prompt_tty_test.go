//go:build linux || darwin

package main

import (
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
)

// ptyScript runs baverify (this test binary) on a pseudo-terminal, waits
// until the password prompt has turned echo off, sends it a signal, and
// prints whether echo was back on once baverify ended, and how it ended.
// Python's pty module is the terminal: Go's standard library has none.
const ptyScript = `
import os, pty, select, signal, sys, termios, time
sig = getattr(signal, sys.argv[1])
argv = sys.argv[2:]
pid, fd = pty.fork()
if pid == 0:
    os.execv(argv[0], argv)
def echo():
    return bool(termios.tcgetattr(fd)[3] & termios.ECHO)
out = b''
deadline = time.time() + 30
while b'Password for' not in out or echo():
    if time.time() > deadline:
        print('no prompt with echo off: %r' % out)
        os.kill(pid, signal.SIGKILL)
        sys.exit(3)
    r, _, _ = select.select([fd], [], [], 0.05)
    if r:
        out += os.read(fd, 4096)
os.kill(pid, sig)
# Read what it writes on the way out (SIGQUIT's goroutine dump), so that it
# never blocks on a full terminal.
while True:
    done, status = os.waitpid(pid, os.WNOHANG)
    if done:
        break
    if time.time() > deadline:
        print('still running after %s: %r' % (sys.argv[1], out[-2000:]))
        os.kill(pid, signal.SIGKILL)
        sys.exit(3)
    r, _, _ = select.select([fd], [], [], 0.05)
    if r:
        try:
            out += os.read(fd, 65536)
        except OSError:
            pass
how = 'signal %d' % os.WTERMSIG(status) if os.WIFSIGNALED(status) else 'exit %d' % os.WEXITSTATUS(status)
print('echo=%s %s' % ('on' if echo() else 'off', how))
`

// Ctrl-C, SIGTERM, SIGHUP or SIGQUIT at login's password prompt leave the terminal
// as it was (echo on), and the run still ends by the signal.
func TestPromptSignalRestoresEcho(t *testing.T) {
	python, err := exec.LookPath("python3")
	if err != nil {
		t.Skip("no python3 for a pseudo-terminal")
	}
	script := filepath.Join(t.TempDir(), "prompt_signal.py")
	if err := os.WriteFile(script, []byte(ptyScript), 0o600); err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct{ sig, want string }{
		{"SIGINT", "echo=on exit 130"}, // Ctrl-C: the command's handler, "interrupted"
		{"SIGTERM", "echo=on signal 15"},
		{"SIGHUP", "echo=on signal 1"},
		// Go's own answer to SIGQUIT: a goroutine dump and exit 2.
		{"SIGQUIT", "echo=on exit 2"},
	} {
		t.Run(tc.sig, func(t *testing.T) {
			cmd := exec.Command(python, script, tc.sig, os.Args[0],
				"login", "--base-url", "http://127.0.0.1:9", "--email", "someone@example.com")
			cmd.Env = append(os.Environ(), "BAVERIFY_RUN_MAIN=1", "BAVERIFY_CACHE_DIR="+t.TempDir(), "BAVERIFY_PASSWORD=")
			out, err := cmd.CombinedOutput()
			if err != nil {
				t.Fatalf("%v\n%s", err, out)
			}
			if got := strings.TrimSpace(string(out)); got != tc.want {
				t.Fatalf("got %q, want %q", got, tc.want)
			}
		})
	}
}
