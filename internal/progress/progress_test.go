package progress

import (
	"net/http"
	"net/url"
	"slices"
	"sync"
	"testing"
	"time"
)

// fakeTimers records scheduled announcements; the test fires them.
type fakeTimers struct {
	mu      sync.Mutex
	pending []*fakeTimer
}

type fakeTimer struct {
	d       time.Duration
	f       func()
	stopped bool
}

func (ft *fakeTimers) after(d time.Duration, f func()) func() bool {
	ft.mu.Lock()
	defer ft.mu.Unlock()
	t := &fakeTimer{d: d, f: f}
	ft.pending = append(ft.pending, t)
	return func() bool {
		ft.mu.Lock()
		defer ft.mu.Unlock()
		was := !t.stopped
		t.stopped = true
		return was
	}
}

// fire runs every timer not stopped, as if its delay had passed.
func (ft *fakeTimers) fire() {
	ft.mu.Lock()
	var due []*fakeTimer
	for _, t := range ft.pending {
		if !t.stopped {
			t.stopped = true
			due = append(due, t)
		}
	}
	ft.mu.Unlock()
	for _, t := range due {
		t.f()
	}
}

type lines struct {
	mu  sync.Mutex
	got []string
}

func (l *lines) say(s string) {
	l.mu.Lock()
	defer l.mu.Unlock()
	l.got = append(l.got, s)
}

func (l *lines) all() []string {
	l.mu.Lock()
	defer l.mu.Unlock()
	return slices.Clone(l.got)
}

type roundTripFunc func(*http.Request) (*http.Response, error)

func (f roundTripFunc) RoundTrip(r *http.Request) (*http.Response, error) { return f(r) }

// A request that has not answered when the delay passes is announced once,
// with the bound that ends it; one that answered first is not.
func TestTransportAnnouncesALongWait(t *testing.T) {
	var timers fakeTimers
	var out lines
	w := &Waits{Say: out.say, After: timers.after, Timeout: 10 * time.Second, Flag: "--timeout"}
	release := make(chan struct{})
	started := make(chan struct{}, 2)
	slow := w.Transport(roundTripFunc(func(r *http.Request) (*http.Response, error) {
		started <- struct{}{}
		<-release
		return &http.Response{StatusCode: 200, Body: http.NoBody, Request: r}, nil
	}))
	errs := make(chan error, 2)
	for range 2 { // the same URL twice: said once
		go func() {
			req, _ := http.NewRequest(http.MethodGet, "http://user:pw@127.0.0.1:3000/api/auth/jwks?access_token=secret", nil)
			_, err := slow.RoundTrip(req)
			errs <- err
		}()
	}
	<-started
	<-started
	if got := out.all(); len(got) != 0 {
		t.Fatalf("announced before the delay: %q", got)
	}
	timers.fire()
	want := []string{"waiting for http://127.0.0.1:3000/api/auth/jwks?… (timeout 10s, --timeout)…"}
	if got := out.all(); !slices.Equal(got, want) {
		t.Fatalf("got %q, want %q", got, want)
	}
	close(release)
	for range 2 {
		if err := <-errs; err != nil {
			t.Fatal(err)
		}
	}
	for _, d := range timers.pending {
		if d.d != DefaultDelay {
			t.Fatalf("delay %v, want %v", d.d, DefaultDelay)
		}
	}

	// An answer before the delay stops the timer: nothing is said.
	var quiet lines
	w2 := &Waits{Say: quiet.say, After: timers.after, Timeout: time.Second}
	fast := w2.Transport(roundTripFunc(func(r *http.Request) (*http.Response, error) {
		return &http.Response{StatusCode: 200, Body: http.NoBody, Request: r}, nil
	}))
	req, _ := http.NewRequest(http.MethodPost, "https://app.example.com/api/auth/sign-in/email", nil)
	if _, err := fast.RoundTrip(req); err != nil {
		t.Fatal(err)
	}
	timers.fire()
	if got := quiet.all(); len(got) != 0 {
		t.Fatalf("a fast answer was announced: %q", got)
	}
}

func TestDescribe(t *testing.T) {
	for _, tc := range []struct{ method, url, want string }{
		{"GET", "https://app.example.com/api/auth/jwks", "https://app.example.com/api/auth/jwks"},
		{"POST", "http://127.0.0.1:3000/api/auth/sign-in/email", "POST http://127.0.0.1:3000/api/auth/sign-in/email"},
		{"GET", "https://u:p@api.example.com/x?token=abc#f", "https://api.example.com/x?…"},
	} {
		u, err := url.Parse(tc.url)
		if err != nil {
			t.Fatal(err)
		}
		if got := Describe(tc.method, u); got != tc.want {
			t.Errorf("%s %s: %q, want %q", tc.method, tc.url, got, tc.want)
		}
	}
}
