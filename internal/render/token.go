package render

import (
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"strings"
	"time"

	"github.com/baverify/baverify/internal/compat"
	"github.com/baverify/baverify/internal/humanize"
	"github.com/baverify/baverify/internal/verify"
)

// maxValueWidth bounds one displayed claim value; Better Auth payloads can
// carry a whole base64 avatar.
const maxValueWidth = 100

// timeClaims are displayed with their date and relative time.
var timeClaims = map[string]bool{"exp": true, "nbf": true, "iat": true, "auth_time": true}

// TokenTextOptions are the display choices of `token`.
type TokenTextOptions struct {
	// Backends is what the compatibility table says of the token; nil when
	// it does not apply.
	Backends *compat.TokenReport
	// AllBackends lists every measured setup (--backends) instead of the
	// one-line summary.
	AllBackends bool
	// SimulatedNow is set when the times were evaluated at --now, not by
	// the clock: the verdict and the time checks say so.
	SimulatedNow bool
}

// TokenText writes the human report of a token check, outcome first: the
// verdict line with its reason, one line on the measured backends, the
// checks, the errors and warnings with their hints, then the details
// (header, payload, key).
func TokenText(w io.Writer, r *verify.Result, st Styles, opts TokenTextOptions) error {
	p := &printer{w: w}
	p.line(TokenVerdict(r, st, opts.SimulatedNow))
	if opts.Backends != nil && !opts.AllBackends {
		// Second: what a backend will make of the token is the question
		// that brings most people here (a valid token, a backend's 500).
		p.line(BackendsLine(opts.Backends, st))
	}
	p.line("")
	tokenChecks(p, r, st, opts.SimulatedNow)
	problems(p, "Errors", r.Errors, st.Fail, st)
	problems(p, "Warnings", r.Warnings, st.Warn, st)
	if len(r.Notes) > 0 {
		p.line("")
		p.line(apply(st.Heading, "Notes"))
		for _, n := range r.Notes {
			p.line("  " + SafeLine(n))
		}
	}
	tokenDetails(p, r, st)
	if p.err == nil && opts.AllBackends {
		p.err = BackendsText(w, opts.Backends, st)
	}
	return p.err
}

// tokenChecks writes the Checks section; at --now the time checks say so.
func tokenChecks(p *printer, r *verify.Result, st Styles, simulated bool) {
	p.line(apply(st.Heading, "Checks"))
	width := 0
	for _, c := range r.Checks {
		width = max(width, len(c.Name))
	}
	for _, c := range r.Checks {
		msg := SafeLine(c.Message)
		if simulated && timeClaims[c.Name] && c.Status != verify.Skip {
			msg += apply(st.Warn, " at --now "+humanize.Time(r.Now))
		}
		p.line(fmt.Sprintf("  %s %-*s  %s", statusTag(c.Status, st), width, c.Name, msg))
	}
}

// tokenDetails writes what was decoded and which key was used.
func tokenDetails(p *printer, r *verify.Result, st Styles) {
	if r.DecodeOnly {
		p.line("")
		p.line(apply(st.Warn, "NOT VERIFIED: decoded only, the signature was not checked"))
	}
	switch {
	case r.Token != nil:
		p.line("")
		p.line(apply(st.Heading, "Header"))
		p.object(r.Token.Header, r, st)
		p.line("")
		p.line(apply(st.Heading, "Payload"))
		p.object(r.Token.Claims, r, st)
	case r.Partial != nil:
		// A malformed token still shows every part that decoded.
		notDecoded := "  " + apply(st.Dim, "(did not decode)")
		p.line("")
		p.line(apply(st.Heading, "Header"))
		if len(r.Partial.Header.Keys) == 0 {
			p.line(notDecoded)
		}
		p.object(r.Partial.Header, r, st)
		p.line("")
		title := ""
		if r.Partial.PayloadJSON == nil && len(r.Partial.Claims.Keys) > 0 {
			title = apply(st.Dim, " (only the claims before the payload breaks off)")
		}
		p.line(apply(st.Heading, "Payload") + title)
		if len(r.Partial.Claims.Keys) == 0 {
			p.line(notDecoded)
		}
		p.object(r.Partial.Claims, r, st)
	}
	if r.Key != nil {
		p.line("")
		p.line(apply(st.Heading, "Key"))
		kt := r.Key.Kty
		if r.Key.Crv != "" {
			kt += "/" + r.Key.Crv
		} else if r.Key.Bits > 0 {
			kt += fmt.Sprintf(" %d bits", r.Key.Bits)
		}
		alg := r.Key.Alg
		if alg == "" {
			alg = "(none)"
		}
		p.field("kid", SafeLine(r.Key.Kid), st)
		p.field("type", SafeLine(kt)+", alg "+SafeLine(alg), st)
		p.field("thumbprint", r.Key.Thumbprint+" (RFC 7638, SHA-256)", st)
		p.field("source", SafeLine(r.Key.Source), st)
	}
	if r.JWKS != nil && r.JWKS.From != "file" && r.JWKS.From != "stdin" {
		if r.Key == nil {
			p.line("")
			p.line(apply(st.Heading, "Key"))
			p.field("source", SafeLine(r.JWKS.Location), st)
		}
		from := SafeLine(r.JWKS.Describe())
		if r.JWKS.From == "stale_cache" {
			from = apply(st.Warn, from)
		}
		p.field("keys from", from, st)
	}
}

