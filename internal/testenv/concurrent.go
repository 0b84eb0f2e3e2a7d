package testenv

import (
	"strings"
	"sync"
	"testing"
)

// Concurrently runs f(tb, i) for every i in [0, n) at once, each on its own
// goroutine, and returns when all have returned. A Fatal inside f ends only
// its own goroutine (testing forbids FailNow off the test goroutine); every
// such failure then fails t, together. What f registers with tb.Cleanup
// lives until t ends, so servers started this way serve the rest of the test.
//
// It is for starting several slow servers (a Better Auth server takes
// seconds) in the time of one.
func Concurrently(t testing.TB, n int, f func(tb testing.TB, i int)) {
	t.Helper()
	failures := make([]string, n)
	var wg sync.WaitGroup
	for i := range n {
		wg.Add(1)
		go func() {
			defer wg.Done()
			soft := &softTB{TB: t}
			// softTB ends a failing f with runtime.Goexit, which still runs
			// this goroutine's deferred calls.
			defer func() { failures[i] = soft.failure }()
			f(soft, i)
		}()
	}
	wg.Wait()
	var msgs []string
	for _, m := range failures {
		if m != "" {
			msgs = append(msgs, m)
		}
	}
	if len(msgs) > 0 {
		t.Fatalf("%s", strings.Join(msgs, "\n"))
	}
}
