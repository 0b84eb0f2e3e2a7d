package batch

import (
	"context"
	"strings"
	"sync"
	"testing"

	"github.com/baverify/baverify/internal/verify"
)

// peak records the largest value it is told.
type peak struct {
	mu  sync.Mutex
	max int
}

func (p *peak) see(n int) {
	p.mu.Lock()
	if n > p.max {
		p.max = n
	}
	p.mu.Unlock()
}

// The input held at once is bounded in bytes, whatever the number of
// workers: long lines, ordinary tokens and lines longer than the whole
// budget all pass, in order, and the bytes held (buffers of chunks in
// flight and kept for reuse) never exceed the budget, except by one chunk
// when a single line is longer than the budget and nothing else is held.
// Long lines are verified within MaxVerifyingBytes at a time.
func TestRunBoundsBytesInFlight(t *testing.T) {
	k := newSigner(t, "k1")
	valid := k.sign(claims())
	long := k.sign(claims("pad", strings.Repeat("p", 200<<10))) // a valid token of ~270 KiB
	var lines []string
	for i := 0; i < 60; i++ {
		lines = append(lines, long, valid, strings.Repeat("x", 100<<10), valid)
	}
	input := strings.Join(lines, "\n") + "\n"
	const budget = 1 << 20
	for _, workers := range []int{1, 4, 64, 256} {
		var held, verifying peak
		got, n, err := runAll(t, verifier(t, k), input, Options{Workers: workers, MaxInFlight: budget, held: held.see, verifying: verifying.see})
		if err != nil || n != int64(len(lines)) || len(got) != len(lines) {
			t.Fatalf("-j %d: %d lines read, %d results, %v", workers, n, len(got), err)
		}
		for i, g := range got {
			want := Valid
			if i%4 == 2 {
				want = Invalid
			}
			if g.Number != int64(i+1) || g.Verdict != want {
				t.Fatalf("-j %d: line %d: %+v", workers, i+1, g)
			}
		}
		if held.max > budget+maxPooledBytes {
			t.Errorf("-j %d: %d bytes of input held at once, budget %d (+%d kept for reuse)", workers, held.max, budget, maxPooledBytes)
		}
		if held.max == 0 {
			t.Errorf("-j %d: the bytes held were never counted", workers)
		}
		if verifying.max > MaxVerifyingBytes {
			t.Errorf("-j %d: %d bytes of long lines verified at once, bound %d", workers, verifying.max, MaxVerifyingBytes)
		}
	}

	// Lines longer than the whole budget still pass, one at a time.
	var held peak
	big := strings.Join([]string{long, long, long, valid}, "\n")
	got, _, err := runAll(t, verifier(t, k), big, Options{Workers: 8, MaxInFlight: 64 << 10, held: held.see})
	if err != nil || len(got) != 4 || got[0].Verdict != Valid || got[3].Verdict != Valid {
		t.Fatalf("%+v %v", got, err)
	}
	// One line's buffer (grown by doubling) and, while it grows, the one before.
	if limit := 3*len(long) + maxPooledBytes; held.max > limit {
		t.Errorf("%d bytes held for lines of %d bytes with a budget of 64 KiB; want at most %d", held.max, len(long), limit)
	}
}

// A reader waiting for bytes ends with the run: a cancelled context or an
// emit error does not leave it blocked.
func TestRunCancelWhileWaitingForBytes(t *testing.T) {
	k := newSigner(t, "k1")
	long := k.sign(claims("pad", strings.Repeat("p", 100<<10)))
	input := strings.Repeat(long+"\n", 200)
	b, err := verify.NewBatch(context.Background(), verifier(t, k))
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	seen := 0
	_, err = Run(ctx, strings.NewReader(input), b, Options{Workers: 4, MaxInFlight: 256 << 10}, func(*Line) error {
		seen++
		if seen == 3 {
			cancel()
		}
		return nil
	})
	if err != context.Canceled {
		t.Fatalf("err %v after %d lines", err, seen)
	}
}