// problems writes a list of errors or warnings with their hints.
func problems(p *printer, title string, list []verify.Problem, color func(string) string, st Styles) {
	if len(list) == 0 {
		return
	}
	p.line("")
	p.line(apply(st.Heading, title))
	for _, e := range list {
		p.line("  " + apply(color, string(e.Code)) + ": " + SafeLine(e.Message))
		if e.Hint != "" {
			p.line("    " + apply(st.Dim, "hint: ") + SafeLine(e.Hint))
		}
	}
}

// staleAge is ", fetched 2h ago" for a cached key set with a known age.
func staleAge(o *verify.KeysOrigin) string {
	if o.AgeSeconds == nil {
		return ""
	}
	return ", fetched " + humanize.Duration(time.Duration(*o.AgeSeconds)*time.Second) + " ago"
}

// TokenVerdict is the first line of a token report, and all that --quiet
// prints: the verdict, then the token in a few words or the reason it is
// not valid.
//
//	VALID  EdDSA token for sub hDpi..., expires in 14m
//	INVALID (expired, audience_mismatch)  EdDSA token for sub hDpi...: expired 4m ago (exp ...)
//	INVALID (malformed): line break at byte 150, inside the payload
func TokenVerdict(r *verify.Result, st Styles, simulated bool) string {
	at := ""
	if simulated {
		at = " at --now " + humanize.Time(r.Now)
	}
	about := tokenAbout(r, at)
	reason := ""
	if e := r.Primary(); e != nil {
		reason = ": " + firstClause(SafeLine(e.Message))
		if simulated && timeCodes[e.Code] {
			reason += at
		}
	}
	var line string
	switch {
	case r.DecodeOnly && r.Token != nil:
		line = apply(st.Warn, "NOT VERIFIED (decoded only)") + "  " + about + "; the signature was not checked"
	case r.SourceErr != nil:
		line = apply(st.Fail, "COULD NOT CHECK (the key source could not be read)") + reason
	case r.Valid && hasWarning(r, verify.WarnHeaderFraming):
		line = apply(st.Pass, "VALID") + " " + apply(st.Warn, "(the token; the header as pasted is refused by a backend: header_framing)") + "  " + about
	case r.Valid && r.JWKS != nil && r.JWKS.From == "stale_cache":
		// Exit 0 as documented, but the line itself says what the verdict
		// rests on: keys the server could not confirm in this run.
		line = apply(st.Pass, "VALID") + " (" + apply(st.Warn, "keys from a STALE cache") + staleAge(r.JWKS) +
			": the server could not be asked; valid only if it still publishes them"
		if !r.IssuerPinned {
			line += "; the issuer is not pinned"
		}
		line += ")  " + about
	case r.Valid && !r.IssuerPinned:
		line = apply(st.Pass, "VALID") + " " + apply(st.Warn, "(issuer not pinned)") + "  " + about
	case r.Valid:
		line = apply(st.Pass, "VALID") + "  " + about
	case !r.Verified && r.HasError(verify.CodeUnverified) && len(r.Errors) == 1:
		line = apply(st.Warn, "NOT VERIFIED (no key source)") + "  " + about
	default:
		codes := make([]string, 0, len(r.Errors))
		for _, e := range r.Errors {
			codes = append(codes, string(e.Code))
		}
		line = apply(st.Fail, "INVALID ("+strings.Join(codes, ", ")+")")
		if r.Token != nil {
			line += "  " + about
		}
		line += reason
	}
	if r.JWKS != nil && r.JWKS.From == "stale_cache" && !r.Valid && !r.DecodeOnly && r.SourceErr == nil {
		line += " " + apply(st.Warn, "against a STALE cached JWKS")
	}
	return line
}

