package cmd

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"io"
	"net/http"
	"strings"

	"github.com/spf13/cobra"

	"github.com/baverify/baverify/internal/betterauth"
	"github.com/baverify/baverify/internal/jwks"
	"github.com/baverify/baverify/internal/render"
)

// loginFlags are the sign-in flags, shared by login and call --login. The
// base URL is not among them: login registers --base-url itself, call has
// it from keySourceFlags.
type loginFlags struct {
	email         string
	passwordStdin bool
	password      string // hidden --password: refused, never used
}

func (l *loginFlags) register(c *cobra.Command) {
	c.Flags().StringVar(&l.email, "email", "", "the account's email (env BAVERIFY_EMAIL)")
	c.Flags().BoolVar(&l.passwordStdin, "password-stdin", false, "read the password from the first line of stdin (else env BAVERIFY_PASSWORD, else a prompt on a terminal)")
	c.Flags().StringVar(&l.password, "password", "", "refused: a password in a flag ends up in shell history and process lists")
	_ = c.Flags().MarkHidden("password")
}

// credentials returns the email and password: --email or BAVERIFY_EMAIL;
// the password from stdin (--password-stdin) or BAVERIFY_PASSWORD, else,
// on a terminal, typed at a prompt with echo off (as gh and step do).
func (l *loginFlags) credentials(c *cobra.Command, f *Factory) (email, password string, err error) {
	if c.Flags().Changed("password") {
		return "", "", usageErrorf("never put a password in a flag; use --password-stdin or BAVERIFY_PASSWORD")
	}
	email = strings.TrimSpace(l.email)
	if email == "" {
		email = strings.TrimSpace(f.Getenv("BAVERIFY_EMAIL"))
	}
	if email == "" {
		return "", "", usageErrorf("no email: give --email or BAVERIFY_EMAIL")
	}
	switch {
	case l.passwordStdin:
		if f.IO.InIsTTY {
			return "", "", usageErrorf("--password-stdin: stdin is a terminal; pipe the password in (... --password-stdin < file)")
		}
		password, err = readPasswordLine(f.IO.In)
		if err != nil {
			return "", "", err
		}
	case f.Getenv("BAVERIFY_PASSWORD") != "":
		password = f.Getenv("BAVERIFY_PASSWORD")
	case f.IO.InIsTTY && f.IO.ReadPassword != nil:
		return email, "", errPromptPassword
	default:
		return "", "", usageErrorf("no password: type it at the prompt on a terminal, pipe it in with --password-stdin, or set BAVERIFY_PASSWORD (there is no --password flag)")
	}
	return email, password, nil
}

// errPromptPassword: the password is to be typed at a prompt; the caller
// knows the deployment, which the prompt names.
var errPromptPassword = errors.New("prompt for the password")

// promptPassword asks for the password on the terminal, echo off. The
// prompt goes to stderr: stdout carries only the token.
func promptPassword(ctx context.Context, f *Factory, email, origin string) (string, error) {
	fmt.Fprintf(f.IO.ErrOut, "Password for %s at %s: ", render.SafeLine(email), render.SafeLine(origin))
	password, err := f.IO.ReadPassword(ctx)
	fmt.Fprintln(f.IO.ErrOut) // the Enter key was not echoed
	switch {
	case ctx.Err() != nil:
		return "", ctx.Err()
	case err != nil:
		return "", usageErrorf("reading the password from the terminal: %v", err)
	case password == "":
		return "", usageErrorf("no password typed (--password-stdin and BAVERIFY_PASSWORD work too)")
	}
	return password, nil
}

// loginCredentials are the email and password for signing in to d,
// prompting for the password on a terminal when nothing else gave it.
func (l *loginFlags) loginCredentials(ctx context.Context, c *cobra.Command, f *Factory, d *betterauth.Deployment) (string, string, error) {
	email, password, err := l.credentials(c, f)
	if errors.Is(err, errPromptPassword) {
		password, err = promptPassword(ctx, f, email, d.Origin())
	}
	return email, password, err
}

