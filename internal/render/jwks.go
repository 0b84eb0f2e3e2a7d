package render

import (
	"fmt"
	"io"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/baverify/baverify/internal/humanize"
	"github.com/baverify/baverify/internal/jwks"
)

// maxKidWidth bounds the kid column; Better Auth's kids have 32 characters
// and UUID kids 36.
const maxKidWidth = 44

// JWKSText writes the human report of a JWKS lint, outcome first: the
// verdict line with its reason, the findings by severity, then the
// details: the source, the keys, the measured backends, the HTTP facts.
func JWKSText(w io.Writer, r *jwks.Report, st Styles) error {
	p := &printer{w: w}
	p.line(JWKSVerdict(r, st))
	p.line("")
	findings(p, r.Findings, st)
	p.line("")
	source := SafeLine(r.Source)
	switch {
	case r.HTTP == nil && r.Source == "stdin":
		source += apply(st.Dim, " (read "+r.FetchedAt+")")
	case r.HTTP == nil:
		source += apply(st.Dim, " (file, read "+r.FetchedAt+")")
	default:
		source += apply(st.Dim, " (fetched "+r.FetchedAt+")")
	}
	p.line(apply(st.Heading, "JWKS") + " " + source)
	p.line("")
	keyTable(p, r.Keys, st)
	keyBackends(p, r.Keys, st)
	if r.HTTP != nil {
		p.line("")
		httpFacts(p, r, st)
	}
	return p.err
}

func keyTable(p *printer, keys []jwks.KeySummary, st Styles) {
	p.line(apply(st.Heading, fmt.Sprintf("Keys (%d)", len(keys))))
	if len(keys) == 0 {
		p.line("  none")
		return
	}
	header := []string{"#", "KID", "TYPE", "ALG", "USE", "THUMBPRINT (RFC 7638, SHA-256)"}
	rows := make([][]string, 0, len(keys))
	for i, k := range keys {
		rows = append(rows, []string{
			strconv.Itoa(i),
			clipRunes(SafeLine(deref(k.Kid)), maxKidWidth),
			clipRunes(SafeLine(keyType(k)), 24),
			clipRunes(SafeLine(deref(k.Alg)), 16),
			clipRunes(SafeLine(deref(k.Use)), 8),
			deref(k.Thumbprint),
		})
	}
	widths := make([]int, len(header))
	for i, h := range header {
		widths[i] = utf8.RuneCountInString(h)
	}
	for _, row := range rows {
		for i, c := range row {
			widths[i] = max(widths[i], utf8.RuneCountInString(c))
		}
	}
	p.line("  " + apply(st.Dim, cells(header, widths)))
	for _, row := range rows {
		p.line("  " + cells(row, widths))
	}
}

// cells pads every cell but the last to its column's width.
func cells(row []string, widths []int) string {
	var b strings.Builder
	for i, c := range row {
		if i == len(row)-1 {
			b.WriteString(c)
			break
		}
		b.WriteString(c)
		b.WriteString(strings.Repeat(" ", widths[i]-utf8.RuneCountInString(c)+2))
	}
	return strings.TrimRight(b.String(), " ")
}

func keyType(k jwks.KeySummary) string {
	kty := deref(k.Kty)
	switch {
	case kty == "RSA" && k.Bits != nil:
		return "RSA " + strconv.Itoa(*k.Bits)
	case k.Crv != nil:
		return kty + " " + *k.Crv
	}
	return kty
}

func deref(s *string) string {
	if s == nil || *s == "" {
		return "-"
	}
	return *s
}

// clipRunes cuts s to n runes, marking the cut.
func clipRunes(s string, n int) string {
	if utf8.RuneCountInString(s) <= n {
		return s
	}
	r := []rune(s)
	return string(r[:n-1]) + "…"
}

func httpFacts(p *printer, r *jwks.Report, st Styles) {
	h := r.HTTP
	none := apply(st.Dim, "(none)")
	orNone := func(s string) string {
		if s == "" {
			return none
		}
		return SafeLine(clipRunes(s, 200))
	}
	field := func(name, value string) {
		p.line(fmt.Sprintf("  %s %s", apply(st.Key, fmt.Sprintf("%-14s", name)), value))
	}
	p.line(apply(st.Heading, "HTTP"))
	field("status", strconv.Itoa(h.Status))
	field("content-type", orNone(h.ContentType))
	field("cache-control", orNone(h.CacheControl))
	field("etag", orNone(h.ETag))
	field("last-modified", orNone(h.LastModified))
	field("size", fmt.Sprintf("%d bytes", h.Bytes))
	if h.FromCache && !r.Cache.Revalidated {
		field("latency", apply(st.Dim, "none (no request)"))
	} else {
		field("latency", fmt.Sprintf("%d ms", h.LatencyMs))
	}
	field("cache", cacheFact(r))
}

