package render

import (
	"encoding/xml"
	"fmt"
	"io"
	"strings"
	"time"

	"github.com/baverify/baverify/internal/probe"
)

// ProbeText writes the human report of a probe, verdict first: the
// result line and the one thing to fix per flaw found, then the genuine
// token's local verdict, one line per case with its status and outcome,
// the backend's own words where it gave them, what reached the attacker
// listener, the diagnosis of a refused genuine token, and the coverage:
// the checks tested, partly tested and not tested, and why.
func ProbeText(w io.Writer, rep *probe.Report, st Styles) error {
	p := &printer{w: w}
	if rep.NotRun != "" {
		p.line(apply(st.Fail, "Result: NOT RUN") + ": " + SafeLine(rep.NotRun))
		p.line("")
		p.line(apply(st.Heading, "Token"))
		callToken(p, rep.Token, st)
		return p.err
	}
	p.line(probeResult(rep, st))
	for _, c := range rep.Causes {
		tag := apply(st.Fail, "fix")
		if c.Warning {
			tag = apply(st.Warn, "fix")
		}
		line := "  " + tag + " (" + c.Case + "): " + SafeLine(c.Fix)
		if len(c.Explains) > 0 {
			line += "; this also explains " + strings.Join(c.Explains, ", ")
		}
		p.line(line)
	}
	p.line("")
	p.line(apply(st.Heading, "Token"))
	callToken(p, rep.Token, st)
	if rep.Token == nil || !rep.Token.Verified {
		p.line("  " + apply(st.Warn, "not verified locally") + ": give --base-url or --jwks to check it first (and to build the hmac_* cases)")
	}

	p.line("")
	p.line(apply(st.Heading, "Probes") + "  " + SafeLine(rep.Method) + " " + SafeLine(rep.URL))
	width := 0
	for _, r := range rep.Probes {
		width = max(width, len(r.Name))
	}
	notSent := 0
	genuineUnanswered := len(rep.Probes) > 0 && rep.Probes[0].Name == probe.CaseGenuine && rep.Probes[0].Outcome == probe.Unanswered
	for _, r := range rep.Probes {
		// Cases never sent (the genuine request got no answer) are one
		// line below, not one each.
		if genuineUnanswered && r.Outcome == probe.Inconclusive && r.Status == 0 {
			notSent++
			continue
		}
		status := "   -"
		if r.Status != 0 {
			status = fmt.Sprintf("%4d", r.Status)
		}
		msg := SafeLine(r.Message)
		if r.ExplainedBy != "" {
			msg += apply(st.Dim, "; explained by "+r.ExplainedBy)
		}
		p.line(fmt.Sprintf("  %s %-*s %s  %s", outcomeTag(r.Outcome, st), width, r.Name, status, msg))
		if (r.Outcome == probe.Fail || r.Outcome == probe.Warn) && r.ExplainedBy == "" {
			p.line("      " + apply(st.Dim, "sent: ") + SafeLine(r.Attack))
			if r.BackendSaid != "" {
				p.line("      " + apply(st.Dim, "the backend said: ") + SafeLine(r.BackendSaid))
			}
		}
		// Every hop: where a case ended decides what its answer proves.
		for _, rd := range r.Redirects {
			switch dropped := droppedHeaders(rd); {
			case len(dropped) > 0:
				p.line("      " + apply(st.Warn, "redirected to another origin: ") + SafeLine(rd.To) + " (" + SafeLine(strings.Join(dropped, ", ")) + " dropped)")
			case rd.CrossOrigin():
				p.line("      " + apply(st.Warn, "redirected to another origin: ") + SafeLine(rd.To) + " (no credential sent there)")
			default:
				p.line("      " + apply(st.Dim, "redirected to ") + SafeLine(rd.To))
			}
		}
	}

	if g := rep.GenuineAfter; g != nil {
		status := "   -"
		if g.Status != 0 {
			status = fmt.Sprintf("%4d", g.Status)
		}
		p.line(fmt.Sprintf("  %s %-*s %s  %s", outcomeTag(g.Outcome, st), width, "genuine, again", status, SafeLine(g.Message)))
	}
	if notSent > 0 {
		p.line(fmt.Sprintf("  %s %d more cases not sent: the genuine request got no answer", apply(st.Warn, "[ ?? ]"), notSent))
	}

	if a := rep.Attacker; a != nil {
		p.line("")
		p.line(apply(st.Heading, "Attacker listener") + "  " + SafeLine(a.URL) + fmt.Sprintf("  (open %s after the last answer)", time.Duration(a.GraceMs)*time.Millisecond))
		if len(a.Fetches) == 0 {
			// A backend that follows these URLs but cannot reach the
			// listener (in a container, say) looks the same: say so.
			p.line("  no request reached it; a backend that cannot reach this URL (one in a container or a VM) would refuse the listener cases without trying: then give --attacker-url")
		}
		for _, f := range a.Fetches {
			c := f.Case
			if c == "" {
				c = "(no case)"
			}
			p.line(fmt.Sprintf("  %s %s %s from %s, User-Agent %q, for %s", apply(st.Fail, "[FAIL]"), SafeLine(f.Method), SafeLine(f.Path),
				SafeLine(f.From), SafeLine(f.UserAgent), SafeLine(c)))
		}
		if a.Unrecorded > 0 {
			p.line(fmt.Sprintf("  and %d more requests", a.Unrecorded))
		}
		if len(a.Fetches) > 0 {
			p.line("      " + apply(st.Fail, "the backend fetched a URL taken from the token") +
				" (SSRF): an attacker can make it request any URL, and serve it the key to trust")
		}
		if a.Ignored > 0 {
			p.line(fmt.Sprintf("  %d requests without this run's secret in the path: ignored (anyone can send those)", a.Ignored))
		}
	}

	diagnosis(p, "Why the genuine token was not accepted", rep.Diagnosis, st)

	p.line("")
	cov := rep.Coverage
	p.line(apply(st.Heading, "Coverage") + fmt.Sprintf("  %d of %d cases sent", cov.Sent, cov.Total))
	var tested []string
	for _, c := range cov.Checks {
		switch c.Status {
		case probe.Tested:
			tested = append(tested, c.Check)
		case probe.PartlyTested:
			p.line("  " + apply(st.Skip, "partly tested") + ": " + c.Check + ": not sent: " + strings.Join(c.NotTested, ", ") + ": " + SafeLine(gapWhy(c.Why, c.EnabledBy)))
		default:
			p.line("  " + apply(st.Skip, "not tested") + ": " + c.Check + " (" + strings.Join(c.NotTested, ", ") + "): " + SafeLine(gapWhy(c.Why, c.EnabledBy)))
		}
	}
	if len(tested) > 0 {
		p.line("  " + apply(st.Pass, "tested") + ": " + strings.Join(tested, ", "))
	}
	for _, g := range cov.Caveats {
		p.line("  " + apply(st.Warn, "caveat") + ": " + g.Name + ": " + SafeLine(g.Why))
	}
	for _, g := range cov.NotApplicable {
		p.line("  " + apply(st.Dim, "does not apply") + ": " + g.Name + ": " + SafeLine(g.Why))
	}
	p.line("  " + apply(st.Dim, "never tested by probe") + ": token replay, revocation, session binding, per-route authorization (docs/probe.md)")
	return p.err
}

