package render

import (
	"fmt"
	"io"
	"strings"

	"github.com/baverify/baverify/internal/compat"
	"github.com/baverify/baverify/internal/jwks"
)

// wrapWidth is where a list of names is wrapped.
const wrapWidth = 100

// BackendsText writes the "Backends" section of `token`: which measured
// library setups verify the token's algorithm and which do not, with what
// they do instead and the fix. Nothing is written for a nil report (a
// token that did not decode, or whose algorithm is not allowed).
func BackendsText(w io.Writer, rep *compat.TokenReport, st Styles) error {
	if rep == nil {
		return nil
	}
	p := &printer{w: w}
	p.line("")
	p.line(apply(st.Heading, "Backends"))
	if rep.NotMeasured != "" {
		p.line("  " + apply(st.Dim, SafeLine(rep.NotMeasured)))
		return p.err
	}
	var ok []string
	for _, e := range rep.Entries {
		if e.Verifies {
			ok = append(ok, e.Library+" "+e.Version+" ("+e.Setup+")")
		}
	}
	label := "verify " + rep.Alg + ": "
	if len(ok) == 0 {
		p.line("  " + label + apply(st.Fail, "none of the measured setups"))
	} else {
		for i, l := range wrap(ok, wrapWidth-2-len(label)) {
			if i == 0 {
				p.line("  " + apply(st.Pass, label) + l)
			} else {
				p.line("  " + strings.Repeat(" ", len(label)) + l)
			}
		}
	}
	for _, e := range rep.Entries {
		if e.Verifies {
			continue
		}
		line := e.Library + " " + e.Version + " (" + e.Setup + "): " + compat.Behaviour(compat.Result{Outcome: e.Outcome, Error: e.Error, Fix: e.Fix, Status: e.Status}, e.Language)
		if e.Frameworks != "" {
			line += " (" + e.Frameworks + ")"
		}
		p.line("  " + compatTag(e.Outcome, st) + " " + SafeLine(line))
		p.line("    " + apply(st.Dim, "fix: ") + SafeLine(e.Fix))
	}
	p.line("  " + apply(st.Dim, fmt.Sprintf("measured with %s; %d setups measured, any other stack is unknown; baverify compat shows the whole table", rep.MeasuredWith, rep.Coverage.MeasuredSetups)))
	return p.err
}

// BackendsLine is the one-line summary of the "Backends" section that a
// token report carries unless --backends asks for the whole list: how many
// measured setups cannot verify the token's algorithm, and which libraries;
// apart, those that refuse it for a claim they require, not for its
// algorithm (simplejwt's default settings want a jti); or that every
// measured one verifies it (stacks not measured stay unknown).
func BackendsLine(rep *compat.TokenReport, st Styles) string {
	head := apply(st.Heading, "Backends:") + " "
	if rep.NotMeasured != "" {
		return head + apply(st.Dim, SafeLine(rep.NotMeasured))
	}
	var algLibs, claimLibs []string
	algN, claimN := 0, 0
	for _, e := range rep.Entries {
		switch {
		case e.Verifies:
			continue
		case e.Cause == compat.CauseClaims:
			claimN++
			if !containsString(claimLibs, e.Library) {
				claimLibs = append(claimLibs, e.Library)
			}
		default:
			algN++
			if !containsString(algLibs, e.Library) {
				algLibs = append(algLibs, e.Library)
			}
		}
	}
	alg := SafeLine(rep.Alg)
	total := len(rep.Entries)
	if algN+claimN == 0 {
		return head + apply(st.Pass, fmt.Sprintf("all %d measured setups verify %s", total, alg)) +
			"; stacks not measured are unknown (baverify compat)"
	}
	var parts []string
	if algN > 0 {
		parts = append(parts, fmt.Sprintf("%d of %d measured setups cannot verify %s (%s)", algN, total, alg, SafeLine(strings.Join(algLibs, ", "))))
	}
	if claimN > 0 {
		who := fmt.Sprint(claimN)
		if algN == 0 {
			who = fmt.Sprintf("%d of %d measured setups", claimN, total)
		}
		verb := "refuse"
		if claimN == 1 {
			verb = "refuses"
		}
		parts = append(parts, fmt.Sprintf("%s %s the token's claims, not its algorithm (%s)", who, verb, SafeLine(strings.Join(claimLibs, ", "))))
	}
	return head + apply(st.Warn, strings.Join(parts, "; ")) + " — baverify compat --alg " + alg + ", or --backends"
}

