package render

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"strings"

	"github.com/baverify/baverify/internal/betterauth"
	"github.com/baverify/baverify/internal/call"
	"github.com/baverify/baverify/internal/humanize"
	"github.com/baverify/baverify/internal/verify"
)

// DefaultBodyDisplay is how much of a response body the text report shows.
const DefaultBodyDisplay = 4096

// CallTextOptions are the display choices of `call`.
type CallTextOptions struct {
	// AllHeaders shows every response header (-i), not only the usual few.
	AllHeaders bool
	// BodyDisplay bounds the body shown, in bytes; 0 means DefaultBodyDisplay.
	BodyDisplay int
	// SimulatedNow is set when the token's times were evaluated at --now.
	SimulatedNow bool
}

// selectedHeaders are the response headers shown without -i.
var selectedHeaders = []string{"Content-Type", "Content-Length", "Date", "Location", "Www-Authenticate", "Retry-After"}

// CallText writes the human report of a call, outcome first: the result
// line (with the request and its first finding), the token's verdict, the
// diagnosis, then the details: the request as sent (credentials redacted
// unless --show-token), the response, and the token's facts.
func CallText(w io.Writer, rep *call.Report, st Styles, opts CallTextOptions) error {
	p := &printer{w: w}
	p.line(CallResult(rep, st))
	if rep.Token == nil {
		p.line(apply(st.Heading, "Token:") + " none sent (--no-token)")
	} else {
		p.line(apply(st.Heading, "Token:") + " " + TokenVerdict(rep.Token, st, opts.SimulatedNow))
	}

	diagnosis(p, "Diagnosis", rep.Diagnosis, st)

	p.line("")
	p.line(apply(st.Heading, "Request"))
	p.line("  " + SafeLine(rep.Request.Method) + " " + SafeLine(rep.Request.URL))
	for _, name := range call.HeaderNames(rep.Request.Headers) {
		for _, v := range rep.Request.Headers[name] {
			p.line("  " + apply(st.Key, name+":") + " " + SafeLine(v))
		}
	}
	if rep.Request.BodyBytes > 0 {
		p.line("  " + apply(st.Dim, fmt.Sprintf("(%d bytes of body)", rep.Request.BodyBytes)))
	}

	p.line("")
	p.line(apply(st.Heading, "Response"))
	switch {
	case rep.Response == nil && rep.WrongProtocol != nil:
		p.line("  " + apply(st.Fail, "an answer in the other protocol") + ": " + SafeLine(rep.Error))
	case rep.Response == nil:
		p.line("  " + apply(st.Fail, "no answer") + ": " + SafeLine(rep.Error))
	default:
		callResponse(p, rep.Response, st, opts)
	}

	if rep.Token != nil {
		p.line("")
		p.line(apply(st.Heading, "Token"))
		tokenFacts(p, rep.Token, st)
	}
	return p.err
}

// diagnosis writes call's findings under a heading; nothing when there
// are none. Messages and evidence can quote the backend: server text.
func diagnosis(p *printer, heading string, list []call.Finding, st Styles) {
	if len(list) == 0 {
		return
	}
	p.line("")
	p.line(apply(st.Heading, heading))
	for _, f := range list {
		p.line("  " + severityTag(f.Severity, st) + " " + apply(severityColor(f.Severity, st), string(f.Code)) + ": " + SafeLine(f.Message))
		for _, e := range f.Evidence {
			p.line("      - " + SafeLine(e))
		}
		if f.Hint != "" {
			p.line("      " + apply(st.Dim, "hint: ") + SafeLine(f.Hint))
		}
		if f.HowToTell != "" {
			p.line("      " + apply(st.Dim, "how to tell: ") + SafeLine(f.HowToTell))
		}
	}
}

// callToken writes the verdict of the token sent and its facts (probe's
// Token section).
func callToken(p *printer, r *verify.Result, st Styles) {
	if r == nil {
		p.line("  none sent (--no-token)")
		return
	}
	p.line("  " + TokenVerdict(r, st, false))
	tokenFacts(p, r, st)
}

// tokenFacts writes the facts of a token sent (alg, kid, iss, aud, sub,
// expiry), and its errors and warnings with their hints.
func tokenFacts(p *printer, r *verify.Result, st Styles) {
	if r.Token != nil {
		var facts []string
		add := func(name, v string) {
			if v != "" {
				facts = append(facts, name+" "+SafeLine(v))
			}
		}
		add("alg", r.HeaderString("alg"))
		add("kid", r.HeaderString("kid"))
		for _, c := range []string{"iss", "aud", "sub"} {
			if raw, ok := r.Claim(c); ok {
				var str string
				if json.Unmarshal(raw, &str) == nil {
					add(c, str)
				} else {
					add(c, displayValue(raw))
				}
			}
		}
		if r.ExpiresAt != nil {
			facts = append(facts, "expires "+humanize.Relative(r.ExpiresAt.Time, r.Now))
		}
		if len(facts) > 0 {
			p.line("  " + strings.Join(facts, "  "))
		}
	}
	for _, e := range r.Errors {
		p.line("  " + apply(st.Fail, string(e.Code)) + ": " + SafeLine(e.Message))
		if e.Hint != "" {
			p.line("    " + apply(st.Dim, "hint: ") + SafeLine(e.Hint))
		}
	}
	for _, e := range r.Warnings {
		p.line("  " + apply(st.Warn, string(e.Code)) + ": " + SafeLine(e.Message))
	}
}

