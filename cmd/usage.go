package cmd

import (
	"errors"
	"fmt"
	"strconv"
	"strings"

	"github.com/spf13/cobra"
	"github.com/spf13/pflag"

	"github.com/baverify/baverify/internal/humanize"
)

// Argument and flag mistakes say what was expected; Execute then shows the
// command's usage line and points at its own --help.

// argsError is a usage error about the arguments or flags: the usage line
// helps with those.
func argsError(format string, args ...any) error {
	return &usageError{err: fmt.Errorf(format, args...), showUsage: true}
}

// quoteHint says how to pass a token that was split into words: an
// unquoted "Bearer eyJ…" is two arguments.
func quoteHint(args []string) string {
	if strings.EqualFold(args[0], "bearer") || strings.EqualFold(args[0], "authorization:") {
		return fmt.Sprintf(`: "%s" and the token are one argument, so quote them: "%s …"`, args[0], args[0])
	}
	return ""
}

// oneToken accepts at most one argument, the token (or -).
func oneToken(_ *cobra.Command, args []string) error {
	if len(args) <= 1 {
		return nil
	}
	if h := quoteHint(args); h != "" {
		return argsError("expected one TOKEN argument (or -), got %d arguments%s", len(args), h)
	}
	return argsError("expected one TOKEN argument (or -), got %d arguments", len(args))
}

// oneURL is the single URL that call and probe send to.
func oneURL(c *cobra.Command, args []string) error {
	switch {
	case len(args) == 0:
		return argsError("missing URL: give the URL of the API to %s", c.Name())
	case len(args) > 1:
		return argsError("expected one URL, got %d arguments", len(args))
	}
	return nil
}

// oneJWKS accepts at most one JWKS location.
func oneJWKS(_ *cobra.Command, args []string) error {
	if len(args) > 1 {
		return argsError("expected one URL, FILE or - (the JWKS), got %d arguments", len(args))
	}
	return nil
}

// noArgs refuses arguments for commands that take none.
func noArgs(c *cobra.Command, args []string) error {
	if len(args) > 0 {
		return argsError("%s takes no arguments, got %s", c.Name(), strconv.Quote(args[0]))
	}
	return nil
}

// commandFlagError is flagError (which never shows a secret flag's value)
// with the command's usage line and, for an unknown flag, a "did you mean"
// from the command's own flags.
func commandFlagError(c *cobra.Command, err error) error {
	err = flagError(err)
	var u *usageError
	if errors.As(err, &u) {
		u.showUsage = true
		if name, ok := strings.CutPrefix(u.err.Error(), "unknown flag: --"); ok {
			if s := suggestFlag(c, name); s != "" {
				u.err = fmt.Errorf("%w; did you mean --%s?", u.err, s)
			}
		}
	}
	return err
}

// suggestFlag returns the command's flag nearest to name: within two
// edits, or the one flag it is a prefix of.
func suggestFlag(c *cobra.Command, name string) string {
	var names []string
	add := func(f *pflag.Flag) {
		if !f.Hidden {
			names = append(names, f.Name)
		}
	}
	c.Flags().VisitAll(add)
	c.InheritedFlags().VisitAll(add)
	best, bestD := "", 3
	var prefixed []string
	for _, n := range names {
		if d := humanize.EditDistance(strings.ToLower(name), n); d < bestD {
			best, bestD = n, d
		}
		if len(name) >= 3 && strings.HasPrefix(n, name) {
			prefixed = append(prefixed, n)
		}
	}
	if best == "" && len(prefixed) == 1 {
		best = prefixed[0]
	}
	return best
}

// unknownCommand rewrites cobra's unknown-command error on one line, with
// a suggestion from the commands' names.
func unknownCommand(root *cobra.Command, err error) (string, bool) {
	rest, ok := strings.CutPrefix(err.Error(), "unknown command ")
	if !ok {
		return "", false
	}
	name, err2 := strconv.QuotedPrefix(rest)
	if err2 != nil {
		return "", false
	}
	name, _ = strconv.Unquote(name)
	if n := tokenStart(name); n >= 0 {
		// A token pasted where the command goes: never echo it whole, it
		// is a credential (shell history, CI logs and screen shares keep
		// what we print).
		return fmt.Sprintf("%q looks like a JWT, not a command (the rest is not shown: a token is a credential); did you mean baverify token TOKEN? (or baverify token - to paste it)",
			humanize.Clip(name, n+8)), true
	}
	msg := "unknown command " + strconv.Quote(name)
	if s := root.SuggestionsFor(name); len(s) > 0 {
		msg += "; did you mean baverify " + s[0] + "?"
	}
	return msg, true
}

// tokenStart says where a JWT starts in an argument pasted where a command
// name goes (after a "Bearer " prefix, if any); -1 when it is no JWT.
func tokenStart(s string) int {
	start := 0
	if strings.HasPrefix(strings.ToLower(s), "bearer ") {
		start = len("bearer ")
	}
	t := s[start:]
	if strings.HasPrefix(t, "eyJ") || strings.Count(t, ".") == 2 && len(t) > 32 && !strings.ContainsAny(t, " /") {
		return start
	}
	return -1
}

// usageFooter is what follows a usage error: the command's usage line when
// the arguments or flags were wrong, and where its help is.
func usageFooter(c *cobra.Command, showUsage bool) string {
	var b strings.Builder
	if showUsage && c.HasParent() {
		b.WriteString("Usage: " + c.UseLine() + "\n")
	}
	b.WriteString("Run '" + c.CommandPath() + " --help' for usage.\n")
	return b.String()
}