func compatTag(o compat.Outcome, st Styles) string {
	switch o {
	case compat.OK:
		return apply(st.Pass, "[ok]")
	case compat.Rejected:
		return apply(st.Warn, "[rejected]")
	}
	return apply(st.Fail, "["+string(o)+"]")
}

// wrap joins items with ", " into lines of at most width bytes (an item
// longer than width gets a line of its own).
func wrap(items []string, width int) []string {
	var lines []string
	cur := ""
	for i, it := range items {
		if i < len(items)-1 {
			it += ","
		}
		switch {
		case cur == "":
			cur = it
		case len(cur)+1+len(it) > width:
			lines = append(lines, cur)
			cur = it
		default:
			cur += " " + it
		}
	}
	if cur != "" {
		lines = append(lines, cur)
	}
	return lines
}

// failure is a setup's non-ok results, algorithms with the same result
// together.
type failure struct {
	setup *compat.Setup
	algs  []string
	compat.Result
}

// overNote is what the measured frameworks over a failing library answer
// instead, in parentheses; "" when none was measured.
func overNote(f failure) string {
	if note := f.setup.OverNote(f.algs[0]); note != "" {
		return " (" + note + ")"
	}
	return ""
}

func failures(m *compat.Matrix) []failure {
	var out []failure
	for i := range m.Setups {
		s := &m.Setups[i]
		var mine []failure
		for _, alg := range m.Columns() {
			r, ok := s.Results[alg]
			if !ok || r.Outcome == compat.OK {
				continue
			}
			merged := false
			for j := range mine {
				if mine[j].Result == r {
					mine[j].algs = append(mine[j].algs, alg)
					merged = true
				}
			}
			if !merged {
				mine = append(mine, failure{setup: s, algs: []string{alg}, Result: r})
			}
		}
		out = append(out, mine...)
	}
	return out
}

// CompatText writes the table of `baverify compat`: one row per setup, one
// column per algorithm, then what each failure is and its fix.
func CompatText(w io.Writer, m *compat.Matrix, st Styles) error {
	p := &printer{w: w}
	p.line(apply(st.Heading, "Backend compatibility") + " (measured with " + SafeLine(m.MeasuredWith) + ")")
	p.line("")
	if len(m.Setups) == 0 {
		p.line("  no measured setup matches")
		p.line("")
		p.line(apply(st.Dim, "a stack not in the table is not measured: baverify cannot tell what it verifies"))
		return p.err
	}
	cols := m.Columns()
	head := []string{"LIBRARY", "LANGUAGE", "VERSION"}
	head = append(head, cols...)
	head = append(head, "SETUP")
	rows := [][]string{head}
	for _, s := range m.Setups {
		row := []string{s.Library, s.Language, s.Version}
		for _, alg := range cols {
			row = append(row, outcomeCell(s.Results[alg]))
		}
		rows = append(rows, append(row, s.Setup))
	}
	widths := make([]int, len(head))
	for _, r := range rows {
		for i, c := range r {
			widths[i] = max(widths[i], len(SafeLine(c)))
		}
	}
	for n, r := range rows {
		var b strings.Builder
		b.WriteString(" ")
		for i, c := range r {
			cell := SafeLine(c)
			pad := strings.Repeat(" ", widths[i]-len(cell))
			switch {
			case n == 0:
				cell = apply(st.Key, cell)
			case i >= 3 && i < 3+len(cols):
				o, _, _ := strings.Cut(c, " ")
				cell = compatColor(compat.Outcome(o), st)(cell)
			}
			b.WriteString(" " + cell)
			if i < len(r)-1 {
				b.WriteString(pad + " ")
			}
		}
		p.line(b.String())
	}
	fs := failures(m)
	if len(fs) > 0 {
		p.line("")
		p.line(apply(st.Heading, "What fails, and the fix"))
		for _, f := range fs {
			p.line("  " + compatTag(f.Outcome, st) + " " + SafeLine(compat.Describe(f.setup)+", "+compat.JoinAnd(f.algs)+": "+compat.Behaviour(f.Result, f.setup.Language)+overNote(f)))
			p.line("    " + apply(st.Dim, "fix: ") + SafeLine(f.Fix))
		}
	}
	p.line("")
	p.line(apply(st.Dim, "ok: verifies the token; rejected: the library's documented error (a backend that maps it to 401 answers 401); crash: another error escapes (a backend that does not catch it answers 500); a framework's row says the status it was measured to answer"))
	p.line(apply(st.Dim, fmt.Sprintf("%d of %d measured setups shown; any stack not in the table is not measured: baverify cannot tell what it verifies", len(m.Setups), m.MeasuredSetups())))
	for _, u := range m.NotMeasured {
		p.line(apply(st.Dim, SafeLine("not measured: "+u.Stack+" ("+u.Reason+")")))
	}
	return p.err
}