// droppedHeaders are the credential headers a redirect dropped.
func droppedHeaders(r call.Redirect) []string {
	if len(r.DroppedHeaders) == 0 && r.AuthorizationDropped {
		return []string{"Authorization"}
	}
	return r.DroppedHeaders
}

func callResponse(p *printer, resp *call.ResponseInfo, st Styles, opts CallTextOptions) {
	status := fmt.Sprintf("HTTP %d %s", resp.Status, SafeLine(resp.StatusText))
	color := st.Pass
	if resp.Status/100 != 2 {
		color = st.Fail
	}
	p.line("  " + apply(color, status) + apply(st.Dim, fmt.Sprintf("  %dms", resp.LatencyMs)))
	for _, r := range resp.Redirects {
		note := ""
		if dropped := droppedHeaders(r); len(dropped) > 0 {
			note = apply(st.Warn, " (another origin: "+SafeLine(strings.Join(dropped, ", "))+" dropped)")
		}
		p.line("  redirected: " + SafeLine(r.From) + " -> " + SafeLine(r.To) + note)
	}
	names := selectedHeaders
	if opts.AllHeaders {
		names = call.HeaderNames(resp.Headers)
	}
	for _, name := range names {
		for _, v := range resp.Headers[name] {
			p.line("  " + apply(st.Key, name+":") + " " + SafeLine(v))
		}
	}
	p.line("")
	limit := opts.BodyDisplay
	if limit <= 0 {
		limit = DefaultBodyDisplay
	}
	body := resp.Body.Raw
	if len(bytes.TrimSpace(body)) == 0 {
		p.line("  " + apply(st.Dim, "(empty body)"))
	} else {
		text := string(body)
		if resp.Body.JSON {
			var buf bytes.Buffer
			if json.Indent(&buf, body, "", "  ") == nil {
				text = buf.String()
			}
		}
		shown := text
		if len(shown) > limit {
			cut := limit
			for cut > 0 && (shown[cut]&0xC0) == 0x80 {
				cut--
			}
			shown = shown[:cut]
		}
		for _, l := range strings.Split(strings.TrimRight(Safe(shown), "\n"), "\n") {
			p.line("  " + l)
		}
		if len(shown) < len(text) {
			p.line("  " + apply(st.Dim, fmt.Sprintf("... (%d of %d bytes shown; --output json has the whole body)", len(shown), len(text))))
		}
	}
	if resp.Truncated {
		note := fmt.Sprintf("(the body was cut at %d bytes)", resp.BodyBytes)
		if resp.BodyError != "" {
			note = "(reading the body failed: " + SafeLine(resp.BodyError) + ")"
		}
		p.line("  " + apply(st.Warn, note))
	}
}

func severityTag(s call.Severity, st Styles) string {
	switch s {
	case call.SeverityError:
		return apply(st.Fail, "[FAIL]")
	case call.SeverityWarning:
		return apply(st.Warn, "[warn]")
	}
	return apply(st.Skip, "[info]")
}

func severityColor(s call.Severity, st Styles) func(string) string {
	switch s {
	case call.SeverityError:
		return st.Fail
	case call.SeverityWarning:
		return st.Warn
	}
	return nil
}

