package cmd

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"strings"

	"github.com/spf13/cobra"

	"github.com/baverify/baverify/internal/keysource"
	"github.com/baverify/baverify/internal/render"
	"github.com/baverify/baverify/internal/verify"
)

type tokenOptions struct {
	out        outputFlags
	net        networkFlags
	keys       keySourceFlags
	policy     policyFlags
	tokenFile  string
	decodeOnly bool
	quiet      bool
	backends   bool
	arg        string
	argGiven   bool
	batch      batchFlags
}

// tokenInputFlags adds --token-file, shared by the commands that take a token.
func tokenInputFlags(c *cobra.Command, file *string) {
	c.Flags().StringVar(file, "token-file", "", "read the token from `FILE`")
	_ = c.MarkFlagFilename("token-file")
}

func newTokenCmd(f *Factory, runF func(*tokenOptions) error) *cobra.Command {
	opts := &tokenOptions{}
	c := &cobra.Command{
		Use:   "token [TOKEN | -]",
		Short: "Decode a JWT and verify it against a Better Auth JWKS",
		// Names people try first (cobra suggests token for them).
		SuggestFor: []string{"verify", "decode", "check", "validate", "jwt"},
		Long: `Decode a JWT and fully verify it: the signature against the JWKS (the algorithm
comes from an allowlist, never from the token alone), then exp, nbf, iat,
iss and aud. Every failure is reported with a hint in Better Auth's terms.

The token comes from the argument, "-" or a pipe (stdin), --token-file, or
BAVERIFY_TOKEN. Quotes, a "Bearer " prefix or a whole "Authorization: Bearer"
line are accepted, and the output notes what was stripped; framing that a
backend refuses ("Bearer Bearer", "Bearer:", a cookie pair) is a warning.
At a terminal, "-" asks for the token and takes the pasted line when Enter
is pressed.

The report leads with the verdict and its reason, then one line on the
measured backends (--backends lists them all), the checks, the errors with
their hints, and the decoded token; -q prints the verdict line alone.

Keys come from --base-url (the Better Auth baseURL: the JWKS is at
/api/auth/jwks, and iss and aud must equal its origin), or --jwks (a URL, a
file or -); a flag beats BAVERIFY_BASE_URL and BAVERIFY_JWKS. With
neither, an iss that is an http(s) origin (or origin and path, without
userinfo, query or fragment) is used to find the JWKS at
iss + /api/auth/jwks: a request to a host the token chose. The output then
says loudly that the issuer is NOT pinned; --no-discover turns that off.

--batch FILE (or -) verifies one token per line with the same pipeline and
-j workers, and prints a summary, or JSON Lines with -o json; --extract
finds the JWT in each line of a raw log. It needs --base-url or --jwks.

Exit codes: 0 valid (also against a STALE cached JWKS when the server
cannot be asked: the verdict line says so; --no-cache refuses stale keys),
1 invalid or not verified, 2 usage error or unreadable input, 3 could
not check (JWKS unreachable with no cached copy, or not a JWKS).`,
		Example: `  # paste a token: decode and verify through its iss (issuer not pinned)
  baverify token eyJhbGciOiJFZERTQSIs...

  # pin the Better Auth deployment: iss and aud must be its origin
  baverify token --base-url https://app.example.com "$JWT"

  # a local JWKS file, explicit issuer and audience, token from stdin
  echo "$JWT" | baverify token --jwks ./jwks.json --issuer https://app.example.com --audience https://api.example.com -

  # CI logs: the verdict line alone; the exit code says the same
  baverify token -q --base-url https://app.example.com "$JWT"

  # scripts: JSON on stdout, exit code for the verdict
  baverify token -o json --jwks https://app.example.com/api/auth/jwks "$JWT" | jq .valid

  # was it valid at a given time?
  baverify token --base-url https://app.example.com --now 2026-11-26T16:00:00Z "$JWT"

  # thousands at once: a summary, or one JSON line per token
  baverify token --batch tokens.txt --base-url https://app.example.com
  baverify token --batch access.log --extract --jwks jwks.json -o json > verdicts.jsonl`,
		Args: oneToken,
		RunE: func(c *cobra.Command, args []string) error {
			if len(args) == 1 {
				opts.arg, opts.argGiven = args[0], true
			}
			if runF != nil {
				return runF(opts)
			}
			return runToken(c.Context(), f, opts)
		},
	}
	opts.out.register(c)
	opts.net.register(c)
	opts.net.registerCacheTTL(c)
	opts.keys.register(c)
	opts.policy.register(c)
	tokenInputFlags(c, &opts.tokenFile)
	c.Flags().BoolVar(&opts.decodeOnly, "decode-only", false, "only decode; verify nothing (the output says NOT VERIFIED)")
	quietFlag(c, &opts.quiet)
	c.Flags().BoolVar(&opts.backends, "backends", false, "list every measured backend setup for the token's algorithm, not one line")
	opts.batch.register(c)
	return c
}

