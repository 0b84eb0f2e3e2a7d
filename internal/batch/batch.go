// Package batch verifies a stream of tokens, one per line, with several
// workers, and hands the results back in input order. Memory is bounded by
// the bytes of input in flight (MaxInFlightBytes), whatever the number of
// workers, never by the size of the input, so a log of any size streams
// through. It never prints.
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
	// MaxInFlight overrides MaxInFlightBytes (tests).
	MaxInFlight int
	// held and verifying, when set, are called with the bytes of input
	// held and of long lines being verified after every change (tests).
	held, verifying func(int)
}

// Sizes of the pipeline. A chunk holds up to chunkLines lines or about
// chunkBytes of input; window chunks are in flight at most (4 per worker),
// which keeps the workers busy and the reordering short. What bounds memory
// is the bytes: the buffers of the chunks in flight (being read, waiting,
// being verified, waiting to be emitted) hold at most MaxInFlightBytes, or
// one chunk when a single line is larger; a worker verifies only lines
// that are held, so the verification's own memory follows the same bound.
// Buffers kept for reuse between chunks count too.
const (
	chunkLines = 256
	chunkBytes = 64 << 10
)

// MaxInFlightBytes bounds the input that a run holds at once. With the
// verification of what is held, peak memory stays within about 64 MiB at
// any number of workers (docs/performance.md).
const MaxInFlightBytes = 4 << 20

// MaxVerifyingBytes bounds the long lines (longer than a chunk) verified at
// once, in bytes: verifying a token takes memory in proportion to its
// size (measured: over 20 MiB for a 1 MiB token that the full pipeline
// reads), so workers take turns on them. A line longer than this is
// verified alone.
const MaxVerifyingBytes = 1 << 20

// maxPooledBytes bounds the buffers that done chunks keep for reuse: enough
// for every chunk of a run with few workers, so that ordinary input
// allocates no new buffers.
const maxPooledBytes = 2 << 20

// budget counts the bytes of the chunks' buffers: used, those of the chunks
// in flight; pooled, those kept by done chunks for reuse. The reader takes
// bytes before it reads into a buffer, waiting while the chunks in flight
// hold too much; a chunk gives them back when it is done.
type budget struct {
	mu     sync.Mutex
	cond   *sync.Cond
	used   int
	pooled int
	max    int
	held   func(int)
}

func newBudget(max int, held func(int)) *budget {
	b := &budget{max: max, held: held}
	b.cond = sync.NewCond(&b.mu)
	return b
}

// take waits until n more bytes fit beside what the other chunks in flight
// hold (own is what the caller's chunk holds already: with nothing else in
// flight it never waits, so one line larger than the budget still passes),
// or ctx ends.
func (b *budget) take(ctx context.Context, n, own int) bool {
	b.mu.Lock()
	defer b.mu.Unlock()
	for b.used-own > 0 && b.used+n > b.max {
		if ctx.Err() != nil {
			return false
		}
		b.cond.Wait()
	}
	b.used += n
	b.report()
	return true
}

// give returns n bytes of a chunk in flight.
func (b *budget) give(n int) {
	b.mu.Lock()
	b.used -= n
	b.report()
	b.mu.Unlock()
	b.cond.Broadcast()
}

// done returns the bytes of a chunk that is done, and says whether it may
// keep its buffer (of cap n) for reuse: an ordinary chunk's buffer, while
// the pool has room.
func (b *budget) done(n int) bool {
	b.mu.Lock()
	b.used -= n
	keep := n <= 2*chunkBytes && b.pooled+n <= maxPooledBytes
	if keep {
		b.pooled += n
	}
	b.report()
	b.mu.Unlock()
	b.cond.Broadcast()
	return keep
}

// reuse takes a pooled buffer of cap n back into flight, waiting as take.
func (b *budget) reuse(ctx context.Context, n int) bool {
	b.mu.Lock()
	b.pooled -= n
	b.mu.Unlock()
	return b.take(ctx, n, 0)
}