// CallResult is the first line of a call report: the outcome, the
// request, and the first finding that explains it.
//
//	FAIL (HTTP 401, expected 2xx)  GET https://api.example.com/api/me: the backend answered 401 to a token that verifies locally
func CallResult(rep *call.Report, st Styles) string {
	req := "  " + SafeLine(rep.Request.Method) + " " + SafeLine(rep.Request.URL)
	switch {
	case rep.WrongProtocol != nil:
		return apply(st.Fail, "Result: COULD NOT CALL") + " (" + SafeLine(rep.WrongProtocol.Error()) + ")"
	case rep.Unreachable:
		// Go's errors repeat the request ("Get "URL": ..."): the line has it.
		cause := rep.Error
		if i := strings.Index(cause, fmt.Sprintf("%q: ", rep.Request.URL)); i >= 0 && i <= len("Options ") {
			cause = cause[i+len(rep.Request.URL)+4:]
		}
		return apply(st.Fail, "COULD NOT CALL (no answer from the backend)") + req + ": " + SafeLine(cause)
	case rep.Incomplete:
		return apply(st.Fail, fmt.Sprintf("COULD NOT CHECK (HTTP %d, but the body could not be read to the end)", rep.Response.Status)) + req
	case rep.OK:
		line := apply(st.Pass, fmt.Sprintf("OK (HTTP %d, expected %s)", rep.Response.Status, rep.ExpectedStatus)) + req
		if i := call.Lead(rep.Diagnosis); i >= 0 {
			line += ": " + apply(st.Warn, "warning: ") + firstClause(SafeLine(rep.Diagnosis[i].Message))
		}
		return line
	}
	var errs []string
	for _, f := range rep.Diagnosis {
		if f.Severity == call.SeverityError && f.Code != call.CodeStatusMismatch {
			errs = append(errs, string(f.Code))
		}
	}
	why := fmt.Sprintf("HTTP %d, expected %s", rep.Response.Status, rep.ExpectedStatus)
	if rep.StatusMatched {
		why = fmt.Sprintf("HTTP %d as expected", rep.Response.Status)
	}
	if len(errs) > 0 {
		why += "; " + strings.Join(errs, ", ")
	}
	line := apply(st.Fail, "FAIL ("+why+")") + req
	if i := call.Lead(rep.Diagnosis); i >= 0 {
		line += ": " + firstClause(SafeLine(rep.Diagnosis[i].Message))
	}
	return line
}

// LoginReport is the JSON output of `baverify login`.
type LoginReport struct {
	OK       bool        `json:"ok"`
	Token    string      `json:"token,omitempty"`
	Source   string      `json:"source,omitempty"`
	TokenURL string      `json:"tokenUrl,omitempty"`
	Email    string      `json:"email,omitempty"`
	UserID   string      `json:"userId,omitempty"`
	Notes    []string    `json:"notes,omitempty"`
	Error    *LoginIssue `json:"error,omitempty"`
}

// MarshalJSON writes the documented shape: {ok, token, source, tokenUrl,
// email, userId, notes} on success, notes always an array ([] when there
// are none), and {ok: false, error} on failure.
func (r LoginReport) MarshalJSON() ([]byte, error) {
	if !r.OK {
		return json.Marshal(struct {
			OK    bool        `json:"ok"`
			Error *LoginIssue `json:"error"`
		}{false, r.Error})
	}
	notes := r.Notes
	if notes == nil {
		notes = []string{}
	}
	return json.Marshal(struct {
		OK       bool     `json:"ok"`
		Token    string   `json:"token"`
		Source   string   `json:"source"`
		TokenURL string   `json:"tokenUrl"`
		Email    string   `json:"email"`
		UserID   string   `json:"userId"`
		Notes    []string `json:"notes"`
	}{true, r.Token, r.Source, r.TokenURL, r.Email, r.UserID, notes})
}

// LoginIssue is a failed sign-in in JSON.
type LoginIssue struct {
	Kind    string `json:"kind"`
	Status  int    `json:"status,omitempty"`
	Code    string `json:"code,omitempty"`
	Message string `json:"message"`
	Hint    string `json:"hint,omitempty"`
}

// NewLoginReport builds the JSON report of a sign-in.
func NewLoginReport(res *betterauth.LoginResult, err error) LoginReport {
	if err != nil {
		issue := &LoginIssue{Kind: string(betterauth.LoginUnexpected), Message: err.Error()}
		var le *betterauth.LoginError
		if errors.As(err, &le) {
			issue.Kind, issue.Status, issue.Code, issue.Hint = string(le.Kind), le.Status, le.Code, le.Hint
		}
		return LoginReport{Error: issue}
	}
	return LoginReport{OK: true, Token: res.Token, Source: res.Source, TokenURL: res.URL, Email: res.Email, UserID: res.UserID, Notes: res.Notes}
}

// LoginInfo writes the stderr line of a successful sign-in.
func LoginInfo(w io.Writer, origin string, res *betterauth.LoginResult, st Styles) error {
	p := &printer{w: w}
	how := "GET " + SafeLine(res.URL)
	if res.Source == betterauth.SourceSessionHeader {
		how = "the set-auth-jwt header of GET " + SafeLine(res.URL)
	}
	p.line(apply(st.Pass, "signed in") + " to " + SafeLine(origin) + " as " + SafeLine(res.Email) + "; the JWT comes from " + how)
	for _, n := range res.Notes {
		p.line("  " + apply(st.Dim, "note: ") + SafeLine(n))
	}
	return p.err
}

// LoginFailure writes a failed sign-in, with its hint, for stderr. Better
// Auth's message is server text and goes through SafeLine.
func LoginFailure(w io.Writer, err error, st Styles) error {
	p := &printer{w: w}
	p.line(apply(st.Fail, "login failed:") + " " + SafeLine(err.Error()))
	var le *betterauth.LoginError
	if errors.As(err, &le) && le.Hint != "" {
		p.line("  " + apply(st.Dim, "hint: ") + SafeLine(le.Hint))
	}
	return p.err
}