// gapWhy is why a case was not sent, with the flag that enables it when
// the reason does not already name it.
func gapWhy(why, enabledBy string) string {
	if enabledBy != "" && !strings.Contains(why, enabledBy) {
		return why + " (" + enabledBy + ")"
	}
	return why
}

func outcomeTag(o probe.Outcome, st Styles) string {
	switch o {
	case probe.Pass:
		return apply(st.Pass, "[pass]")
	case probe.Fail:
		return apply(st.Fail, "[FAIL]")
	case probe.Warn:
		return apply(st.Warn, "[warn]")
	case probe.Inconclusive:
		return apply(st.Warn, "[ ?? ]")
	case probe.Unanswered:
		return apply(st.Fail, "[ -- ]")
	}
	return apply(st.Skip, "[skip]")
}

func probeResult(rep *probe.Report, st Styles) string {
	counts := []string{fmt.Sprintf("%d passed", rep.Passed)}
	for _, c := range []struct {
		n    int
		word string
	}{{rep.Failed, "failed"}, {rep.Warned, "warned"}, {rep.Inconclusive, "inconclusive"}, {rep.NotTested, "not tested"}, {rep.Unanswered, "unanswered"}} {
		if c.n > 0 {
			counts = append(counts, fmt.Sprintf("%d %s", c.n, c.word))
		}
	}
	summary := " (" + strings.Join(counts, ", ") + ")"
	var notTested []string
	for _, g := range rep.Coverage.NotTested {
		notTested = append(notTested, g.Name)
	}
	gaps := ""
	if len(notTested) > 0 {
		gaps = "; not tested: " + strings.Join(notTested, ", ")
	}
	tested := rep.Passed + rep.Warned - 1 // the genuine case passed
	switch {
	case rep.AcceptedAny:
		flaws, n, forged := "", 0, false
		for _, c := range rep.Causes {
			if !c.Warning {
				n++
				forged = forged || !probe.SignedByDeployment(c.Case)
			}
		}
		switch {
		case n == 1 && rep.Failed > 1:
			flaws = fmt.Sprintf(" (one flaw explains the %d failed cases: the fix below)", rep.Failed)
		case n > 1:
			flaws = fmt.Sprintf(" (%d flaws, each to fix below)", n)
		}
		if !forged {
			// Only real tokens that are wrong in one way were accepted:
			// no one can forge a token, but a leaked one goes further.
			return apply(st.Fail, "Result: FAIL") + summary + ": the backend ACCEPTED a token it must refuse (one its issuer signed, wrong in one way: " + strings.Join(acceptedCases(rep), ", ") + ")" + flaws
		}
		return apply(st.Fail, "Result: FAIL") + summary + ": the backend ACCEPTED a forged token; anyone can call it as anyone" + flaws
	case rep.FetchedFromToken:
		return apply(st.Fail, "Result: FAIL") + summary + ": the backend fetched URLs taken from forged tokens (SSRF)"
	case rep.Failed > 0 && !rep.GenuineAccepted:
		return apply(st.Fail, "Result: FAIL") + summary + ": the genuine token was not accepted, so the refused forgeries prove nothing; the diagnosis above says why"
	case rep.Unanswered > 0 && !rep.GenuineAccepted:
		return apply(st.Fail, "Result: COULD NOT CHECK") + summary + ": the genuine request got no answer, so nothing else was sent"
	case rep.Unanswered > 0:
		return apply(st.Fail, "Result: COULD NOT CHECK") + summary + ": some requests got no answer"
	case rep.Failed > 0:
		return apply(st.Fail, "Result: FAIL") + summary
	case rep.Inconclusive > 0 && rep.GenuineAfter != nil && rep.GenuineAfter.Outcome != probe.Pass:
		return apply(st.Fail, "Result: INCONCLUSIVE") + summary + fmt.Sprintf(": the genuine token was refused after the forgeries (HTTP %d): a rate limit or a lockout makes every refusal prove nothing; allow the probe's client, or raise the limit", rep.GenuineAfter.Status)
	case rep.Inconclusive > 0:
		return apply(st.Fail, "Result: INCONCLUSIVE") + summary + ": some answers prove nothing (a redirect to another origin, which gets no credential, or too many redirects); the cases above say which"
	case rep.RequireAll && rep.NotTested > 0:
		return apply(st.Fail, "Result: FAIL") + summary + ": --require-all, and " + fmt.Sprint(rep.NotTested) + " cases were not tested" + gaps
	case rep.Strict && rep.Warned > 0:
		return apply(st.Fail, "Result: FAIL") + summary + ": --strict, and not every forgery was refused cleanly"
	case rep.Warned > 0:
		return apply(st.Warn, "Result: PASS with warnings") + summary + fmt.Sprintf(": every tested forgery refused (%d cases), not all of them cleanly", tested) + gaps
	}
	return apply(st.Pass, "Result: PASS") + summary + fmt.Sprintf(": the genuine token was accepted and every tested forgery refused (%d cases)", tested) + gaps
}

