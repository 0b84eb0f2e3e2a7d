// Package batch verifies a stream of tokens, one per line, with several
// workers, and hands the results back in input order. Memory is bounded by
// a fixed number of chunks in flight, never by the size of the input, so a
// log of any size streams through. It never prints.
package batch

import (
	"bufio"
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"runtime"
	"strings"
	"sync"
	"time"

	"github.com/baverify/baverify/internal/verify"
)

// Verdict is the outcome of one line.
type Verdict string

const (
	// The words of token's own verdict (verify.Verdict*).
	Valid         Verdict = verify.VerdictValid
	Invalid       Verdict = verify.VerdictInvalid
	CouldNotCheck Verdict = verify.VerdictCouldNotCheck
	// NoToken: with Extract, a line without a JWT-shaped substring.
	NoToken Verdict = "no_token"
	// blank lines are skipped: they get no result.
	blank Verdict = ""
)

// MaxLineBytes bounds a line: the largest token baverify reads, with room
// for a prefix. A longer line is a malformed result, and reading goes on.
const MaxLineBytes = verify.MaxTokenBytes + 4096

// Line is the result of one non-blank input line.
type Line struct {
	// Number is the line's number in the input, from 1, blank lines counted.
	Number  int64
	Verdict Verdict
	verify.Outcome
}

// InputError is a failure to read the input (not a verdict).
type InputError struct{ Err error }

func (e *InputError) Error() string { return "reading the batch input: " + e.Err.Error() }
func (e *InputError) Unwrap() error { return e.Err }

// Options configure a run.
type Options struct {
	// Workers is the number of goroutines verifying; 0 means GOMAXPROCS.
	Workers int
	// Extract takes the first JWT-shaped substring of each line instead of
	// reading the line as a token.
	Extract bool
	// MaxLine overrides MaxLineBytes (tests).
	MaxLine int
}

// Sizes of the pipeline. A chunk holds up to chunkLines lines or about
// chunkBytes of input; window chunks are in flight at most, so memory is
// bounded by window × (chunkBytes + one longest line).
const (
	chunkLines = 256
	chunkBytes = 64 << 10
)

type lineRef struct {
	start, end int
	number     int64
	tooLong    bool
}

type chunk struct {
	seq   int64
	data  []byte
	lines []lineRef
	out   []Line
}

// Run reads in line by line, verifies every line with b, and calls emit for
// each non-blank line in input order, from the calling goroutine. The Line
// is reused after emit returns. Run stops at the first error of the input
// or of emit, or when ctx is done. It returns the number of lines read,
// blank ones included.
func Run(ctx context.Context, in io.Reader, b *verify.Batch, opts Options, emit func(*Line) error) (int64, error) {
	workers := opts.Workers
	if workers <= 0 {
		workers = runtime.GOMAXPROCS(0)
	}
	maxLine := opts.MaxLine
	if maxLine <= 0 {
		maxLine = MaxLineBytes
	}
	window := 4 * workers
	if window < 4 {
		window = 4
	}
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()

	free := make(chan *chunk, window)
	for i := 0; i < window; i++ {
		free <- &chunk{}
	}
	work := make(chan *chunk, window)
	done := make(chan *chunk, window)

	var readErr error
	var lines int64
	go func() {
		defer close(work)
		lines, readErr = read(ctx, in, maxLine, free, work)
	}()
	var wg sync.WaitGroup
	for i := 0; i < workers; i++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			var sc verify.Scratch
			for c := range work {
				process(ctx, b, c, &sc, opts.Extract)
				done <- c
			}
		}()
	}
	go func() { wg.Wait(); close(done) }()

	// Reorder: chunks come back in any order; at most window of them.
	pending := make(map[int64]*chunk, window)
	var next int64
	var emitErr error
	for c := range done {
		pending[c.seq] = c
		for {
			c, ok := pending[next]
			if !ok {
				break
			}
			delete(pending, next)
			next++
			if emitErr == nil && ctx.Err() == nil {
				for i := range c.out {
					if c.out[i].Verdict == blank {
						continue
					}
					if err := emit(&c.out[i]); err != nil {
						emitErr = err
						cancel()
						break
					}
				}
			}
			if cap(c.data) > 4*chunkBytes {
				c.data = nil // a very long line passed: do not keep its buffer
			}
			free <- c
		}
	}
	switch {
	case emitErr != nil:
		return lines, emitErr
	case readErr != nil:
		return lines, readErr
	}
	return lines, ctx.Err()
}