// outcomeCell is a result in a table cell: the outcome, and the status a
// framework was measured to answer ("rejected 401", "crash 500").
func outcomeCell(r compat.Result) string {
	if r.Status != 0 {
		return fmt.Sprintf("%s %d", r.Outcome, r.Status)
	}
	return string(r.Outcome)
}

func compatColor(o compat.Outcome, st Styles) func(string) string {
	f := st.Fail
	switch o {
	case compat.OK:
		f = st.Pass
	case compat.Rejected:
		f = st.Warn
	}
	return func(s string) string { return apply(f, s) }
}

// CompatMarkdown writes the table as README shows it, generated from the
// data file (go run ./internal/gendocs): the matrix, what fails and the
// fix, and which algorithm to configure in Better Auth for which stack.
func CompatMarkdown(m *compat.Matrix) string {
	var b strings.Builder
	cols := m.Columns()
	fmt.Fprintf(&b, "Measured with %s: %d setups. A stack not in this table is not measured, and baverify says so rather than guess.\n\n", m.MeasuredWith, len(m.Setups))
	b.WriteString("| library | language | version | setup |")
	for _, a := range cols {
		b.WriteString(" " + a + " |")
	}
	b.WriteString("\n| --- | --- | --- | --- |" + strings.Repeat(" --- |", len(cols)) + "\n")
	for _, s := range m.Setups {
		fmt.Fprintf(&b, "| %s | %s | %s | %s |", mdCell(s.Library), mdCell(s.Language), mdCell(s.Version), mdCell(s.Setup))
		for _, a := range cols {
			cell := outcomeCell(s.Results[a])
			if s.Results[a].Outcome != compat.OK {
				cell = "**" + cell + "**"
			}
			b.WriteString(" " + cell + " |")
		}
		b.WriteString("\n")
	}
	// Each failure's error and measured fix is one command away; listing
	// them all here would make README a reference (docs/ holds those).
	if len(failures(m)) > 0 {
		b.WriteString("\nEach failure's error, what the backend answers and the fix that was itself measured to work: `baverify compat --alg ALG` (or `--library LIB`, with the names you would type: `express`, `nestjs`, `fastify`, `drf`, `go-oidc`, ...).\n")
	}
	if len(m.NotMeasured) > 0 {
		b.WriteString("\nNot measured here, so unknown:\n\n")
		for _, u := range m.NotMeasured {
			fmt.Fprintf(&b, "- %s: %s.\n", mdText(u.Stack), mdText(u.Reason))
		}
	}
	b.WriteString("\nWhich `jwks.keyPairConfig.alg` to configure in Better Auth, by backend stack (from the table):\n\n")
	b.WriteString("| stack | every measured setup verifies | fails with some setup |\n| --- | --- | --- |\n")
	var langs []string
	for _, s := range m.Setups {
		if !containsString(langs, s.Language) {
			langs = append(langs, s.Language)
		}
	}
	for _, lang := range langs {
		var all, some []string
		for _, a := range cols {
			var failing []string
			for _, s := range m.Setups {
				if r := s.Results[a]; s.Language == lang && r.Outcome != compat.OK && r.Cause != compat.CauseClaims && !containsString(failing, s.Library) {
					failing = append(failing, s.Library)
				}
			}
			if len(failing) == 0 {
				all = append(all, a)
			} else {
				some = append(some, a+" ("+strings.Join(failing, ", ")+")")
			}
		}
		fmt.Fprintf(&b, "| %s | %s | %s |\n", mdCell(lang), orDash(strings.Join(all, ", ")), orDash(mdCell(strings.Join(some, "; "))))
	}
	var universal []string
	for _, a := range cols {
		every := true
		for _, s := range m.Setups {
			r := s.Results[a]
			every = every && (r.Outcome == compat.OK || r.Cause == compat.CauseClaims)
		}
		if every {
			universal = append(universal, a)
		}
	}
	var claims []string
	for _, s := range m.Setups {
		for _, a := range cols {
			if s.Results[a].Cause == compat.CauseClaims && !containsString(claims, s.ID) {
				claims = append(claims, s.ID)
			}
		}
	}
	if len(claims) > 0 {
		fmt.Fprintf(&b, "\nLeft out of this table: what %s refuses for a claim it requires, not for the algorithm (`baverify compat` shows its fix).\n", mdText(compat.JoinAnd(claims)))
	}
	example := "RS256"
	if len(universal) > 0 {
		example = universal[0]
		aside := ""
		if len(claims) > 0 {
			aside = " (apart from the claim refusals just said)"
		}
		fmt.Fprintf(&b, "\nEvery measured setup verifies %s%s.", compat.JoinAnd(universal), aside)
	} else {
		b.WriteString("\nNo algorithm is verified by every measured setup.")
	}
	b.WriteString(" Keep Better Auth's default, EdDSA, when your backend's library and setup have `ok` in the EdDSA column; otherwise switch the setup as its measured fix says (`baverify compat`), or configure an algorithm your stack verifies (`jwt({ jwks: { keyPairConfig: { alg: \"" + example + "\" } } })`; a live key keeps signing with its old algorithm until it is rotated or removed). `baverify compat --library LIB` shows one library; `baverify jwks --expect-library LIB` checks a deployment in CI.\n")
	return b.String()
}

