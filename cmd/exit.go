package cmd

import (
	"context"
	"errors"
	"fmt"

	"github.com/spf13/pflag"

	"github.com/baverify/baverify/internal/jwks"
)

// Exit codes: part of baverify's interface, documented in README and docs/reference.md.
const (
	ExitOK          = 0   // success: valid, no error finding, expected status
	ExitNegative    = 1   // a negative verdict: invalid, unverified, findings
	ExitUsage       = 2   // usage error or unreadable input
	ExitUnavailable = 3   // could not check: unreachable, timeout, TLS, not a JWKS
	ExitInterrupted = 130 // interrupted (SIGINT)
)

// usageError is a mistake in the command line or an unreadable input.
type usageError struct {
	err error
	// showUsage: the arguments or flags were wrong, so the command's usage
	// line helps.
	showUsage bool
}

func (e *usageError) Error() string { return e.err.Error() }
func (e *usageError) Unwrap() error { return e.err }

// secretFlag says whether a flag's value may be a secret: a mistyped one
// is named in a usage error, its value never shown. --password-stdin is
// among them because "--password-stdin=hunter2" is the usual way to get it
// wrong. (A function, not a map: nothing is computed at package init.)
func secretFlag(name string) bool {
	switch name {
	case "password", "password-stdin", "token", "header", "data", "json":
		return true
	}
	return false
}

// flagError turns a flag-parsing error into a usage error that never
// echoes the value given to a secret-bearing flag.
func flagError(err error) error {
	var invalid *pflag.InvalidValueError
	if errors.As(err, &invalid) && secretFlag(invalid.GetFlag().Name) {
		fl := invalid.GetFlag()
		if fl.Value.Type() == "bool" {
			err = fmt.Errorf("--%s takes no value (the value given is not shown: it may be a secret)", fl.Name)
			if fl.Name == "password-stdin" {
				err = fmt.Errorf("%w; the password comes from stdin: ... --password-stdin < file", err)
			}
		} else {
			err = fmt.Errorf("--%s: invalid value (not shown: it may be a secret): %v", fl.Name, invalid.Unwrap())
		}
	}
	return &usageError{err: err}
}

func usageErrorf(format string, args ...any) error {
	return &usageError{err: fmt.Errorf(format, args...)}
}

// verdictError is a negative verdict whose report was already written; the
// command returns it only to set the exit code.
type verdictError struct{ code int }

func (e *verdictError) Error() string { return fmt.Sprintf("exit %d", e.code) }

// errNegative is the usual negative verdict (exit 1), already reported.
var errNegative = &verdictError{code: ExitNegative}

// errUnavailable is "could not check", already reported (exit 3).
var errUnavailable = &verdictError{code: ExitUnavailable}

// exitCode is the one place that maps errors to exit codes.
func exitCode(ctx context.Context, err error) int {
	var verdict *verdictError
	var usage *usageError
	var source *jwks.SourceError
	switch {
	case err == nil:
		return ExitOK
	case ctx.Err() != nil || errors.Is(err, context.Canceled):
		return ExitInterrupted
	case errors.As(err, &verdict):
		return verdict.code
	case errors.As(err, &usage):
		return ExitUsage
	case errors.As(err, &source):
		return ExitUnavailable
	}
	var unavailable interface{ Unavailable() bool }
	if errors.As(err, &unavailable) && unavailable.Unavailable() {
		return ExitUnavailable
	}
	return ExitUsage
}

// reported says whether the error's message was already written.
func reported(err error) bool {
	var verdict *verdictError
	return errors.As(err, &verdict)
}