// readPasswordLine reads the first line of r, without its line ending.
func readPasswordLine(r io.Reader) (string, error) {
	const limit = 4096
	line, err := bufio.NewReaderSize(io.LimitReader(r, limit+1), limit+1).ReadString('\n')
	if err != nil && !errors.Is(err, io.EOF) {
		return "", usageErrorf("--password-stdin: %v", err)
	}
	if len(line) > limit {
		return "", usageErrorf("--password-stdin: the first line is longer than %d bytes", limit)
	}
	line = strings.TrimSuffix(strings.TrimSuffix(line, "\n"), "\r")
	if line == "" {
		return "", usageErrorf("--password-stdin: stdin held no password")
	}
	return line, nil
}

// loginDeployment parses the base URL that login needs.
func loginDeployment(baseURL string) (*betterauth.Deployment, error) {
	if baseURL == "" {
		return nil, usageErrorf("login needs the Better Auth base URL: give --base-url or BAVERIFY_BASE_URL")
	}
	d, err := betterauth.ParseBaseURL(baseURL, "")
	if err != nil {
		return nil, &usageError{err: err}
	}
	return d, nil
}

// signIn runs Better Auth's sign-in flow and returns the JWT. Failures are
// *betterauth.LoginError (Unavailable when Better Auth cannot be reached).
func signIn(ctx context.Context, f *Factory, st render.Styles, client *http.Client, d *betterauth.Deployment, email, password string) (*betterauth.LoginResult, error) {
	warnPlainHTTP(f, st, d.Origin(), "the password", "read it")
	res, err := betterauth.Login(ctx, betterauth.LoginOptions{Deployment: d, Email: email, Password: password,
		Client: client, UserAgent: userAgent(f)})
	var le *betterauth.LoginError
	if errors.As(err, &le) && le.Kind == betterauth.LoginNoRoute {
		if base, ok := jwksGivenAsBaseURL(ctx, f, client, d); ok {
			le.Hint = "--base-url " + d.BaseURL.String() + " serves a JWKS: it is the JWKS URL, not Better Auth's baseURL; use --base-url " + base
		}
	}
	return res, err
}

// jwksGivenAsBaseURL checks, after sign-in answered 404, whether the base
// URL given is in fact a JWKS URL (it ends in /jwks and serves a JWKS), as
// token and jwks do; it returns the baseURL that serves it by Better Auth's
// defaults. No credential is sent.
func jwksGivenAsBaseURL(ctx context.Context, f *Factory, client *http.Client, d *betterauth.Deployment) (string, bool) {
	given := strings.TrimRight(d.BaseURL.String(), "/")
	base, ok := strings.CutSuffix(given, betterauth.DefaultJWKSPath)
	if !ok {
		return "", false
	}
	doc, err := (&jwks.Fetcher{Client: client, Now: f.Now, UserAgent: userAgent(f)}).Get(ctx, given, nil)
	if err != nil || doc.HTTP.Status != http.StatusOK {
		return "", false
	}
	if _, err := jwks.Parse(doc.Body); err != nil {
		return "", false
	}
	// The default routes (/api/auth) need no path in the baseURL.
	if origin, ok := strings.CutSuffix(base, betterauth.DefaultAuthPath); ok && origin == d.Origin() {
		base = origin
	}
	return base, true
}

// loginVerdict writes a failed sign-in to stderr and maps it to the exit
// code: 3 when Better Auth could not be reached, else 1.
func loginVerdict(ctx context.Context, f *Factory, st render.Styles, err error) error {
	var le *betterauth.LoginError
	if !errors.As(err, &le) || ctx.Err() != nil {
		return err
	}
	if werr := render.LoginFailure(f.IO.ErrOut, err, st); werr != nil {
		return werr
	}
	if le.Unavailable() {
		return errUnavailable
	}
	return errNegative
}

