//go:build unix

package iostreams

import (
	"context"
	"os"
	"strings"
	"syscall"
	"testing"
)

// A signal that ends the run while the password prompt waits (echo off)
// puts the terminal back before the process ends by that signal; Ctrl-C
// (a cancelled context) does too; a typed line is returned as typed.
func TestPromptRestoresTheTerminal(t *testing.T) {
	for _, tc := range []struct {
		name    string
		signal  os.Signal
		cancel  bool
		typed   string
		restore bool
		died    os.Signal
	}{
		{name: "SIGTERM", signal: syscall.SIGTERM, restore: true, died: syscall.SIGTERM},
		{name: "SIGHUP", signal: syscall.SIGHUP, restore: true, died: syscall.SIGHUP},
		{name: "SIGQUIT", signal: syscall.SIGQUIT, restore: true, died: syscall.SIGQUIT},
		{name: "Ctrl-C", cancel: true, restore: true},
		{name: "typed", typed: "hunter2"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			var events []string
			block := make(chan struct{})
			defer close(block)
			read := func() ([]byte, error) {
				if tc.typed != "" {
					return []byte(tc.typed), nil
				}
				<-block // the user types nothing
				return nil, nil
			}
			restore := func() { events = append(events, "restore") }
			var died os.Signal
			die := func(s os.Signal) { died = s; events = append(events, "die "+s.String()) }
			ctx, cancel := context.WithCancel(context.Background())
			defer cancel()
			sigs := make(chan os.Signal, 1)
			if tc.signal != nil {
				sigs <- tc.signal
			}
			if tc.cancel {
				cancel()
			}
			got, err := promptWith(ctx, sigs, read, restore, die)
			if tc.typed != "" {
				if got != tc.typed || err != nil || len(events) != 0 {
					t.Fatalf("got %q, %v, events %v", got, err, events)
				}
				return
			}
			if err == nil {
				t.Fatal("no error")
			}
			if len(events) == 0 || events[0] != "restore" {
				t.Fatalf("the terminal was not restored first: events %v", events)
			}
			if died != tc.died {
				t.Fatalf("died by %v, want %v (events %v)", died, tc.died, events)
			}
		})
	}
}

// Every signal that ends a run at the prompt is watched, SIGINT aside
// (the command's handler cancels the context for it).
func TestEndingSignals(t *testing.T) {
	var names []string
	for _, s := range endingSignals() {
		names = append(names, s.String())
	}
	got := strings.Join(names, ", ")
	for _, want := range []string{"terminated", "hangup", "quit"} {
		if !strings.Contains(got, want) {
			t.Errorf("endingSignals() = %s: no %s", got, want)
		}
	}
}