// report tells the test hook what the buffers hold; b.mu is held.
func (b *budget) report() {
	if b.held != nil {
		b.held(b.used + b.pooled)
	}
}

// wake lets a waiter see that ctx ended. It takes the lock so that the
// waiter is either before its ctx check or already waiting.
func (b *budget) wake() {
	b.mu.Lock()
	b.mu.Unlock()
	b.cond.Broadcast()
}

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
	// long: a line longer than chunkBytes.
	long bool
}

// release drops what a chunk's results refer to (claims of the tokens, up
// to a line's size each) once they are emitted, keeping the slices for
// reuse: a done chunk holds no token's bytes.
func release(c *chunk) {
	for i := range c.out {
		o := &c.out[i]
		errs, aud := o.Errors[:cap(o.Errors)], o.Aud[:cap(o.Aud)]
		clear(errs)
		clear(aud)
		*o = Line{Outcome: verify.Outcome{Errors: errs[:0], Aud: aud[:0]}}
	}
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
	maxInFlight := opts.MaxInFlight
	if maxInFlight <= 0 {
		maxInFlight = MaxInFlightBytes
	}
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	bud := newBudget(maxInFlight, opts.held)
	stopWake := context.AfterFunc(ctx, bud.wake)
	defer stopWake()
	long := newBudget(MaxVerifyingBytes, opts.verifying)
	stopWakeLong := context.AfterFunc(ctx, long.wake)
	defer stopWakeLong()

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
		lines, readErr = read(ctx, in, maxLine, bud, free, work)
	}()
	var wg sync.WaitGroup
	for i := 0; i < workers; i++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			var sc verify.Scratch
			for c := range work {
				process(ctx, b, c, &sc, opts.Extract, long)
				if c.long {
					// The scratch grew to the long line's size: let it go,
					// or every worker would keep one.
					sc = verify.Scratch{}
				}
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
			release(c)
			if !bud.done(cap(c.data)) {
				c.data = nil // a long line passed, or the pool is full
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

// read splits the input into chunks of lines. Every byte of a chunk's
// buffer is taken from bud before the buffer grows to hold it.
func read(ctx context.Context, in io.Reader, maxLine int, bud *budget, free <-chan *chunk, work chan<- *chunk) (int64, error) {
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
			if !bud.reuse(ctx, cap(c.data)) {
				return number, nil
			}
			c.seq, seq = seq, seq+1
			c.data, c.lines, c.long = c.data[:0], c.lines[:0], false
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
					if need := len(c.data) + len(part); need > cap(c.data) {
						if !grow(ctx, bud, c, need) {
							return number, nil
						}
					}
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
			c.long = c.long || end-start > chunkBytes
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

// grow gives c a buffer of at least need bytes, taking the new bytes from
// bud first; false when ctx ended while it waited.
func grow(ctx context.Context, bud *budget, c *chunk, need int) bool {
	n := 2 * cap(c.data)
	if n < need {
		n = need
	}
	if n < 4096 {
		n = 4096
	}
	if !bud.take(ctx, n, cap(c.data)) {
		return false
	}
	data := make([]byte, len(c.data), n)
	copy(data, c.data)
	bud.give(cap(c.data))
	c.data = data
	return true
}

// process verifies the lines of a chunk into c.out.
func process(ctx context.Context, b *verify.Batch, c *chunk, sc *verify.Scratch, extract bool, long *budget) {
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
		n := ref.end - ref.start
		if n <= chunkBytes {
			checkLine(ctx, b, c.data[ref.start:ref.end], sc, extract, out)
			continue
		}
		if !long.take(ctx, n, 0) {
			out.Verdict = blank
			continue
		}
		checkLine(ctx, b, c.data[ref.start:ref.end], sc, extract, out)
		long.give(n)
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
