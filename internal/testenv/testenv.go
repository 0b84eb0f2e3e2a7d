// Package testenv starts the real servers that baverify's end-to-end tests
// talk to: a Better Auth server (Node.js) and Python backends (FastAPI).
// Everything listens on 127.0.0.1 only. A server that cannot start fails the
// test; it never skips it, so a machine without Node or Python shows red.
package testenv

import (
	"bufio"
	"context"
	"fmt"
	"io"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"
)

// RepoRoot returns the directory that holds go.mod, found by walking up from
// the working directory of the test.
func RepoRoot(t testing.TB) string {
	t.Helper()
	dir, err := os.Getwd()
	if err != nil {
		t.Fatalf("testenv: %v", err)
	}
	for {
		if _, err := os.Stat(filepath.Join(dir, "go.mod")); err == nil {
			return dir
		}
		parent := filepath.Dir(dir)
		if parent == dir {
			t.Fatalf("testenv: no go.mod above the working directory")
		}
		dir = parent
	}
}

// FreePort asks the kernel for a free TCP port on 127.0.0.1. The port is
// released before it is returned, so a caller that starts a process on it
// races other processes; StartProcess callers retry on a bind failure.
func FreePort(t testing.TB) int {
	t.Helper()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatalf("testenv: free port: %v", err)
	}
	defer l.Close()
	return l.Addr().(*net.TCPAddr).Port
}

// Process is a server started for one test.
type Process struct {
	cmd  *exec.Cmd
	mu   sync.Mutex
	logs strings.Builder
}

// Logs returns what the process printed so far (stdout and stderr).
func (p *Process) Logs() string {
	p.mu.Lock()
	defer p.mu.Unlock()
	return p.logs.String()
}

func (p *Process) appendLog(line string) {
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.logs.Len() < 1<<20 {
		p.logs.WriteString(line)
		p.logs.WriteByte('\n')
	}
}

// ProcessSpec describes a server to start.
type ProcessSpec struct {
	Name  string   // for messages
	Dir   string   // working directory
	Path  string   // program
	Args  []string // arguments
	Env   []string // added to the test's environment
	Ready func(line string) bool
	// Wait bounds the start-up; 0 means 30 seconds.
	Wait time.Duration
}

// StartProcess starts spec and waits until a line of its output satisfies
// spec.Ready. The process is killed when the test ends, and its output is
// printed when the test failed.
func StartProcess(t testing.TB, spec ProcessSpec) *Process {
	t.Helper()
	wait := spec.Wait
	if wait == 0 {
		wait = 30 * time.Second
	}
	path, err := exec.LookPath(spec.Path)
	if err != nil {
		t.Fatalf("testenv: %s: %s is not installed here: %v (see .ci/run for what the tests need)", spec.Name, spec.Path, err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	cmd := exec.CommandContext(ctx, path, spec.Args...)
	cmd.Dir = spec.Dir
	cmd.Env = append(os.Environ(), spec.Env...)
	cmd.WaitDelay = 2 * time.Second
	pr, pw := io.Pipe()
	cmd.Stdout = pw
	cmd.Stderr = pw
	p := &Process{cmd: cmd}
	if err := cmd.Start(); err != nil {
		cancel()
		t.Fatalf("testenv: start %s: %v", spec.Name, err)
	}
	ready := make(chan struct{})
	exited := make(chan struct{})
	scanned := make(chan struct{})
	go func() {
		defer close(scanned)
		var once sync.Once
		sc := bufio.NewScanner(pr)
		sc.Buffer(make([]byte, 64*1024), 1<<20)
		for sc.Scan() {
			line := sc.Text()
			p.appendLog(line)
			if spec.Ready != nil && spec.Ready(line) {
				once.Do(func() { close(ready) })
			}
		}
		_, _ = io.Copy(io.Discard, pr)
	}()
	go func() {
		_ = cmd.Wait()
		pw.Close()
		// Wait for the scanner too, so that Logs holds the last lines (a
		// crash report, say) before anyone reports the exit.
		<-scanned
		close(exited)
	}()
	t.Cleanup(func() {
		cancel()
		<-exited
		if t.Failed() {
			t.Logf("--- output of %s ---\n%s", spec.Name, p.Logs())
		}
	})
	select {
	case <-ready:
		return p
	case <-exited:
		t.Fatalf("testenv: %s exited before it was ready:\n%s", spec.Name, p.Logs())
	case <-time.After(wait):
		t.Fatalf("testenv: %s was not ready within %s:\n%s", spec.Name, wait, p.Logs())
	}
	return nil
}

// Errorf formats a failure message that names the server.
func Errorf(name, format string, args ...any) error {
	return fmt.Errorf("testenv: %s: %s", name, fmt.Sprintf(format, args...))
}