// timeCodes are the errors about exp, nbf and iat: at --now they hold at
// that time, not now.
var timeCodes = map[verify.Code]bool{verify.CodeExpired: true, verify.CodeNotYetValid: true, verify.CodeIssuedInFuture: true}

// tokenAbout is a decoded token in a few words: "EdDSA token for sub X,
// expires in 14m"; "" when the token did not decode.
func tokenAbout(r *verify.Result, at string) string {
	if r.Token == nil {
		return ""
	}
	s := "token"
	if alg := r.HeaderString("alg"); alg != "" {
		s = humanize.Clip(SafeLine(alg), 16) + " token"
	}
	if sub, _, _ := r.Token.Claims.String("sub"); sub != "" {
		s += " for sub " + humanize.Clip(SafeLine(sub), 40)
	}
	if r.ExpiresAt != nil && !r.HasError(verify.CodeExpired) {
		if r.ExpiresAt.After(r.Now) {
			s += ", expires " + humanize.Relative(r.ExpiresAt.Time, r.Now) + at
		} else {
			s += ", expired " + humanize.Relative(r.ExpiresAt.Time, r.Now) + at
		}
	}
	return s
}

// firstClause shortens a long message for the verdict line to its longest
// run of whole clauses (cut before a ": ") that fits; the Errors section
// has it whole.
func firstClause(msg string) string {
	const long = 120
	if len(msg) <= long {
		return msg
	}
	cut := -1
	for i := 0; ; {
		j := strings.Index(msg[i:], ": ")
		if j < 0 || i+j > long {
			break
		}
		cut, i = i+j, i+j+2
	}
	if cut >= 10 {
		return msg[:cut]
	}
	return humanize.Clip(msg, long)
}

func hasWarning(r *verify.Result, c verify.Code) bool {
	for _, w := range r.Warnings {
		if w.Code == c {
			return true
		}
	}
	return false
}

func statusTag(s verify.Status, st Styles) string {
	switch s {
	case verify.Pass:
		return apply(st.Pass, "[pass]")
	case verify.Fail:
		return apply(st.Fail, "[FAIL]")
	case verify.Warn:
		return apply(st.Warn, "[warn]")
	default:
		return apply(st.Skip, "[skip]")
	}
}

type printer struct {
	w   io.Writer
	err error
}

func (p *printer) line(s string) {
	if p.err != nil {
		return
	}
	_, p.err = io.WriteString(p.w, s+"\n")
}

func (p *printer) field(name, value string, st Styles) {
	p.line(fmt.Sprintf("  %s %s", apply(st.Key, fmt.Sprintf("%-11s", name)), value))
}

// object writes the members of a header or payload in their order, with
// dates made readable.
func (p *printer) object(o verify.Object, r *verify.Result, st Styles) {
	width := 0
	for _, k := range o.Keys {
		width = max(width, len(SafeLine(k)))
	}
	width = min(width, 20)
	for _, k := range o.Keys {
		raw := o.Members[k]
		value := displayValue(raw)
		if timeClaims[k] {
			if d, err := verify.ParseNumericDate(raw); err == nil {
				t := d.Time()
				value += apply(st.Dim, fmt.Sprintf("  %s (%s)", humanize.Time(t), humanize.Relative(t, r.Now)))
			}
		}
		p.line(fmt.Sprintf("  %s %s", apply(st.Key, fmt.Sprintf("%-*s", width, SafeLine(k))), value))
	}
}

// displayValue writes a JSON value compactly and safely, cut when long.
func displayValue(raw json.RawMessage) string {
	var buf strings.Builder
	var v any
	dec := json.NewDecoder(bytes.NewReader(raw))
	dec.UseNumber() // keep numbers exactly as sent
	if err := dec.Decode(&v); err != nil {
		return SafeLine(string(raw))
	}
	enc := json.NewEncoder(&buf)
	enc.SetEscapeHTML(false)
	if err := enc.Encode(v); err != nil {
		return SafeLine(string(raw))
	}
	s := SafeLine(strings.TrimSuffix(buf.String(), "\n"))
	if n := len(s); n > maxValueWidth {
		cut := maxValueWidth
		for cut > 0 && (s[cut]&0xC0) == 0x80 { // do not split a UTF-8 sequence
			cut--
		}
		s = s[:cut] + fmt.Sprintf("... (%d bytes)", n)
	}
	return s
}
