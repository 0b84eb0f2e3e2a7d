package main

import (
	"bytes"
	"errors"
	"net/http"
	"net/http/httptest"
	"os"
	"os/exec"
	"strings"
	"syscall"
	"testing"
	"time"
)

// baverify runs the real main in a child process (this test binary).
func baverify(args ...string) *exec.Cmd {
	cmd := exec.Command(os.Args[0], args...)
	cmd.Env = append(os.Environ(), "BAVERIFY_RUN_MAIN=1", "BAVERIFY_CACHE_DIR="+os.TempDir())
	return cmd
}

// Ctrl-C while baverify waits on the network ends the run with exit code
// 130 and says so, whichever command is waiting.
func TestInterruptWhileWaitingOnTheNetwork(t *testing.T) {
	arrived := make(chan struct{}, 4)
	release := make(chan struct{})
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		arrived <- struct{}{}
		select {
		case <-release:
		case <-r.Context().Done():
		}
	}))
	defer srv.Close()
	defer close(release)
	for _, args := range [][]string{
		{"jwks", "--no-cache", srv.URL + "/api/auth/jwks"},
		{"call", "--no-token", srv.URL + "/api/me"},
	} {
		t.Run(args[0], func(t *testing.T) {
			cmd := baverify(args...)
			var stderr bytes.Buffer
			cmd.Stderr = &stderr
			if err := cmd.Start(); err != nil {
				t.Fatal(err)
			}
			select {
			case <-arrived:
			case <-time.After(10 * time.Second):
				cmd.Process.Kill()
				t.Fatalf("the request never arrived\n%s", stderr.String())
			}
			if err := cmd.Process.Signal(os.Interrupt); err != nil {
				t.Fatal(err)
			}
			err := cmd.Wait()
			var exit *exec.ExitError
			if !errors.As(err, &exit) || exit.ExitCode() != 130 || !strings.Contains(stderr.String(), "baverify: interrupted") {
				t.Fatalf("exit %v, stderr:\n%s", err, stderr.String())
			}
		})
	}
}

// A run on local files installs no signal handler (it ends in
// milliseconds); Ctrl-C then ends it by SIGINT, which a shell reports as
// 130 as well. Here: stdin never closes, so the run waits until the signal.
func TestInterruptLocalRun(t *testing.T) {
	cmd := baverify("token", "-")
	stdin, err := cmd.StdinPipe()
	if err != nil {
		t.Fatal(err)
	}
	defer stdin.Close()
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	time.Sleep(200 * time.Millisecond) // the child is reading stdin
	if err := cmd.Process.Signal(os.Interrupt); err != nil {
		t.Fatal(err)
	}
	done := make(chan error, 1)
	go func() { done <- cmd.Wait() }()
	select {
	case err = <-done:
	case <-time.After(10 * time.Second):
		cmd.Process.Kill()
		t.Fatal("Ctrl-C did not end a run blocked on stdin")
	}
	var exit *exec.ExitError
	if !errors.As(err, &exit) {
		t.Fatalf("exit %v", err)
	}
	ws, ok := exit.Sys().(syscall.WaitStatus)
	if !ok || !ws.Signaled() || ws.Signal() != syscall.SIGINT {
		t.Fatalf("want death by SIGINT (a shell's 130), got %v", exit)
	}
}
