package cmd

import (
	"bufio"
	"context"
	"errors"
	"io"
	"os"
	"strings"
	"time"

	"github.com/spf13/cobra"

	"github.com/baverify/baverify/internal/batch"
	"github.com/baverify/baverify/internal/httpclient"
	"github.com/baverify/baverify/internal/jwks"
	"github.com/baverify/baverify/internal/keysource"
	"github.com/baverify/baverify/internal/render"
	"github.com/baverify/baverify/internal/verify"
)

// batchFlags are token's batch mode: --batch, --extract, -j.
type batchFlags struct {
	file    string
	extract bool
	jobs    int
}

func (b *batchFlags) register(c *cobra.Command) {
	c.Flags().StringVar(&b.file, "batch", "", "verify every line of `FILE` (- is stdin) as a token; a summary, or JSON Lines with -o json")
	c.Flags().BoolVar(&b.extract, "extract", false, "with --batch: take the first JWT-shaped substring of each line (raw logs)")
	c.Flags().IntVarP(&b.jobs, "jobs", "j", 0, "with --batch: number of verifying workers, at most 256 (default: the number of CPUs Go uses)")
	_ = c.MarkFlagFilename("batch")
}

// maxBatchJobs caps -j: the work is CPU-bound, so workers beyond the CPUs
// only add goroutines and memory in flight; a typo (-j 100000) must not.
const maxBatchJobs = 256

// runTokenBatch runs token's batch mode when --batch is given; handled is
// false otherwise.
func runTokenBatch(ctx context.Context, f *Factory, opts *tokenOptions) (handled bool, err error) {
	b := &opts.batch
	if b.file == "" {
		if b.extract || b.jobs != 0 {
			return true, usageErrorf("--extract and -j work with --batch only")
		}
		return false, nil
	}
	switch {
	case opts.argGiven || opts.tokenFile != "":
		return true, usageErrorf("--batch reads the tokens from its file: give no token argument and no --token-file")
	case opts.decodeOnly:
		return true, usageErrorf("--batch verifies; it has no --decode-only mode")
	case opts.backends:
		return true, usageErrorf("--backends lists the backends for one token; --batch counts by alg (baverify compat --alg ALG has the list)")
	case opts.quiet && opts.out.json():
		return true, usageErrorf("--quiet prints the text verdict line; with --output json, read each line's .verdict")
	case b.jobs < 0 || b.jobs > maxBatchJobs:
		return true, usageErrorf("-j must be from 0 (the number of CPUs) to %d", maxBatchJobs)
	}
	if err := opts.out.validate(); err != nil {
		return true, err
	}
	if err := opts.net.validate(); err != nil {
		return true, err
	}
	opts.keys.fromEnv(f.Getenv)
	switch {
	case opts.keys.baseURL == "" && opts.keys.jwks == "":
		return true, usageErrorf("--batch needs --base-url or --jwks: the JWKS is never taken from each token's own iss")
	case b.file == "-" && opts.keys.jwks == "-":
		return true, usageErrorf("--batch - and --jwks - cannot both read stdin")
	}
	clock, err := opts.policy.clock(f)
	if err != nil {
		return true, err
	}
	in := f.IO.In
	if b.file != "-" {
		fh, err := os.Open(b.file)
		if err != nil {
			return true, usageErrorf("--batch: %v", err)
		}
		defer fh.Close()
		in = fh
	}
	errSt := opts.out.errStyles(f)
	fetcher, err := opts.net.client(f, errSt, nil)
	if err != nil {
		return true, err
	}
	ko := opts.net.cached(f, errSt, opts.keys.options(f, fetcher))
	// Every line is judged against the one set read before the first
	// (verify.Batch never refetches, so that a verdict cannot depend on a
	// line's position): that set is the server's current one, asked now,
	// unless the user's --cache-ttl lets the cache answer.
	ko.Revalidate = true
	resolved, err := keysource.Resolve(ko, "")
	if err != nil {
		return true, &usageError{err: err}
	}
	if _, remote := resolved.Keys.(*keysource.Remote); remote {
		var stop context.CancelFunc
		ctx, stop = f.interruptible(ctx)
		defer stop()
	}
	v := &verify.Verifier{Now: clock, Keys: resolved.Keys}
	if v.Policy, err = opts.policy.policy(resolved, opts.keys.baseURL); err != nil {
		return true, err
	}
	// The key source is read once, before the first line: when it cannot
	// be read, nothing can be checked, and a long input is not read for
	// nothing.
	bv, err := verify.NewBatch(ctx, v)
	switch {
	case ctx.Err() != nil:
		return true, ctx.Err()
	case err != nil:
		var se *jwks.SourceError
		if !errors.As(err, &se) {
			err = &jwks.SourceError{Source: httpclient.RedactURLPasswords(resolved.Location), Err: err}
		}
		return true, err
	}
	return true, tokenBatch(ctx, f, opts, bv, in)
}

// tokenBatch streams the input through the batch verifier and writes the
// JSON Lines or the summary.
func tokenBatch(ctx context.Context, f *Factory, opts *tokenOptions, bv *verify.Batch, in io.Reader) error {
	out := bufio.NewWriterSize(f.IO.Out, 64<<10)
	sum := batch.NewSummary()
	sum.Keys = bv.Keys()
	keys := render.BatchKeysJSON(sum.Keys)
	var progress *batch.Progress
	width := 0
	if f.IO.ErrIsTTY && f.Now != nil {
		// Only a terminal sees progress; \r rewrites the line in place,
		// and nothing asks the terminal anything.
		progress = batch.NewProgress(f.Now, 250*time.Millisecond, func(s string) {
			if len(s) > width {
				width = len(s)
			}
			_, _ = io.WriteString(f.IO.ErrOut, "\r"+s+strings.Repeat(" ", width-len(s)))
		})
	}
	var buf []byte
	jsonOut := opts.out.json()
	lines, err := batch.Run(ctx, in, bv, batch.Options{Workers: opts.batch.jobs, Extract: opts.batch.extract}, func(l *batch.Line) error {
		sum.Add(l)
		if progress != nil {
			progress.Update(sum)
		}
		if jsonOut {
			buf = render.AppendBatchJSON(buf[:0], l, keys)
			_, err := out.Write(buf)
			return err
		}
		return nil
	})
	if progress != nil && progress.Shown() {
		_, _ = io.WriteString(f.IO.ErrOut, "\r"+strings.Repeat(" ", width)+"\r")
	}
	sum.Read = lines
	if err != nil {
		_ = out.Flush()
		if ctx.Err() != nil {
			return ctx.Err()
		}
		var ie *batch.InputError
		if errors.As(err, &ie) {
			return &usageError{err: err}
		}
		return err
	}
	switch {
	case !jsonOut && opts.quiet:
		if _, err := io.WriteString(out, render.BatchVerdict(sum, opts.out.styles(f))+"\n"); err != nil {
			return err
		}
	case !jsonOut:
		if err := render.BatchText(out, sum, opts.out.styles(f)); err != nil {
			return err
		}
	}
	if err := out.Flush(); err != nil {
		return err
	}
	switch {
	case sum.Verdicts[batch.CouldNotCheck] > 0:
		return errUnavailable
	case !sum.AllValid():
		return errNegative
	}
	return nil
}