// acceptedCases are the causes that are acceptances, by case name.
func acceptedCases(rep *probe.Report) []string {
	var out []string
	for _, c := range rep.Causes {
		if !c.Warning {
			out = append(out, c.Case)
		}
	}
	return out
}

// junitSuites is the JUnit XML schema as GitHub, GitLab and Jenkins read
// it: one testsuite, a testcase per case.
type junitSuites struct {
	XMLName xml.Name   `xml:"testsuites"`
	Suite   junitSuite `xml:"testsuite"`
}

type junitSuite struct {
	Name     string      `xml:"name,attr"`
	Tests    int         `xml:"tests,attr"`
	Failures int         `xml:"failures,attr"`
	Errors   int         `xml:"errors,attr"`
	Skipped  int         `xml:"skipped,attr"`
	Time     string      `xml:"time,attr"`
	Cases    []junitCase `xml:"testcase"`
}

type junitCase struct {
	Name      string        `xml:"name,attr"`
	Classname string        `xml:"classname,attr"`
	Time      string        `xml:"time,attr"`
	Failure   *junitMessage `xml:"failure,omitempty"`
	Error     *junitMessage `xml:"error,omitempty"`
	Skipped   *junitMessage `xml:"skipped,omitempty"`
	SystemOut string        `xml:"system-out,omitempty"`
}

