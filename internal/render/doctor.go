package render

import (
	"encoding/xml"
	"fmt"
	"io"
	"strings"

	"github.com/baverify/baverify/internal/doctor"
)

// DoctorText writes the human report of a doctor run: the verdict first,
// then each step and its checks, with the hint and evidence of every
// check that did not pass.
func DoctorText(w io.Writer, rep *doctor.Report, st Styles) error {
	p := &printer{w: w}
	p.line(doctorVerdict(rep, st))
	p.line(apply(st.Dim, "Better Auth ") + SafeLine(rep.BaseURL) + apply(st.Dim, "  JWKS ") + SafeLine(rep.JWKSURL))
	width := 0
	for _, s := range rep.Steps {
		for _, c := range s.Checks {
			width = max(width, len(c.ID))
		}
	}
	for _, s := range rep.Steps {
		p.line("")
		title := s.Title
		if s.Library != "" {
			title += " (" + s.Library + ")"
		}
		p.line(apply(st.Heading, SafeLine(title)))
		for _, c := range s.Checks {
			p.line(fmt.Sprintf("  %s %-*s  %s", doctorTag(c.Status, rep.Strict, st), width, c.ID, SafeLine(c.Message)))
			if c.Status == doctor.Pass || c.Status == doctor.Skipped {
				continue
			}
			for _, e := range c.Evidence {
				p.line("      " + apply(st.Dim, SafeLine(e)))
			}
			if c.Hint != "" {
				p.line("      " + apply(st.Key, "fix: ") + SafeLine(c.Hint))
			}
		}
	}
	return p.err
}

func doctorTag(s doctor.Status, strict bool, st Styles) string {
	switch s {
	case doctor.Pass:
		return apply(st.Pass, "[pass]")
	case doctor.Fail:
		return apply(st.Fail, "[FAIL]")
	case doctor.Warn:
		if strict {
			return apply(st.Fail, "[warn]")
		}
		return apply(st.Warn, "[warn]")
	case doctor.CouldNotCheck:
		return apply(st.Fail, "[ ?? ]")
	case doctor.NotRun:
		return apply(st.Warn, "[ -- ]")
	}
	return apply(st.Skip, "[skip]")
}

// doctorVerdict is the one-line verdict, with the counts.
func doctorVerdict(rep *doctor.Report, st Styles) string {
	sm := rep.Summary
	counts := []string{fmt.Sprintf("%d passed", sm.Passed)}
	for _, c := range []struct {
		n    int
		word string
	}{{sm.Failed, "failed"}, {sm.Warned, "warned"}, {sm.CouldNotCheck, "could not check"}, {sm.NotRun, "not run"}, {sm.Skipped, "skipped"}} {
		if c.n > 0 {
			counts = append(counts, fmt.Sprintf("%d %s", c.n, c.word))
		}
	}
	summary := " (" + strings.Join(counts, ", ") + ")"
	switch rep.Verdict {
	case doctor.VerdictFail:
		why := ": " + firstDoctorFinding(rep, doctor.Fail)
		if sm.Failed == 0 {
			why = ": --strict, and " + firstDoctorFinding(rep, doctor.Warn)
		}
		return apply(st.Fail, "Doctor: FAIL") + summary + why
	case doctor.VerdictCouldNotCheck:
		why := firstDoctorFinding(rep, doctor.CouldNotCheck)
		if why == "" {
			why = firstDoctorFinding(rep, doctor.NotRun)
		}
		return apply(st.Fail, "Doctor: COULD NOT CHECK") + summary + ": " + why
	case doctor.VerdictWarn:
		return apply(st.Warn, "Doctor: PASS with warnings") + summary + ": " + firstDoctorFinding(rep, doctor.Warn)
	}
	return apply(st.Pass, "Doctor: PASS") + summary
}

// firstDoctorFinding is "step/check: message" of the first finding with the
// status, or "".
func firstDoctorFinding(rep *doctor.Report, s doctor.Status) string {
	for _, f := range rep.Findings {
		if f.Status == s {
			return f.Check + ": " + SafeLine(f.Message)
		}
	}
	return ""
}

// DoctorProgress writes the progress line of one finished step (stderr, on
// a terminal only: the command decides).
func DoctorProgress(w io.Writer, s doctor.Step, strict bool, st Styles) error {
	_, err := fmt.Fprintf(w, "%s %s (%d checks, %d ms)\n", doctorTag(s.Status, strict, st), SafeLine(s.Title), len(s.Checks), s.DurationMs)
	return err
}

// doctorJUnit is JUnit XML as GitHub, GitLab and Jenkins read it: a
// testsuite per step, a testcase per check.
type doctorJUnit struct {
	XMLName  xml.Name     `xml:"testsuites"`
	Name     string       `xml:"name,attr"`
	Tests    int          `xml:"tests,attr"`
	Failures int          `xml:"failures,attr"`
	Errors   int          `xml:"errors,attr"`
	Skipped  int          `xml:"skipped,attr"`
	Time     string       `xml:"time,attr"`
	Suites   []junitSuite `xml:"testsuite"`
}

// DoctorJUnit writes the run as JUnit XML: a failure for a failed check
// (and a warning with --strict), an error for a check that could not be
// checked, skipped for one not run (its message says so) or skipped; a
// warning without --strict passes with the warning in system-out.
func DoctorJUnit(w io.Writer, rep *doctor.Report) error {
	out := doctorJUnit{Name: "baverify doctor " + clean(rep.BaseURL), Time: seconds(rep.DurationMs)}
	for _, s := range rep.Steps {
		name := s.ID
		class := "baverify.doctor." + s.ID
		if s.Backend != "" {
			name += " " + clean(s.Backend)
		}
		suite := junitSuite{Name: name, Time: seconds(s.DurationMs)}
		for _, c := range s.Checks {
			tc := junitCase{Name: c.ID, Classname: class, Time: "0"}
			text := clean(strings.Join(append(append([]string{}, c.Evidence...), hintLine(c.Hint)...), "\n"))
			msg := &junitMessage{Message: clean(c.Message), Type: string(c.Status), Text: text}
			switch {
			case c.Status == doctor.Fail, c.Status == doctor.Warn && rep.Strict:
				tc.Failure = msg
				suite.Failures++
			case c.Status == doctor.CouldNotCheck:
				tc.Error = msg
				suite.Errors++
			case c.Status == doctor.NotRun, c.Status == doctor.Skipped:
				tc.Skipped = &junitMessage{Message: clean(c.Message)}
				suite.Skipped++
			case c.Status == doctor.Warn:
				tc.SystemOut = clean("warning: " + c.Message + "\n" + text)
			default:
				tc.SystemOut = clean(c.Message)
			}
			suite.Cases = append(suite.Cases, tc)
		}
		suite.Tests = len(suite.Cases)
		out.Tests += suite.Tests
		out.Failures += suite.Failures
		out.Errors += suite.Errors
		out.Skipped += suite.Skipped
		out.Suites = append(out.Suites, suite)
	}
	if _, err := io.WriteString(w, xml.Header); err != nil {
		return err
	}
	enc := xml.NewEncoder(w)
	enc.Indent("", "  ")
	if err := enc.Encode(out); err != nil {
		return err
	}
	_, err := io.WriteString(w, "\n")
	return err
}

func hintLine(h string) []string {
	if h == "" {
		return nil
	}
	return []string{"fix: " + h}
}

func seconds(ms int64) string { return fmt.Sprintf("%.3f", float64(ms)/1000) }
