// Package iostreams carries a command's standard streams and what is known
// about them, so commands never touch os.Stdout and tests swap in buffers.
package iostreams

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"os"
	"os/signal"

	"github.com/mattn/go-isatty"
	"golang.org/x/term"
)

// IOStreams are the streams of one command run.
type IOStreams struct {
	In     io.Reader
	Out    io.Writer
	ErrOut io.Writer

	InIsTTY  bool
	OutIsTTY bool
	ErrIsTTY bool

	// ReadPassword reads one line from the terminal with echo off; nil
	// when stdin is not a terminal (no prompt is possible). Tests inject
	// their own.
	ReadPassword func(ctx context.Context) (string, error)
}

// System returns the process's streams. It only asks the kernel whether each
// descriptor is a terminal (one ioctl each); it never queries the terminal
// itself, which can stall for seconds when a pty does not answer.
func System() *IOStreams {
	ios := &IOStreams{
		In:       os.Stdin,
		Out:      os.Stdout,
		ErrOut:   os.Stderr,
		InIsTTY:  isTerminal(os.Stdin),
		OutIsTTY: isTerminal(os.Stdout),
		ErrIsTTY: isTerminal(os.Stderr),
	}
	if ios.InIsTTY {
		// Only a closure: the terminal is touched when a prompt is needed.
		ios.ReadPassword = func(ctx context.Context) (string, error) { return readPassword(ctx, int(os.Stdin.Fd())) }
	}
	return ios
}

// readPassword reads a line from the terminal fd with echo off. Ctrl-C
// cancels ctx (the command's signal handler catches SIGINT while it waits);
// the other signals that end a run (SIGHUP, SIGTERM, SIGQUIT) are caught
// here for as long as echo is off. Either way the terminal's state is put
// back first, since the read itself cannot be interrupted and the process
// is about to end: without that, the shell is left with echo off.
func readPassword(ctx context.Context, fd int) (string, error) {
	state, err := term.GetState(fd)
	if err != nil {
		return "", err
	}
	sigs := make(chan os.Signal, 1)
	for _, sig := range endingSignals() {
		// A signal ignored from the start (nohup) ends nothing: leave it so.
		if !signal.Ignored(sig) {
			signal.Notify(sigs, sig)
		}
	}
	defer signal.Stop(sigs)
	return promptWith(ctx, sigs,
		func() ([]byte, error) { return term.ReadPassword(fd) },
		func() { _ = term.Restore(fd, state) },
		reraise)
}

// promptWith runs read (a terminal read with echo off) until it returns,
// ctx ends, or a signal comes on sigs. On ctx's end it calls restore and
// returns ctx's error; on a signal it calls restore, then die with the
// signal, which ends the process as the signal would have.
func promptWith(ctx context.Context, sigs <-chan os.Signal, read func() ([]byte, error), restore func(), die func(os.Signal)) (string, error) {
	type line struct {
		b   []byte
		err error
	}
	done := make(chan line, 1)
	go func() {
		b, err := read()
		done <- line{b, err}
	}()
	select {
	case l := <-done:
		return string(l.b), l.err
	case <-ctx.Done():
		restore()
		return "", ctx.Err()
	case sig := <-sigs:
		restore()
		die(sig)
		// die returns only when the signal did not end the process.
		return "", fmt.Errorf("%v while reading the password", sig)
	}
}

func isTerminal(f *os.File) bool {
	fd := f.Fd()
	return isatty.IsTerminal(fd) || isatty.IsCygwinTerminal(fd)
}

// Test returns streams backed by buffers: stdin, stdout, stderr.
func Test() (*IOStreams, *bytes.Buffer, *bytes.Buffer, *bytes.Buffer) {
	in, out, errOut := &bytes.Buffer{}, &bytes.Buffer{}, &bytes.Buffer{}
	return &IOStreams{In: in, Out: out, ErrOut: errOut}, in, out, errOut
}

// ColorMode is the --color flag.
type ColorMode string

const (
	ColorAuto   ColorMode = "auto"
	ColorAlways ColorMode = "always"
	ColorNever  ColorMode = "never"
)

// UseColor decides once whether styled output goes to a stream: never when
// NO_COLOR has any non-empty value (no-color.org) or --color never; always
// with --color always; otherwise only on a terminal, and not on TERM=dumb.
func UseColor(mode ColorMode, isTTY bool, getenv func(string) string) bool {
	switch mode {
	case ColorNever:
		return false
	case ColorAlways:
		return true
	}
	if getenv("NO_COLOR") != "" {
		return false
	}
	if getenv("TERM") == "dumb" {
		return false
	}
	return isTTY
}