type junitMessage struct {
	Message string `xml:"message,attr"`
	Type    string `xml:"type,attr,omitempty"`
	Text    string `xml:",chardata"`
}

// ProbeJUnit writes the probe as JUnit XML: failures for failed cases (and
// warnings with --strict, not-tested cases with --require-all), errors for
// unanswered and inconclusive ones, skipped for not-tested ones.
func ProbeJUnit(w io.Writer, rep *probe.Report) error {
	suite := junitSuite{Name: "baverify probe " + clean(rep.Method+" "+rep.URL)}
	var total int64
	if rep.NotRun != "" {
		suite.Cases = append(suite.Cases, junitCase{Name: "genuine", Classname: "baverify.probe", Time: "0",
			Failure: &junitMessage{Message: clean(rep.NotRun), Type: "not_run"}})
		suite.Failures = 1
	}
	for _, r := range rep.Probes {
		total += r.LatencyMs
		c := junitCase{Name: r.Name, Classname: "baverify.probe", Time: fmt.Sprintf("%.3f", float64(r.LatencyMs)/1000),
			SystemOut: clean(r.Attack)}
		message := r.Message
		if r.ExplainedBy != "" {
			message += "; explained by " + r.ExplainedBy
		}
		msg := &junitMessage{Message: clean(message), Type: string(r.Outcome), Text: clean(r.Attack)}
		if r.BackendSaid != "" {
			msg.Text += "\nthe backend said: " + clean(r.BackendSaid)
		}
		switch {
		case r.Outcome == probe.Fail, r.Outcome == probe.Warn && rep.Strict, r.Outcome == probe.NotTested && rep.RequireAll:
			c.Failure = msg
			suite.Failures++
		case r.Outcome == probe.Unanswered, r.Outcome == probe.Inconclusive:
			c.Error = msg
			suite.Errors++
		case r.Outcome == probe.NotTested:
			c.Skipped = &junitMessage{Message: clean(r.Message)}
			suite.Skipped++
		case r.Outcome == probe.Warn:
			c.SystemOut = clean("warning: " + r.Message + "\n" + r.Attack)
		}
		suite.Cases = append(suite.Cases, c)
	}
	if a := rep.Attacker; a != nil && len(a.Fetches) > 0 {
		var lines []string
		for _, f := range a.Fetches {
			lines = append(lines, fmt.Sprintf("%s %s (User-Agent %q) for %s", f.Method, f.Path, f.UserAgent, f.Case))
		}
		suite.Cases = append(suite.Cases, junitCase{Name: "attacker_listener", Classname: "baverify.probe", Time: "0",
			Failure: &junitMessage{Message: "the backend fetched a URL taken from the token (SSRF)", Type: "ssrf",
				Text: clean(strings.Join(lines, "\n"))}})
		suite.Failures++
	}
	suite.Tests = len(suite.Cases)
	suite.Time = fmt.Sprintf("%.3f", float64(total)/1000)
	if _, err := io.WriteString(w, xml.Header); err != nil {
		return err
	}
	enc := xml.NewEncoder(w)
	enc.Indent("", "  ")
	if err := enc.Encode(junitSuites{Suite: suite}); err != nil {
		return err
	}
	_, err := io.WriteString(w, "\n")
	return err
}

// clean makes text safe for XML 1.0 and for whoever reads the report:
// what a terminal or a test-report viewer would act on (control
// characters, bidi controls, U+2028 and U+2029) is written as a \u escape,
// as the text and JSON outputs do; what XML cannot carry (U+FFFE,
// U+FFFF) is dropped.
func clean(s string) string {
	return strings.Map(func(r rune) rune {
		if r == 0xfffe || r == 0xffff {
			return -1
		}
		return r
	}, Safe(s))
}
