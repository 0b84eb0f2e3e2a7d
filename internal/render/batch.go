package render

import (
	"encoding/json"
	"fmt"
	"io"
	"sort"
	"strconv"
	"strings"

	"github.com/baverify/baverify/internal/batch"
	"github.com/baverify/baverify/internal/verify"
)

// BatchKeysJSON encodes, once per run, where the run's keys came from, for
// the keys field of every JSON Lines record: the object token's jwks field
// has ({location, from, ageSeconds, staleReason}), or null.
func BatchKeysJSON(o *verify.KeysOrigin) []byte {
	if o == nil {
		return []byte("null")
	}
	b, err := json.Marshal(o)
	if err != nil {
		return []byte("null")
	}
	return escapeTerminalRunes(b)
}

// AppendBatchJSON appends one JSON Lines record for a batch line:
// {line, verdict, valid, errors: [{code, message}], kid, alg, sub, iss, aud,
// exp, keys}. A claim the token does not carry as a non-empty string is
// null; aud is a string or an array as the token has it; exp is the token's
// number; keys is BatchKeysJSON's encoding, the same for every line of a
// run (nil: null). It is written by hand because a batch writes one per
// token and encoding/json would cost more than the rest of the line's work.
func AppendBatchJSON(dst []byte, l *batch.Line, keys []byte) []byte {
	dst = append(dst, `{"line":`...)
	dst = strconv.AppendInt(dst, l.Number, 10)
	dst = append(dst, `,"verdict":`...)
	dst = appendJSONString(dst, string(l.Verdict))
	dst = append(dst, `,"valid":`...)
	dst = strconv.AppendBool(dst, l.Valid)
	dst = append(dst, `,"errors":[`...)
	for i, e := range l.Errors {
		if i > 0 {
			dst = append(dst, ',')
		}
		dst = append(dst, `{"code":`...)
		dst = appendJSONString(dst, string(e.Code))
		dst = append(dst, `,"message":`...)
		dst = appendJSONString(dst, e.Message)
		dst = append(dst, '}')
	}
	dst = append(dst, "]"...)
	for _, f := range [...]struct{ name, value string }{{"kid", l.Kid}, {"alg", l.Alg}, {"sub", l.Sub}, {"iss", l.Iss}} {
		dst = append(dst, `,"`...)
		dst = append(dst, f.name...)
		dst = append(dst, `":`...)
		dst = appendJSONStringOrNull(dst, f.value)
	}
	dst = append(dst, `,"aud":`...)
	switch {
	case l.AudArray:
		dst = append(dst, '[')
		for i, a := range l.Aud {
			if i > 0 {
				dst = append(dst, ',')
			}
			dst = appendJSONString(dst, a)
		}
		dst = append(dst, ']')
	case len(l.Aud) == 1:
		dst = appendJSONStringOrNull(dst, l.Aud[0])
	default:
		dst = append(dst, "null"...)
	}
	dst = append(dst, `,"exp":`...)
	if l.Exp == "" {
		dst = append(dst, "null"...)
	} else {
		dst = append(dst, l.Exp...) // a JSON number, as the token has it
	}
	dst = append(dst, `,"keys":`...)
	if keys == nil {
		keys = []byte("null")
	}
	dst = append(dst, keys...)
	return append(dst, "}\n"...)
}

func appendJSONStringOrNull(dst []byte, s string) []byte {
	if s == "" {
		return append(dst, "null"...)
	}
	return appendJSONString(dst, s)
}

// appendJSONString appends s as a JSON string; the common case (printable
// ASCII without quotes or backslashes) is copied as is, anything else goes
// through encoding/json and then escapeTerminalRunes, as render.JSON does:
// the values are the token's, and DEL, C1 controls and bidi overrides must
// not reach a terminal that shows the JSON Lines raw.
func appendJSONString(dst []byte, s string) []byte {
	for i := 0; i < len(s); i++ {
		c := s[i]
		if c < 0x20 || c >= 0x7f || c == '"' || c == '\\' || c == '<' || c == '>' || c == '&' {
			b, _ := json.Marshal(s)
			return append(dst, escapeTerminalRunes(b)...)
		}
	}
	dst = append(dst, '"')
	dst = append(dst, s...)
	return append(dst, '"')
}

