package testenv

import (
	"fmt"
	"strings"
	"sync"
	"testing"
	"time"
)

// fatalRecorder records Fatalf instead of ending the test, so that a test
// can check what Concurrently reports.
type fatalRecorder struct {
	testing.TB
	fatal string
}

func (r *fatalRecorder) Fatalf(format string, args ...any) { r.fatal = fmt.Sprintf(format, args...) }

// Every f runs at the same time: each waits for all the others to start.
func TestConcurrentlyRunsAllAtOnce(t *testing.T) {
	const n = 5
	var started sync.WaitGroup
	started.Add(n)
	all := make(chan struct{})
	go func() { started.Wait(); close(all) }()
	rec := &fatalRecorder{TB: t}
	Concurrently(rec, n, func(tb testing.TB, i int) {
		started.Done()
		select {
		case <-all:
		case <-time.After(10 * time.Second):
			tb.Fatalf("f(%d) waited for the others in vain: they run one after another", i)
		}
	})
	if rec.fatal != "" {
		t.Fatal(rec.fatal)
	}
}

// A Fatal ends its own f only; the others finish, and every failure is
// reported, together.
func TestConcurrentlyReportsEveryFailure(t *testing.T) {
	var mu sync.Mutex
	finished := map[int]bool{}
	rec := &fatalRecorder{TB: t}
	Concurrently(rec, 4, func(tb testing.TB, i int) {
		if i%2 == 1 {
			tb.Fatalf("server %d failed", i)
		}
		mu.Lock()
		finished[i] = true
		mu.Unlock()
	})
	if !finished[0] || !finished[2] || finished[1] || finished[3] {
		t.Errorf("finished %v, want 0 and 2 only", finished)
	}
	if !strings.Contains(rec.fatal, "server 1 failed") || !strings.Contains(rec.fatal, "server 3 failed") {
		t.Errorf("reported %q, want both failures", rec.fatal)
	}
}