func runToken(ctx context.Context, f *Factory, opts *tokenOptions) error {
	if handled, err := runTokenBatch(ctx, f, opts); handled {
		return err
	}
	if err := opts.out.validate(); err != nil {
		return err
	}
	if err := validateQuiet(opts.quiet, &opts.out); err != nil {
		return err
	}
	if opts.quiet && opts.backends {
		return usageErrorf("--quiet prints the verdict line alone; drop --backends or --quiet")
	}
	if err := opts.net.validate(); err != nil {
		return err
	}
	opts.keys.fromEnv(f.Getenv)
	errSt := opts.out.errStyles(f)
	in, err := readTokenInput(f, opts.arg, opts.argGiven, opts.tokenFile)
	raw := in.Token
	// A token too large to read whole is a verdict (malformed), not a
	// usage error: --output json still gets its result object.
	tooLarge := errors.Is(err, verify.ErrTokenTooLarge)
	if err != nil && !tooLarge {
		return err
	}
	clock, err := opts.policy.clock(f)
	if err != nil {
		return err
	}
	v := &verify.Verifier{Now: clock, DecodeOnly: opts.decodeOnly}
	var resolved *keysource.Resolved
	if !opts.decodeOnly && !tooLarge {
		fetcher, err := opts.net.client(f, errSt, warnJWKSCrossOrigin(f, errSt))
		if err != nil {
			return err
		}
		ko := opts.net.cached(f, errSt, opts.keys.options(f, fetcher))
		ko.AllowStale = true // with a loud warning, and said in the result
		resolved, err = keysource.Resolve(ko, opts.keys.issuerToDiscover(raw))
		if err != nil {
			return &usageError{err: err}
		}
		v.Keys = resolved.Keys
		if _, remote := resolved.Keys.(*keysource.Remote); remote {
			var stop context.CancelFunc
			ctx, stop = f.interruptible(ctx)
			defer stop()
		}
	}
	if v.Policy, err = opts.policy.policy(resolved, opts.keys.baseURL); err != nil {
		return err
	}
	var result *verify.Result
	if tooLarge {
		result = v.TooLarge()
	} else {
		result = v.Verify(ctx, raw)
		result.NoteInput(in)
	}
	if ctx.Err() != nil {
		return ctx.Err()
	}
	backends := tokenCompat(result)
	if opts.out.json() {
		out := tokenJSON{Result: result}
		if backends != nil {
			out.Compatibility = backends.Entries
			out.CompatibilityCoverage = &backends.Coverage
		}
		err = render.JSON(f.IO.Out, out)
	} else {
		st := opts.out.styles(f)
		simulated := opts.policy.now != ""
		if opts.quiet {
			_, err = io.WriteString(f.IO.Out, render.TokenVerdict(result, st, simulated)+"\n")
		} else {
			err = render.TokenText(f.IO.Out, result, st, render.TokenTextOptions{
				Backends: backends, AllBackends: opts.backends, SimulatedNow: simulated})
		}
	}
	if err != nil {
		return err
	}
	return tokenVerdict(result)
}

// tokenVerdict maps a token result to the command's outcome.
func tokenVerdict(r *verify.Result) error {
	switch {
	case r.DecodeOnly && r.Token != nil:
		return nil
	case r.SourceErr != nil:
		return errUnavailable
	case r.Valid:
		return nil
	}
	return errNegative
}

// issuerToDiscover is the token's iss when the key source is to be
// discovered from it, else "" (the token is then not decoded twice).
func (k *keySourceFlags) issuerToDiscover(raw string) string {
	if k.baseURL != "" || k.jwks != "" || k.noDiscover {
		return ""
	}
	return unverifiedIssuer(raw)
}

