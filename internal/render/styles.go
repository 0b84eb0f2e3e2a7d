// Package render turns result structs into text and JSON. Renderers are
// pure functions of (writer, result, styles): they never decide colour,
// never read the environment and never print anywhere else.
package render

import (
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"strings"
	"unicode"
	"unicode/utf8"

	"github.com/charmbracelet/lipgloss"
	"github.com/muesli/termenv"
)

// Styles colour text output. The zero value writes plain text.
type Styles struct {
	Pass, Fail, Warn, Skip, Heading, Key, Dim func(string) string
}

// NewStyles returns plain styles, or, when color is set, lipgloss styles
// bound to w with fixed ANSI colours. The colours are fixed on purpose:
// adaptive colours ask the terminal for its background, which stalls for
// seconds when a pty does not answer.
func NewStyles(w io.Writer, color bool) Styles {
	if !color {
		return Styles{}
	}
	r := lipgloss.NewRenderer(w)
	// Both set explicitly, so lipgloss neither inspects w nor asks the
	// terminal anything: the caller has already decided.
	r.SetColorProfile(termenv.ANSI256)
	r.SetHasDarkBackground(true)
	fg := func(c string) func(string) string { return perLine(r.NewStyle().Foreground(lipgloss.Color(c))) }
	return Styles{
		Pass:    fg("2"),
		Fail:    fg("1"),
		Warn:    fg("3"),
		Skip:    fg("8"),
		Heading: perLine(r.NewStyle().Bold(true)),
		Key:     fg("6"),
		Dim:     fg("8"),
	}
}

// perLine styles each line of s on its own, so that every style is reset
// before a newline, never after it: a terminal (or a pager, or a log
// viewer) that reads line by line never carries a colour into the next
// line. lipgloss would instead pad the lines of a block to one width and
// style an empty last line after a trailing newline.
func perLine(st lipgloss.Style) func(string) string {
	return func(s string) string {
		if !strings.Contains(s, "\n") {
			return st.Render(s)
		}
		lines := strings.Split(s, "\n")
		for i, l := range lines {
			if l != "" {
				lines[i] = st.Render(l)
			}
		}
		return strings.Join(lines, "\n")
	}
}

func apply(f func(string) string, s string) string {
	if f == nil {
		return s
	}
	return f(s)
}

// Safe makes untrusted text safe for a terminal: control characters
// (escape sequences, carriage returns, C1 controls) become visible \u
// escapes, and invalid UTF-8 becomes U+FFFD. Tokens, JWKS and response
// bodies are attacker-controlled; printing them raw could rewrite the
// screen.
func Safe(s string) string {
	clean := true
	for _, r := range s {
		if r == utf8.RuneError || (unicode.IsControl(r) && r != '\n') || r == '\u2028' || r == '\u2029' || isBidi(r) {
			clean = false
			break
		}
	}
	if clean {
		return s
	}
	var b strings.Builder
	for _, r := range s {
		switch {
		case r == '\n':
			b.WriteRune(r)
		case r == utf8.RuneError:
			b.WriteRune('\uFFFD')
		case unicode.IsControl(r) || r == '\u2028' || r == '\u2029' || isBidi(r):
			b.WriteString(`\u`)
			const hex = "0123456789abcdef"
			b.WriteByte(hex[(r>>12)&0xf])
			b.WriteByte(hex[(r>>8)&0xf])
			b.WriteByte(hex[(r>>4)&0xf])
			b.WriteByte(hex[r&0xf])
		default:
			b.WriteRune(r)
		}
	}
	return b.String()
}

// SafeLine is Safe for text that must stay on one line.
func SafeLine(s string) string {
	return strings.ReplaceAll(Safe(s), "\n", `\n`)
}

// isBidi reports bidirectional overrides, which can make text read
// differently from what it is ("Trojan Source").
func isBidi(r rune) bool {
	return (r >= '\u202a' && r <= '\u202e') || (r >= '\u2066' && r <= '\u2069')
}

// JSON writes v as indented JSON with a trailing newline. JSON output is
// never styled. It is often read on a terminal (| jq, or not piped at
// all), so the characters encoding/json leaves raw and a terminal may act
// on, DEL, C1 controls (U+0080 to U+009F) and bidi overrides, are written
// as \u escapes: the same JSON value, nothing to act on. A byte that is not
// UTF-8 (a value a MarshalJSON copied as it came) becomes \ufffd, so the
// output is always valid UTF-8.
func JSON(w io.Writer, v any) error {
	var buf bytes.Buffer
	enc := json.NewEncoder(&buf)
	enc.SetEscapeHTML(false)
	enc.SetIndent("", "  ")
	if err := enc.Encode(v); err != nil {
		return err
	}
	_, err := w.Write(escapeTerminalRunes(buf.Bytes()))
	return err
}

// escapeTerminalRunes rewrites DEL, C1 controls, bidi controls and bytes
// that are not UTF-8 in encoded JSON as \u escapes. encoding/json writes
// nothing but ASCII outside strings, so they can only stand inside
// strings, where the escape means the same (U+FFFD for a bad byte).
func escapeTerminalRunes(b []byte) []byte {
	escape := func(r rune, size int) bool {
		return isC1(r) || isBidi(r) || r == 0x7f || r == utf8.RuneError && size == 1
	}
	clean := true
	for i := 0; i < len(b); {
		r, size := utf8.DecodeRune(b[i:])
		if escape(r, size) {
			clean = false
			break
		}
		i += size
	}
	if clean {
		return b
	}
	out := make([]byte, 0, len(b)+32)
	for i := 0; i < len(b); {
		r, size := utf8.DecodeRune(b[i:])
		if escape(r, size) {
			out = fmt.Appendf(out, `\u%04x`, r)
		} else {
			out = append(out, b[i:i+size]...)
		}
		i += size
	}
	return out
}

func isC1(r rune) bool { return r >= 0x80 && r <= 0x9f }
