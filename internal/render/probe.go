package render

import (
	"fmt"
	"io"
	"strings"

	"github.com/baverify/baverify/internal/probe"
)

// ProbeText writes the human report of a probe: the genuine token's local
// verdict, one line per case with its status and outcome, the backend's
// own words where it gave them, the diagnosis of a refused genuine token,
// and a one-line result.
func ProbeText(w io.Writer, rep *probe.Report, st Styles) error {
	p := &printer{w: w}
	p.line(apply(st.Heading, "Token"))
	callToken(p, rep.Token, st)
	if rep.Token == nil {
		p.line("  " + apply(st.Warn, "not verified locally") + ": give --base-url or --jwks to check it first (and to build hmac_public_key)")
	}

	if rep.NotRun != "" {
		p.line("")
		p.line(apply(st.Fail, "Result: NOT RUN") + ": " + SafeLine(rep.NotRun))
		return p.err
	}
	p.line("")
	p.line(apply(st.Heading, "Probes") + "  " + SafeLine(rep.Method) + " " + SafeLine(rep.URL))
	width := 0
	for _, r := range rep.Probes {
		width = max(width, len(r.Name))
	}
	for _, r := range rep.Probes {
		status := "   -"
		if r.Status != 0 {
			status = fmt.Sprintf("%4d", r.Status)
		}
		p.line(fmt.Sprintf("  %s %-*s %s  %s", outcomeTag(r.Outcome, st), width, r.Name, status, SafeLine(r.Message)))
		if r.Outcome != probe.Pass && r.Outcome != probe.Skip {
			p.line("      " + apply(st.Dim, "sent: ") + SafeLine(r.Attack))
			if r.BackendSaid != "" {
				p.line("      " + apply(st.Dim, "the backend said: ") + SafeLine(r.BackendSaid))
			}
		}
		for _, rd := range r.Redirects {
			if dropped := droppedHeaders(rd); len(dropped) > 0 {
				p.line("      " + apply(st.Warn, "redirected to another origin: ") + SafeLine(rd.To) + " (" + SafeLine(strings.Join(dropped, ", ")) + " dropped)")
			}
		}
	}

	diagnosis(p, "Why the genuine token was not accepted", rep.Diagnosis, st)
	p.line("")
	p.line(probeResult(rep, st))
	return p.err
}

func outcomeTag(o probe.Outcome, st Styles) string {
	switch o {
	case probe.Pass:
		return apply(st.Pass, "[pass]")
	case probe.Fail:
		return apply(st.Fail, "[FAIL]")
	case probe.Warn:
		return apply(st.Warn, "[warn]")
	case probe.Unreachable:
		return apply(st.Fail, "[ -- ]")
	}
	return apply(st.Skip, "[skip]")
}

func probeResult(rep *probe.Report, st Styles) string {
	counts := []string{fmt.Sprintf("%d passed", rep.Passed)}
	for _, c := range []struct {
		n    int
		word string
	}{{rep.Failed, "failed"}, {rep.Warned, "warned"}, {rep.Skipped, "skipped"}, {rep.Unreached, "unanswered"}} {
		if c.n > 0 {
			counts = append(counts, fmt.Sprintf("%d %s", c.n, c.word))
		}
	}
	summary := strings.Join(counts, ", ")
	switch {
	case rep.AcceptedAny:
		return apply(st.Fail, "Result: FAIL") + " (" + summary + "): the backend ACCEPTED a forged token; anyone can call it as anyone"
	case rep.Unreached > 0:
		return apply(st.Fail, "Result: COULD NOT CHECK") + " (" + summary + ")"
	case !rep.OK:
		return apply(st.Fail, "Result: FAIL") + " (" + summary + ")"
	case rep.Warned > 0:
		return apply(st.Warn, "Result: PASS with warnings") + " (" + summary + "): every forgery was refused, not all of them cleanly"
	}
	return apply(st.Pass, "Result: PASS") + " (" + summary + "): the genuine token was accepted and every forgery refused"
}