// read splits the input into chunks of lines.
func read(ctx context.Context, in io.Reader, maxLine int, free <-chan *chunk, work chan<- *chunk) (int64, error) {
	br := bufio.NewReaderSize(in, 64<<10)
	var seq, number int64
	var c *chunk
	send := func() {
		work <- c
		c = nil
	}
	for {
		if c == nil {
			select {
			case c = <-free:
			case <-ctx.Done():
				return number, nil
			}
			c.seq, seq = seq, seq+1
			c.data, c.lines = c.data[:0], c.lines[:0]
		}
		start := len(c.data)
		tooLong, eof := false, false
		got := false
		for {
			part, err := br.ReadSlice('\n')
			if len(part) > 0 {
				got = true
			}
			if !tooLong {
				if len(c.data)-start+len(part) > maxLine+2 { // +2: the line ending
					tooLong = true
					c.data = c.data[:start]
				} else {
					c.data = append(c.data, part...)
				}
			}
			if err == bufio.ErrBufferFull {
				continue
			}
			if err == io.EOF {
				eof = true
				break
			}
			if err != nil {
				if c != nil && len(c.lines) > 0 {
					c.data = c.data[:start]
					send()
				}
				return number, &InputError{Err: err}
			}
			break
		}
		if got {
			number++
			end := len(c.data)
			if end > start && c.data[end-1] == '\n' {
				end--
			}
			if end > start && c.data[end-1] == '\r' {
				end--
			}
			c.lines = append(c.lines, lineRef{start: start, end: end, number: number, tooLong: tooLong})
		}
		if eof {
			if len(c.lines) > 0 {
				send()
			}
			return number, nil
		}
		if len(c.lines) >= chunkLines || len(c.data) >= chunkBytes {
			send()
		}
	}
}

// process verifies the lines of a chunk into c.out.
func process(ctx context.Context, b *verify.Batch, c *chunk, sc *verify.Scratch, extract bool) {
	if cap(c.out) < len(c.lines) {
		c.out = append(c.out[:cap(c.out)], make([]Line, len(c.lines)-cap(c.out))...)
	}
	c.out = c.out[:len(c.lines)]
	for i, ref := range c.lines {
		out := &c.out[i]
		out.Number = ref.number
		if ctx.Err() != nil {
			out.Verdict = blank
			continue
		}
		if ref.tooLong {
			malformed(out, fmt.Sprintf("the line is longer than %d bytes and was skipped (a token is at most %d bytes)", MaxLineBytes, verify.MaxTokenBytes))
			continue
		}
		checkLine(ctx, b, c.data[ref.start:ref.end], sc, extract, out)
	}
}

// checkLine gives one line its verdict.
func checkLine(ctx context.Context, b *verify.Batch, line []byte, sc *verify.Scratch, extract bool, out *Line) {
	trimmed := bytes.TrimSpace(line)
	if len(trimmed) == 0 {
		out.Verdict = blank
		return
	}
	var tok []byte
	switch {
	case extract:
		if tok = Extract(trimmed); tok == nil {
			out.Verdict = NoToken
			out.Outcome = verify.Outcome{Errors: out.Errors[:0], Aud: out.Aud[:0]}
			return
		}
	case plainToken(trimmed):
		tok = trimmed // NormalizeInput would return it unchanged
	default:
		s, err := verify.NormalizeInput(string(trimmed))
		switch {
		case errors.Is(err, verify.ErrEmptyToken):
			malformed(out, "the line holds no token")
			return
		case err != nil:
			malformed(out, err.Error())
			return
		}
		tok = []byte(s)
	}
	b.Check(ctx, tok, sc, &out.Outcome)
	switch {
	case out.CouldNotCheck:
		out.Verdict = CouldNotCheck
	case out.Valid:
		out.Verdict = Valid
	default:
		out.Verdict = Invalid
	}
}

