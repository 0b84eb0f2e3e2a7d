package doctor

import (
	"testing"
	"time"
)

func TestVerdict(t *testing.T) {
	for _, tc := range []struct {
		name     string
		statuses []Status
		strict   bool
		want     Verdict
	}{
		{"all pass", []Status{Pass, Pass}, false, VerdictPass},
		{"skipped does not count", []Status{Pass, Skipped}, false, VerdictPass},
		{"warning", []Status{Pass, Warn}, false, VerdictWarn},
		{"warning, strict", []Status{Pass, Warn}, true, VerdictFail},
		{"failure", []Status{Fail, CouldNotCheck, NotRun}, false, VerdictFail},
		{"could not check", []Status{Pass, CouldNotCheck, Warn}, false, VerdictCouldNotCheck},
		{"not run is never a pass", []Status{Pass, NotRun}, false, VerdictCouldNotCheck},
		{"strict warning beats could not check", []Status{Warn, NotRun}, true, VerdictFail},
	} {
		t.Run(tc.name, func(t *testing.T) {
			s := Step{ID: "x"}
			for i, st := range tc.statuses {
				s.Checks = append(s.Checks, Check{ID: string(rune('a' + i)), Status: st})
			}
			r := Finish(&Report{Strict: tc.strict, Steps: []Step{s}})
			if r.Verdict != tc.want {
				t.Errorf("verdict %s, want %s", r.Verdict, tc.want)
			}
			if r.Steps[0].Status != worst(tc.statuses) {
				t.Errorf("step status %s, want %s", r.Steps[0].Status, worst(tc.statuses))
			}
			if want := len(tc.statuses) - count(tc.statuses, Pass) - count(tc.statuses, Skipped); len(r.Findings) != want {
				t.Errorf("%d findings, want %d", len(r.Findings), want)
			}
		})
	}
}

func worst(ss []Status) Status {
	w := Skipped
	for _, s := range ss {
		if rank(s) < rank(w) {
			w = s
		}
	}
	return w
}

func count(ss []Status, s Status) int {
	n := 0
	for _, x := range ss {
		if x == s {
			n++
		}
	}
	return n
}

func TestDateSkew(t *testing.T) {
	d := time.Date(2026, 12, 3, 12, 0, 0, 0, time.UTC)
	for _, tc := range []struct {
		local time.Time
		want  int64
	}{
		{d.Add(300 * time.Millisecond), 0}, // within the second Date names
		{d.Add(1200 * time.Millisecond), 0},
		{d.Add(-90 * time.Second), 90}, // the server is ahead
		{d.Add(91 * time.Second), -90}, // the server is behind
	} {
		if got := dateSkew(d, tc.local); got != tc.want {
			t.Errorf("local %s: skew %d, want %d", tc.local.Sub(d), got, tc.want)
		}
	}
}

func TestHeaderList(t *testing.T) {
	got := headerList([]string{"X-Request-Id, set-auth-jwt", " ,Foo"})
	if len(got) != 3 || !containsFold(got, "Set-Auth-JWT") || containsFold(got, "") {
		t.Errorf("headerList = %q", got)
	}
}
