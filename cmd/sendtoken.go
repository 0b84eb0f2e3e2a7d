package cmd

import (
	"context"
	"net/http"

	"github.com/spf13/cobra"

	"github.com/baverify/baverify/internal/render"
)

// tokenToSend is how call and probe get the token they send: --token (a
// value, or - for stdin), --token-file, BAVERIFY_TOKEN, or --login, which
// signs in first with login's flags.
type tokenToSend struct {
	login     loginFlags
	token     string
	tokenSet  bool // --token was given, even empty
	tokenFile string
	doLogin   bool
}

func (s *tokenToSend) register(c *cobra.Command, what string) {
	c.Flags().StringVar(&s.token, "token", "", what+" (- reads stdin; env BAVERIFY_TOKEN)")
	tokenInputFlags(c, &s.tokenFile)
	c.Flags().BoolVar(&s.doLogin, "login", false, "sign in first (--base-url, --email, --password-stdin or BAVERIFY_PASSWORD) and use that token")
	s.login.register(c)
}

// parsed records what cobra cannot tell from the value alone.
func (s *tokenToSend) parsed(c *cobra.Command) {
	s.tokenSet = c.Flags().Changed("token")
}

// ways counts the ways the token was given on the command line.
func (s *tokenToSend) ways() int {
	n := 0
	for _, on := range []bool{s.tokenSet, s.tokenFile != "", s.doLogin} {
		if on {
			n++
		}
	}
	return n
}

// validateLogin refuses a password in a flag, and sign-in flags without
// --login.
func (s *tokenToSend) validateLogin(c *cobra.Command) error {
	if c.Flags().Changed("password") {
		return usageErrorf("never put a password in a flag; use --password-stdin or BAVERIFY_PASSWORD")
	}
	if !s.doLogin && (c.Flags().Changed("email") || s.login.passwordStdin) {
		return usageErrorf("--email and --password-stdin go with --login")
	}
	return nil
}

// readsStdin lists whether the token source reads stdin.
func (s *tokenToSend) readsStdin() []bool {
	return []bool{s.tokenSet && s.token == "-", s.doLogin && s.login.passwordStdin}
}

// obtain returns the token: with --login, signed in at baseURL (what
// happened goes to stderr); else read from --token, --token-file or
// BAVERIFY_TOKEN. none says what to do when no token was given at all.
func (s *tokenToSend) obtain(ctx context.Context, c *cobra.Command, f *Factory, client *http.Client, errSt render.Styles, baseURL, none string) (string, error) {
	if s.doLogin {
		d, err := loginDeployment(baseURL)
		if err != nil {
			return "", err
		}
		email, password, err := s.login.loginCredentials(ctx, c, f, d)
		if err != nil {
			return "", err
		}
		res, err := signIn(ctx, f, errSt, client, d, email, password)
		if err != nil {
			return "", loginVerdict(ctx, f, errSt, err)
		}
		if err := render.LoginInfo(f.IO.ErrOut, d.Origin(), res, errSt); err != nil {
			return "", err
		}
		return res.Token, nil
	}
	if !s.tokenSet && s.tokenFile == "" && f.Getenv("BAVERIFY_TOKEN") == "" {
		return "", usageErrorf("%s", none)
	}
	return readToken(f, s.token, s.tokenSet, s.tokenFile)
}