// noArgsNotShown refuses arguments without printing them: the usual
// mistake is "--password-stdin hunter2", which makes the password one.
func noArgsNotShown(c *cobra.Command, args []string) error {
	if len(args) > 0 {
		return argsError("%s takes no arguments; %d given (not shown: one may be a password, which comes from --password-stdin or BAVERIFY_PASSWORD, never the command line)", c.Name(), len(args))
	}
	return nil
}

type loginOptions struct {
	out     outputFlags
	net     networkFlags
	login   loginFlags
	baseURL string
}

func newLoginCmd(f *Factory) *cobra.Command {
	return newLoginCmdWith(f, nil)
}

func newLoginCmdWith(f *Factory, runF func(*cobra.Command, *loginOptions) error) *cobra.Command {
	opts := &loginOptions{}
	c := &cobra.Command{
		Use:   "login --base-url URL --email EMAIL [--password-stdin]",
		Short: "Sign in to Better Auth with email and password and print a JWT",
		Long: `Sign in through Better Auth's email and password endpoint
(POST /api/auth/sign-in/email, with the Origin header its CSRF check wants and
a cookie jar), then get a JWT from GET /api/auth/token, falling back to the
set-auth-jwt header of GET /api/auth/get-session.

Only the token goes to stdout, so TOKEN=$(baverify login ...) works; the rest
goes to stderr. The password never comes from a flag: pipe it in with
--password-stdin, or set BAVERIFY_PASSWORD; on a terminal, with neither,
baverify asks for it (echo off).

Exit codes: 0 signed in, 1 refused (wrong credentials, the Origin refused by
the CSRF check, no jwt plugin, Better Auth could not sign), 2 usage error,
3 Better Auth could not be reached.`,
		Example: `  baverify login --base-url https://app.example.com --email alice@example.com --password-stdin < pw.txt
  TOKEN=$(BAVERIFY_PASSWORD=... baverify login --base-url https://app.example.com --email alice@example.com)
  baverify login -o json --base-url http://localhost:3000 --email alice@example.com --password-stdin < pw.txt | jq -r .token`,
		Args: noArgsNotShown,
		RunE: func(c *cobra.Command, _ []string) error {
			if runF != nil {
				return runF(c, opts)
			}
			return runLogin(c, f, opts)
		},
	}
	opts.out.register(c)
	opts.net.registerTransport(c)
	opts.login.register(c)
	c.Flags().StringVar(&opts.baseURL, "base-url", "", "the Better Auth baseURL (env BAVERIFY_BASE_URL)")
	return c
}

func runLogin(c *cobra.Command, f *Factory, opts *loginOptions) error {
	ctx, stop, err := startNetworkRun(c, f, &opts.out, &opts.net)
	if err != nil {
		return err
	}
	defer stop()
	if opts.baseURL == "" {
		opts.baseURL = f.Getenv("BAVERIFY_BASE_URL")
	}
	d, err := loginDeployment(opts.baseURL)
	if err != nil {
		return err
	}
	email, password, err := opts.login.loginCredentials(ctx, c, f, d)
	if err != nil {
		return err
	}
	errSt := opts.out.errStyles(f)
	fetcher, err := opts.net.client(f, errSt, nil)
	if err != nil {
		return err
	}
	res, err := signIn(ctx, f, errSt, fetcher.Client, d, email, password)
	if ctx.Err() != nil {
		return ctx.Err()
	}
	if opts.out.json() {
		if werr := render.JSON(f.IO.Out, render.NewLoginReport(res, err)); werr != nil {
			return werr
		}
	}
	if err != nil {
		return loginVerdict(ctx, f, errSt, err)
	}
	if opts.out.json() {
		return nil
	}
	if err := render.LoginInfo(f.IO.ErrOut, d.Origin(), res, errSt); err != nil {
		return err
	}
	_, err = io.WriteString(f.IO.Out, res.Token+"\n")
	return err
}
