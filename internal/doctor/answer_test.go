package doctor

import (
	"testing"

	"github.com/baverify/baverify/internal/call"
)

// A backend check with no answer to judge: interrupted is not run, no
// complete answer is could-not-check, naming the request and the reason.
func TestBackendChecksWithoutAnAnswer(t *testing.T) {
	down := &call.Report{Unreachable: true, Error: "connection refused",
		Diagnosis: []call.Finding{{Message: "the backend is down", Hint: "start it"}}}
	cut := &call.Report{Incomplete: true, Response: &call.ResponseInfo{Status: 200},
		Diagnosis: []call.Finding{{Message: "the body was cut short", Hint: "retry"}}}
	for _, tc := range []struct {
		name          string
		check         func(*call.Report) Check
		rep           *call.Report
		status        Status
		message, hint string
	}{
		{"no_token interrupted", anonymousCheck, nil, NotRun, "not run: interrupted", ""},
		{"no_token down", anonymousCheck, down, CouldNotCheck, "no answer to a request without a token: connection refused", "start it"},
		{"valid_token interrupted", validTokenCheck, nil, NotRun, "not run: interrupted", ""},
		{"valid_token cut short", validTokenCheck, cut, CouldNotCheck, "no answer to the request with the token: the body was cut short", "retry"},
	} {
		c := tc.check(tc.rep)
		if c.Status != tc.status || c.Message != tc.message || c.Hint != tc.hint {
			t.Errorf("%s: %s %q hint %q", tc.name, c.Status, c.Message, c.Hint)
		}
	}
}