func malformed(out *Line, msg string) {
	out.Outcome = verify.Outcome{Errors: append(out.Errors[:0], verify.Problem{Code: verify.CodeMalformed, Message: msg}), Aud: out.Aud[:0]}
	out.Verdict = Invalid
}

// plainToken: only base64url characters and dots, which no normalisation
// (quotes, Bearer, Authorization:) changes.
func plainToken(b []byte) bool {
	for _, c := range b {
		if !verify.IsBase64URLByte(c) && c != '.' {
			return false
		}
	}
	return true
}

// Extract returns the first JWT-shaped substring of a line, or nil: a run
// of base64url characters and dots that starts with "eyJ" (base64url of
// `{"`, how every JWS header starts) and holds at least two dots. The run
// starts the line or follows a byte that is neither base64url nor a dot:
// an "eyJ" inside a longer run (access_token=0eyJ...) is not where the
// bytes sent as a token begin, and a verdict on the tail would be about
// bytes nobody sent. Dots that end the run beyond the second are
// punctuation, not part of the token.
func Extract(line []byte) []byte {
	inRun := func(c byte) bool { return verify.IsBase64URLByte(c) || c == '.' }
	for i := 0; i+3 <= len(line); {
		j := bytes.Index(line[i:], []byte("eyJ"))
		if j < 0 {
			return nil
		}
		start := i + j
		end := start
		if start > 0 && inRun(line[start-1]) && !escapedSeparator(line[:start]) {
			// Skip the rest of the run this "eyJ" is inside.
			for end < len(line) && inRun(line[end]) {
				end++
			}
			i = end
			continue
		}
		dots := 0
		for end < len(line) && inRun(line[end]) {
			if line[end] == '.' {
				dots++
			}
			end++
		}
		for dots > 2 && line[end-1] == '.' {
			end--
			dots--
		}
		if dots >= 2 {
			return line[start:end]
		}
		i = end
	}
	return nil
}

// escapedSeparator reports whether before ends with a URL percent-escape
// of a byte that is neither base64url nor a dot (Bearer%20eyJ... in a
// logged query string): the run ends there, as it would at the byte itself.
func escapedSeparator(before []byte) bool {
	n := len(before)
	if n < 3 || before[n-3] != '%' {
		return false
	}
	hi, lo := unhex(before[n-2]), unhex(before[n-1])
	if hi < 0 || lo < 0 {
		return false
	}
	c := byte(hi<<4 | lo)
	return !verify.IsBase64URLByte(c) && c != '.'
}

func unhex(c byte) int {
	switch {
	case '0' <= c && c <= '9':
		return int(c - '0')
	case 'a' <= c && c <= 'f':
		return int(c-'a') + 10
	case 'A' <= c && c <= 'F':
		return int(c-'A') + 10
	}
	return -1
}

// Summary counts a run's results for the text report. Token-controlled
// values (kid, alg, iss, aud) are counted for at most maxValues distinct
// values per dimension; the rest are counted together, so a hostile log
// cannot grow it without bound.
type Summary struct {
	Lines    int64 // non-blank lines
	Tokens   int64 // lines with a token (all but no_token)
	Verdicts map[Verdict]int64
	// Codes counts lines by error code (a line counts once per code).
	Codes map[verify.Code]int64
	// FirstLines holds the first few line numbers of each error code and of
	// each verdict but valid.
	FirstLines map[string][]int64
	Kid, Alg   Counts
	Iss, Aud   Counts
	// Read is the number of lines read, blank ones included (set by the
	// caller from Run).
	Read int64
	// Keys says where the run's one set of keys came from (set by the
	// caller from verify.Batch.Keys; nil for a set made in code).
	Keys *verify.KeysOrigin
}