// unverifiedIssuer reads iss from a token without verifying anything; it
// is only used to find a JWKS by convention, and the result says so.
func unverifiedIssuer(raw string) string {
	tok, err := verify.Decode(raw)
	var de *verify.DecodeError
	if errors.As(err, &de) && de.Unwrapped != "" {
		// A wrapped paste: its verdict is malformed, but the hint verifies
		// the unwrapped form, which needs the same keys.
		tok, err = verify.Decode(de.Unwrapped)
	}
	if err != nil {
		return ""
	}
	iss, _, _ := tok.Claims.String("iss")
	return iss
}

// readToken finds the token: the argument ("-" is stdin), --token-file,
// BAVERIFY_TOKEN, then stdin when it is not a terminal.
func readToken(f *Factory, arg string, argGiven bool, file string) (string, error) {
	in, err := readTokenInput(f, arg, argGiven, file)
	return in.Token, err
}

// readTokenInput is readToken that also says what framing it stripped.
func readTokenInput(f *Factory, arg string, argGiven bool, file string) (verify.Input, error) {
	raw, err := readRawToken(f, arg, argGiven, file)
	if err != nil {
		return verify.Input{}, err
	}
	in, err := verify.ReadInput(raw)
	if err != nil {
		if errors.Is(err, verify.ErrEmptyToken) {
			return verify.Input{}, usageErrorf("no token in the input")
		}
		return verify.Input{}, &usageError{err: err}
	}
	return in, nil
}

func readRawToken(f *Factory, arg string, argGiven bool, file string) (string, error) {
	var raw string
	switch {
	case argGiven && file != "":
		return "", usageErrorf("give the token as an argument or with --token-file, not both")
	case argGiven && arg != "-":
		raw = arg
	case argGiven && f.IO.InIsTTY:
		// "-" at a terminal: say what is awaited, and take the pasted line
		// (Enter), not only Ctrl-D.
		fmt.Fprint(f.IO.ErrOut, "Paste a JWT and press Enter (Ctrl-D to end): ")
		s, err := readPasted(f.IO.In)
		if err != nil {
			return "", err
		}
		raw = s
	case argGiven:
		s, err := readBounded(f.IO.In)
		if err != nil {
			return "", err
		}
		raw = s
	case file != "":
		fh, err := os.Open(file)
		if err != nil {
			return "", usageErrorf("--token-file: %v", err)
		}
		defer fh.Close()
		s, err := readBounded(fh)
		if err != nil {
			return "", err
		}
		raw = s
	case f.Getenv("BAVERIFY_TOKEN") != "":
		raw = f.Getenv("BAVERIFY_TOKEN")
	case !f.IO.InIsTTY:
		s, err := readBounded(f.IO.In)
		if err != nil {
			return "", err
		}
		raw = s
	default:
		return "", usageErrorf("no token: pass it as an argument, with -, --token-file or BAVERIFY_TOKEN")
	}
	return raw, nil
}

// readPasted reads a token typed or pasted at a terminal: line by line,
// up to the end of the first line that holds a whole token (two dots), or
// to Ctrl-D (end of input) for anything else, such as a token pasted across
// lines (whose line break the verdict then names).
func readPasted(r io.Reader) (string, error) {
	const limit = verify.MaxTokenBytes + 4096
	br := bufio.NewReader(io.LimitReader(r, limit+1))
	var b strings.Builder
	for {
		line, err := br.ReadString('\n')
		b.WriteString(line)
		if b.Len() > limit {
			return "", &usageError{err: verify.ErrTokenTooLarge}
		}
		if tok, nerr := verify.NormalizeInput(b.String()); nerr == nil && strings.Count(tok, ".") >= 2 && strings.HasSuffix(line, "\n") {
			break
		}
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			return "", usageErrorf("reading the token: %v", err)
		}
	}
	return strings.TrimSpace(b.String()), nil
}

func readBounded(r io.Reader) (string, error) {
	const limit = verify.MaxTokenBytes + 4096
	b, err := io.ReadAll(io.LimitReader(r, limit+1))
	if err != nil {
		return "", usageErrorf("reading the token: %v", err)
	}
	if len(b) > limit {
		return "", &usageError{err: verify.ErrTokenTooLarge}
	}
	return strings.TrimSpace(string(b)), nil
}
