// Package progress tells a person at a terminal what a run is waiting for
// when a wait lasts: a network request that has not answered after a
// second says what it waits for and which bound applies, instead of
// silence until the timeout. It never prints: the caller says where a line
// goes (stderr, on a terminal only), and the timer is injected so that
// tests fire it by hand.
package progress

import (
	"net/http"
	"net/url"
	"sync"
	"time"
)

// DefaultDelay is how long a wait lasts before it is announced.
const DefaultDelay = time.Second

// AfterFunc runs f once d has passed, unless the stop function it returns
// is called first; time.AfterFunc's shape, so that tests can fake it.
type AfterFunc func(d time.Duration, f func()) (stop func() bool)

// Real is AfterFunc on the process's clock.
func Real(d time.Duration, f func()) func() bool { return time.AfterFunc(d, f).Stop }

// Waits announces the waits of one command run.
type Waits struct {
	// Say writes one announcement (a line without its line ending).
	Say func(line string)
	// After schedules an announcement; nil means Real.
	After AfterFunc
	// Delay is how long a wait lasts before it is announced; 0 means
	// DefaultDelay.
	Delay time.Duration
	// Timeout is the bound that ends the wait, and Flag the flag that
	// sets it ("--timeout"); both are named in the announcement.
	Timeout time.Duration
	Flag    string

	mu   sync.Mutex
	said map[string]bool
}

// Start begins a wait for what; the returned function ends it. A wait
// that lasts Delay is announced once per run and what, so that a command
// that asks the same URL many times says it once.
func (w *Waits) Start(what string) (done func()) {
	after := w.After
	if after == nil {
		after = Real
	}
	delay := w.Delay
	if delay <= 0 {
		delay = DefaultDelay
	}
	stop := after(delay, func() { w.announce(what) })
	return func() { stop() }
}

func (w *Waits) announce(what string) {
	w.mu.Lock()
	if w.said[what] {
		w.mu.Unlock()
		return
	}
	if w.said == nil {
		w.said = map[string]bool{}
	}
	w.said[what] = true
	w.mu.Unlock()
	line := "waiting for " + what
	if w.Timeout > 0 {
		line += " (timeout " + w.Timeout.String()
		if w.Flag != "" {
			line += ", " + w.Flag
		}
		line += ")"
	}
	w.Say(line + "…")
}

// Transport wraps next (nil: http.DefaultTransport) so that every request
// that waits longer than Delay for its answer is announced. The request's
// URL is shown without userinfo, query or fragment: those can hold
// credentials.
func (w *Waits) Transport(next http.RoundTripper) http.RoundTripper {
	if next == nil {
		next = http.DefaultTransport
	}
	return roundTripper{w: w, next: next}
}

type roundTripper struct {
	w    *Waits
	next http.RoundTripper
}

func (rt roundTripper) RoundTrip(req *http.Request) (*http.Response, error) {
	done := rt.w.Start(Describe(req.Method, req.URL))
	defer done()
	return rt.next.RoundTrip(req)
}

// Describe is a request as an announcement names it: "http://host/path",
// with the method when it is not GET, and "?…" for a query it leaves out.
func Describe(method string, u *url.URL) string {
	s := u.Scheme + "://" + u.Host + u.EscapedPath()
	if u.RawQuery != "" {
		s += "?…"
	}
	if method != "" && method != http.MethodGet {
		s = method + " " + s
	}
	return s
}
