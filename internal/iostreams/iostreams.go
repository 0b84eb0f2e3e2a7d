// Package iostreams carries a command's standard streams and what is known
// about them, so commands never touch os.Stdout and tests swap in buffers.
package iostreams

import (
	"bytes"
	"io"
	"os"

	"github.com/mattn/go-isatty"
)

// IOStreams are the streams of one command run.
type IOStreams struct {
	In     io.Reader
	Out    io.Writer
	ErrOut io.Writer

	InIsTTY  bool
	OutIsTTY bool
	ErrIsTTY bool
}

// System returns the process's streams. It only asks the kernel whether each
// descriptor is a terminal (one ioctl each); it never queries the terminal
// itself, which can stall for seconds when a pty does not answer.
func System() *IOStreams {
	return &IOStreams{
		In:       os.Stdin,
		Out:      os.Stdout,
		ErrOut:   os.Stderr,
		InIsTTY:  isTerminal(os.Stdin),
		OutIsTTY: isTerminal(os.Stdout),
		ErrIsTTY: isTerminal(os.Stderr),
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
