package cmd

import (
	"context"
	"net/http"
	"os"
	"os/signal"
	"path/filepath"
	"time"

	"github.com/baverify/baverify/internal/httpclient"
	"github.com/baverify/baverify/internal/iostreams"
	"github.com/baverify/baverify/internal/progress"
)

// Factory holds what commands depend on. Tests build one with buffers, a
// fixed clock and their own HTTP transport; nothing is package-level state.
type Factory struct {
	IO     *iostreams.IOStreams
	Getenv func(string) string
	Now    func() time.Time
	// HTTPClient builds the client for the network flags. Tests replace it.
	HTTPClient func(httpclient.Options) (*http.Client, error)
	// CacheDir returns the JWKS cache directory ("" disables the cache).
	CacheDir func() (string, error)
	// Interrupt returns a context that Ctrl-C cancels. Commands call it
	// (through interruptible) only before they wait on the network: a run
	// on local files ends in milliseconds, and a signal handler costs a
	// goroutine, a thread and a measurable share of start-up. Without one,
	// Ctrl-C kills the process by SIGINT, which shells report as 130 too.
	// Nil (tests) means no signal handling.
	Interrupt func(context.Context) (context.Context, context.CancelFunc)
	// After schedules the "waiting for ..." line of a network wait that
	// lasts (stderr, on a terminal only). Nil (tests) means no such lines;
	// tests that check them inject their own timer.
	After   progress.AfterFunc
	Version BuildInfo
}

// interruptible is ctx, cancelled by Ctrl-C when the factory can watch for
// it; the run then ends with exit code 130 and "interrupted".
func (f *Factory) interruptible(ctx context.Context) (context.Context, context.CancelFunc) {
	if f.Interrupt == nil {
		return ctx, func() {}
	}
	return f.Interrupt(ctx)
}

// BuildInfo is set by the linker in release builds.
type BuildInfo struct {
	Version, Commit, Date string
}

// Set by the linker: -X github.com/baverify/baverify/cmd.version=...
var (
	version = ""
	commit  = ""
	date    = ""
)

// SystemFactory returns the factory for a real run: the process's streams,
// environment and clock, and the shared HTTP client.
func SystemFactory() *Factory {
	return &Factory{
		IO:         iostreams.System(),
		Getenv:     os.Getenv,
		Now:        time.Now,
		HTTPClient: httpclient.New,
		CacheDir: func() (string, error) {
			if d := os.Getenv("BAVERIFY_CACHE_DIR"); d != "" {
				return d, nil
			}
			d, err := os.UserCacheDir()
			if err != nil {
				return "", err
			}
			return filepath.Join(d, "baverify"), nil
		},
		Interrupt: func(ctx context.Context) (context.Context, context.CancelFunc) {
			return signal.NotifyContext(ctx, os.Interrupt)
		},
		After:   progress.Real,
		Version: BuildInfo{Version: version, Commit: commit, Date: date},
	}
}