// BatchText writes the summary of a batch run, outcome first: the verdict
// with what was read (and what the lines that were no token were), then
// the counts by verdict, error code, kid, alg, iss and aud, and the keys.
func BatchText(w io.Writer, s *batch.Summary, st Styles) error {
	var b strings.Builder
	b.WriteString(BatchVerdict(s, st) + "\n")
	b.WriteString("\nVerdicts\n")
	for _, v := range []batch.Verdict{batch.Valid, batch.Invalid, batch.CouldNotCheck, batch.NoToken} {
		n := s.Verdicts[v]
		if n == 0 && v != batch.Valid && v != batch.Invalid {
			continue
		}
		fmt.Fprintf(&b, "  %-16s %d%s\n", v, n, firstLines(s.FirstLines[string(v)], n))
	}
	if len(s.Codes) > 0 {
		b.WriteString("\nErrors (tokens with each code; the first lines)\n")
		for _, c := range verify.Codes() {
			if n := s.Codes[c]; n > 0 {
				fmt.Fprintf(&b, "  %-19s %d%s\n", c, n, firstLines(s.FirstLines[string(c)], n))
			}
		}
	}
	counts(&b, "kid", s.Kid, "no kid, or not decoded")
	counts(&b, "alg", s.Alg, "no alg, or not decoded")
	counts(&b, "iss", s.Iss, "no iss, or not decoded")
	counts(&b, "aud", s.Aud, "no aud, or not decoded")
	if s.Keys != nil {
		// Every line was judged against this one set (see verify.Batch).
		fmt.Fprintf(&b, "\n%s %s, %s\n", apply(st.Heading, "Keys:"), SafeLine(s.Keys.Location), SafeLine(s.Keys.Describe()))
	}
	_, err := io.WriteString(w, b.String())
	return err
}

// BatchVerdict is the first line of a batch summary, and all that --quiet
// prints: the verdict and what was read.
func BatchVerdict(s *batch.Summary, st Styles) string {
	return batchVerdict(s, st) + "  " + batchRead(s)
}

// batchVerdict is the verdict of a whole batch.
func batchVerdict(s *batch.Summary, st Styles) string {
	switch {
	case s.Tokens == 0:
		return apply(st.Fail, "NO TOKENS") + " (nothing was verified)"
	case s.AllValid():
		all := "all " + plural(int(s.Tokens), "token")
		if s.Tokens == 1 {
			all = "the one token"
		}
		return apply(st.Pass, "VALID") + " (" + all + ")"
	}
	return apply(st.Fail, "INVALID") + fmt.Sprintf(" (%d of %s not valid)", s.Tokens-s.Verdicts[batch.Valid], plural(int(s.Tokens), "token"))
}

// batchRead says what was read: "batch: 1 token on 2 lines; 1 line held no
// JWT (line 2)". Lines that are not tokens are named by kind and number:
// with --extract a line without a JWT is no_token; without it, every
// non-blank line is taken as a token, and one that is not a JWT is
// malformed.
func batchRead(s *batch.Summary) string {
	r := "batch: " + plural(int(s.Tokens), "token") + " on " + plural(int(s.Read), "line")
	var notes []string
	if blank := s.Read - s.Lines; blank > 0 {
		notes = append(notes, plural(int(blank), "blank line"))
	}
	if n := s.Verdicts[batch.NoToken]; n > 0 {
		notes = append(notes, plural(int(n), "line")+" held no JWT ("+strings.TrimPrefix(firstLines(s.FirstLines[string(batch.NoToken)], n), "  ")+")")
	}
	if n := s.Codes[verify.CodeMalformed]; n > 0 {
		verb := " is"
		if n > 1 {
			verb = " are"
		}
		notes = append(notes, fmt.Sprintf("%d%s not a well-formed JWT (malformed: %s)", n, verb, strings.TrimPrefix(firstLines(s.FirstLines[string(verify.CodeMalformed)], n), "  ")))
	}
	if len(notes) > 0 {
		r += "; " + strings.Join(notes, "; ")
	}
	return r
}

// shownValues is how many values of a dimension the summary lists.
const shownValues = 10

func counts(b *strings.Builder, name string, c batch.Counts, absent string) {
	if len(c.Values) == 0 && c.Absent == 0 && c.Other == 0 {
		return
	}
	type kv struct {
		v string
		n int64
	}
	all := make([]kv, 0, len(c.Values))
	for v, n := range c.Values {
		all = append(all, kv{v, n})
	}
	sort.Slice(all, func(i, j int) bool {
		if all[i].n != all[j].n {
			return all[i].n > all[j].n
		}
		return all[i].v < all[j].v
	})
	fmt.Fprintf(b, "\nBy %s\n", name)
	var rest int64
	for i, e := range all {
		if i >= shownValues {
			rest += e.n
			continue
		}
		// Token-controlled: made safe for the terminal, and kept short.
		v := SafeLine(e.v)
		if r := []rune(v); len(r) > 100 {
			v = string(r[:97]) + "..."
		}
		fmt.Fprintf(b, "  %-40s %d\n", v, e.n)
	}
	if more := len(all) - shownValues; more > 0 {
		fmt.Fprintf(b, "  %-40s %d\n", fmt.Sprintf("(%d more values)", more), rest)
	}
	if c.Other > 0 {
		fmt.Fprintf(b, "  %-40s %d\n", "(values beyond the first 1000)", c.Other)
	}
	if c.Absent > 0 {
		fmt.Fprintf(b, "  %-40s %d\n", "("+absent+")", c.Absent)
	}
}

func firstLines(lines []int64, n int64) string {
	if len(lines) == 0 {
		return ""
	}
	parts := make([]string, len(lines))
	for i, l := range lines {
		parts[i] = strconv.FormatInt(l, 10)
	}
	s := "  line"
	if len(lines) > 1 {
		s += "s"
	}
	s += " " + strings.Join(parts, ", ")
	if n > int64(len(lines)) {
		s += ", ..."
	}
	return s
}