// cacheFact says where the document came from and how long it is kept.
func cacheFact(r *jwks.Report) string {
	h, c := r.HTTP, r.Cache
	var ttl string
	switch {
	case c.Freshness > 0:
		ttl = "fresh for " + humanize.Duration(c.Freshness) + " by the server's Cache-Control or Expires"
	case c.ServerTTL:
		ttl = "the server says: revalidate on every use"
	default:
		ttl = "the server gave no max-age or Expires: asked again on every use"
	}
	if c.TTL > 0 {
		ttl += "; --cache-ttl " + humanize.Duration(c.TTL)
	}
	switch {
	case h.FromCache && c.Revalidated:
		return "from the cache, revalidated just now (304 Not Modified; " + ttl + ")"
	case h.FromCache:
		age := humanize.Duration(time.Duration(h.CacheAgeSeconds) * time.Second)
		return "from the cache, fetched " + age + " ago, not asked again (" + ttl + ")"
	case !c.Enabled:
		return "fetched now; the cache is off"
	case c.Stored:
		return "fetched now and cached (" + ttl + ")"
	}
	return "fetched now; not cached (only 200 answers that hold a JWKS are, unless Cache-Control says no-store)"
}

func findings(p *printer, list []jwks.Finding, st Styles) {
	if len(list) == 0 {
		p.line(apply(st.Heading, "Findings"))
		p.line("  none")
		return
	}
	p.line(apply(st.Heading, "Findings"))
	groups := []struct {
		sev   jwks.Severity
		title string
		color func(string) string
	}{
		{jwks.SeverityError, "Errors", st.Fail},
		{jwks.SeverityWarning, "Warnings", st.Warn},
		{jwks.SeverityInfo, "Info", st.Dim},
	}
	for _, g := range groups {
		var in []jwks.Finding
		for _, f := range list {
			if f.Severity == g.sev {
				in = append(in, f)
			}
		}
		if len(in) == 0 {
			continue
		}
		p.line(fmt.Sprintf("  %s (%d)", g.title, len(in)))
		for _, f := range in {
			p.line("    " + apply(g.color, f.Code) + ": " + SafeLine(f.Message))
			if f.Hint != "" {
				p.line("      " + apply(st.Dim, "fix: ") + SafeLine(f.Hint))
			}
		}
	}
}

// JWKSVerdict is the first line of a JWKS report: the verdict with its
// counts, the source, and the first finding that decides it, or what the
// JWKS holds when nothing does.
//
//	FAIL (1 error, 0 warnings, 0 info)  https://app.example.com/api/auth/jwks: the JWKS endpoint answered HTTP 404, not 200
//	PASS (0 errors, 0 warnings, 1 info)  https://app.example.com/api/auth/jwks: 1 key (EdDSA)
func JWKSVerdict(r *jwks.Report, st Styles) string {
	errs, warns, infos := r.Count(jwks.SeverityError), r.Count(jwks.SeverityWarning), r.Count(jwks.SeverityInfo)
	counts := plural(errs, "error") + ", " + plural(warns, "warning") + ", " + strconv.Itoa(infos) + " info"
	var head string
	decisive := jwks.SeverityError
	switch {
	case errs > 0:
		head = apply(st.Fail, "FAIL ("+counts+")")
	case r.Strict && warns > 0:
		head = apply(st.Fail, "FAIL ("+counts+"; --strict fails on warnings)")
		decisive = jwks.SeverityWarning
	case warns > 0:
		head = apply(st.Pass, "PASS") + " (" + counts + "; --strict would fail)"
	default:
		head = apply(st.Pass, "PASS") + " (" + counts + ")"
	}
	line := head + "  " + SafeLine(r.Source) + ": "
	for _, f := range r.Findings {
		if f.Severity == decisive {
			return line + firstClause(SafeLine(f.Message))
		}
	}
	return line + keysInBrief(r.Keys)
}

// keysInBrief is "2 keys (EdDSA, RS256)".
func keysInBrief(keys []jwks.KeySummary) string {
	var algs []string
	for _, k := range keys {
		if a := deref(k.Alg); a != "-" && !containsString(algs, a) {
			algs = append(algs, SafeLine(clipRunes(a, 16)))
		}
	}
	s := plural(len(keys), "key")
	if len(algs) > 0 {
		s += " (" + strings.Join(algs, ", ") + ")"
	}
	return s
}

func plural(n int, word string) string {
	if n == 1 {
		return "1 " + word
	}
	return strconv.Itoa(n) + " " + word + "s"
}