func orDash(s string) string {
	if s == "" {
		return "-"
	}
	return s
}

// mdCell escapes a table cell.
func mdCell(s string) string { return strings.ReplaceAll(mdText(s), "|", `\|`) }

// mdText keeps data from turning into markup.
func mdText(s string) string {
	r := strings.NewReplacer("<", "&lt;", ">", "&gt;", "*", `\*`, "_", `\_`, "`", "'")
	return r.Replace(SafeLine(s))
}

func containsString(list []string, s string) bool {
	for _, l := range list {
		if l == s {
			return true
		}
	}
	return false
}

// keyBackends writes, under the key table, the measured setups that cannot
// verify tokens signed with each key. Keys the table cannot judge are
// named as such; nothing is written when no key is a signing key.
func keyBackends(p *printer, keys []jwks.KeySummary, st Styles) {
	var lines []string
	for i, k := range keys {
		name := fmt.Sprintf("#%d", i)
		if k.Kid != nil {
			name = clipRunes(SafeLine(*k.Kid), maxKidWidth)
		}
		switch {
		case k.CannotVerify == nil:
			continue // not a signing key, or no alg: the findings say why
		case len(k.CannotVerify) == 0:
			lines = append(lines, "  "+name+" ("+SafeLine(deref(k.Alg))+"): "+apply(st.Pass, "every measured setup verifies it"))
		default:
			var names []string
			for _, e := range k.CannotVerify {
				names = append(names, e.Library+" "+e.Version+" ("+e.Setup+"): "+string(e.Outcome))
			}
			lines = append(lines, "  "+name+" ("+SafeLine(deref(k.Alg))+"): "+apply(st.Warn, "not verified by ")+SafeLine(strings.Join(names, "; ")))
		}
	}
	if len(lines) == 0 {
		return
	}
	p.line("")
	p.line(apply(st.Heading, "Backends") + apply(st.Dim, " ("+compat.Default().CoverageLine()+"; baverify compat --alg ALG shows the errors and the fixes)"))
	for _, l := range lines {
		p.line(l)
	}
}