// Counts counts the values of one dimension.
type Counts struct {
	Values map[string]int64
	// Other counts values beyond the first maxValues distinct ones.
	Other int64
	// Absent counts tokens without the value.
	Absent int64
}

// FirstLinesShown is how many line numbers the summary keeps per failure.
const FirstLinesShown = 5

const maxValues = 1000

// NewSummary returns an empty summary.
func NewSummary() *Summary {
	return &Summary{Verdicts: map[Verdict]int64{}, Codes: map[verify.Code]int64{}, FirstLines: map[string][]int64{},
		Kid: newCounts(), Alg: newCounts(), Iss: newCounts(), Aud: newCounts()}
}

func newCounts() Counts { return Counts{Values: map[string]int64{}} }

// Add counts one line.
func (s *Summary) Add(l *Line) {
	s.Lines++
	s.Verdicts[l.Verdict]++
	if l.Verdict != Valid {
		s.first(string(l.Verdict), l.Number)
	}
	if l.Verdict == NoToken {
		return
	}
	s.Tokens++
	seen := 0
	for _, e := range l.Errors {
		dup := false
		for _, p := range l.Errors[:seen] {
			dup = dup || p.Code == e.Code
		}
		seen++
		if dup {
			continue
		}
		s.Codes[e.Code]++
		s.first(string(e.Code), l.Number)
	}
	s.Kid.add(l.Kid)
	s.Alg.add(l.Alg)
	s.Iss.add(l.Iss)
	if len(l.Aud) == 0 {
		s.Aud.Absent++
	}
	for _, a := range l.Aud {
		s.Aud.add(a)
	}
}

func (s *Summary) first(key string, n int64) {
	if l := s.FirstLines[key]; len(l) < FirstLinesShown {
		s.FirstLines[key] = append(l, n)
	}
}

// maxValueBytes bounds a counted value; a longer one is counted by its
// prefix, so that hostile values cannot fill memory.
const maxValueBytes = 256

func (c *Counts) add(v string) {
	if len(v) > maxValueBytes {
		v = v[:maxValueBytes] + "..."
	}
	switch _, ok := c.Values[v]; {
	case v == "":
		c.Absent++
	case ok || len(c.Values) < maxValues:
		c.Values[v]++
	default:
		c.Other++
	}
}

// AllValid: at least one token, and every token valid.
func (s *Summary) AllValid() bool {
	return s.Tokens > 0 && s.Verdicts[Valid] == s.Tokens
}

// Progress reports a run's progress; Run's caller builds it from emitted
// lines.
type Progress struct {
	every time.Duration
	now   func() time.Time
	last  time.Time
	show  func(string)
	shown bool
}

// NewProgress calls show with a one-line status at most once per every.
func NewProgress(now func() time.Time, every time.Duration, show func(string)) *Progress {
	return &Progress{every: every, now: now, last: now(), show: show}
}

// Update shows the summary's counts when enough time has passed. It reads
// the clock once per 1024 lines.
func (p *Progress) Update(s *Summary) {
	if s.Lines%1024 != 0 {
		return
	}
	if t := p.now(); t.Sub(p.last) >= p.every {
		p.last = t
		p.shown = true
		p.show(progressLine(s))
	}
}

// Shown says whether a progress line was ever shown.
func (p *Progress) Shown() bool { return p.shown }

func progressLine(s *Summary) string {
	var b strings.Builder
	fmt.Fprintf(&b, "%d lines, %d tokens: %d valid, %d invalid", s.Lines, s.Tokens, s.Verdicts[Valid], s.Verdicts[Invalid])
	if n := s.Verdicts[NoToken]; n > 0 {
		fmt.Fprintf(&b, ", %d without a token", n)
	}
	return b.String()
}
