package render

import (
	"bytes"
	"encoding/json"
	"encoding/xml"
	"flag"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/baverify/baverify/internal/doctor"
	"github.com/baverify/baverify/internal/testenv"
)

// A name of its own, so that it cannot clash with another renderer's flag.
var updateDoctorGolden = flag.Bool("update-doctor", false, "rewrite the doctor golden files in testdata/")

// doctorSample is a run with a check of every status.
func doctorSample(strict bool) *doctor.Report {
	rep := &doctor.Report{BaseURL: "http://127.0.0.1:3000", JWKSURL: "http://127.0.0.1:3000/api/auth/jwks",
		Origin: "http://127.0.0.1:3000", Strict: strict, StartedAt: time.Date(2026, 12, 3, 12, 0, 0, 0, time.UTC), DurationMs: 812,
		Steps: []doctor.Step{
			{ID: doctor.StepJWKS, Title: "Discovery and JWKS", DurationMs: 12, Checks: []doctor.Check{
				{ID: "jwks_fetch", Status: doctor.Pass, Message: "GET http://127.0.0.1:3000/api/auth/jwks answered 200 with 1 key in 3 ms"},
				{ID: "jwks_lint", Status: doctor.Pass, Message: "the JWKS passes the lint of `baverify jwks --strict` (1 note)"},
			}},
			{ID: doctor.StepDeployment, Title: "Deployment", DurationMs: 40, Checks: []doctor.Check{
				{ID: "key_churn", Status: doctor.Fail, Message: "keys churn: each of the 3 tokens of this run was signed with a new key",
					Evidence: []string{"GET /token after the first sign-in: kid a", "GET /token after the second sign-in: kid b"},
					Hint:     "set jwks.rotationInterval to days, not seconds"},
				{ID: "cors_expose_headers", Status: doctor.Warn, Message: "get-session does not expose set-auth-jwt to http://localhost:5173",
					Evidence: []string{"Access-Control-Expose-Headers: X-Request-Id"}, Hint: "add set-auth-jwt to exposeHeaders"},
				{ID: "key_lifetime", Status: doctor.Skipped, Message: "not checked: Better Auth's JWKS does not say when a key expires"},
			}},
			{ID: doctor.StepBackend, Title: "Backend http://127.0.0.1:8001/api/me", Backend: "http://127.0.0.1:8001/api/me", Library: "python-jose", DurationMs: 30,
				Checks: []doctor.Check{
					{ID: "no_token", Status: doctor.CouldNotCheck, Message: "no answer to a request without a token: connection refused \x1b[31m",
						Hint: "check the URL"},
					{ID: "valid_token", Status: doctor.NotRun, Message: "not run: needs a token (step sign_in)"},
				}},
		}}
	// The report's own bookkeeping, as Run leaves it.
	return doctor.Finish(rep)
}

func doctorGolden(t *testing.T, name string, got []byte) {
	t.Helper()
	path := filepath.Join("testdata", name)
	if *updateDoctorGolden {
		if err := os.WriteFile(path, got, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	want, err := os.ReadFile(path)
	if err != nil {
		t.Fatalf("%v (go test ./internal/render -run TestDoctor -update-doctor creates it)", err)
	}
	if !bytes.Equal(got, want) {
		t.Errorf("output differs from %s (go test ./internal/render -run TestDoctor -update-doctor rewrites it)\n--- got\n%s\n--- want\n%s", path, got, want)
	}
}

func TestDoctorText(t *testing.T) {
	var buf bytes.Buffer
	if err := DoctorText(&buf, doctorSample(false), Styles{}); err != nil {
		t.Fatal(err)
	}
	// The backend's text is shown, never acted on.
	if strings.Contains(buf.String(), "\x1b") {
		t.Fatalf("raw escape in the output:\n%s", buf.String())
	}
	doctorGolden(t, "doctor.txt", buf.Bytes())
}

func TestDoctorJUnit(t *testing.T) {
	for _, strict := range []bool{false, true} {
		var buf bytes.Buffer
		if err := DoctorJUnit(&buf, doctorSample(strict)); err != nil {
			t.Fatal(err)
		}
		if err := testenv.ValidateJUnit(buf.Bytes()); err != nil {
			t.Fatalf("strict=%v: not valid JUnit: %v\n%s", strict, err, buf.String())
		}
		var got struct {
			Tests    int `xml:"tests,attr"`
			Failures int `xml:"failures,attr"`
			Errors   int `xml:"errors,attr"`
			Skipped  int `xml:"skipped,attr"`
			Suites   []struct {
				Name  string `xml:"name,attr"`
				Cases []struct {
					Name      string `xml:"name,attr"`
					Classname string `xml:"classname,attr"`
				} `xml:"testcase"`
			} `xml:"testsuite"`
		}
		if err := xml.Unmarshal(buf.Bytes(), &got); err != nil {
			t.Fatal(err)
		}
		// A test case per check; the warning fails only with --strict; the
		// check not run and the skipped one are skipped, never passed.
		want := [4]int{7, 1, 1, 2}
		if strict {
			want[1] = 2
		}
		if g := [4]int{got.Tests, got.Failures, got.Errors, got.Skipped}; g != want {
			t.Errorf("strict=%v: tests, failures, errors, skipped = %v, want %v", strict, g, want)
		}
		if len(got.Suites) != 3 || got.Suites[2].Name != "backend http://127.0.0.1:8001/api/me" || got.Suites[2].Cases[0].Classname != "baverify.doctor.backend" {
			t.Errorf("suites: %+v", got.Suites)
		}
	}
}

func TestDoctorJSON(t *testing.T) {
	var buf bytes.Buffer
	if err := JSON(&buf, doctorSample(false)); err != nil {
		t.Fatal(err)
	}
	var got map[string]json.RawMessage
	if err := json.Unmarshal(buf.Bytes(), &got); err != nil {
		t.Fatal(err)
	}
	// The schema docs/doctor.md documents.
	for _, k := range []string{"baseURL", "jwksURL", "origin", "verdict", "strict", "summary", "steps", "findings", "clock", "startedAt", "durationMs"} {
		if _, ok := got[k]; !ok {
			t.Errorf("no %q in the JSON object", k)
		}
	}
	if string(got["verdict"]) != `"fail"` {
		t.Errorf("verdict %s, want fail", got["verdict"])
	}
	var findings []doctor.Finding
	if err := json.Unmarshal(got["findings"], &findings); err != nil {
		t.Fatal(err)
	}
	var ids []string
	for _, f := range findings {
		ids = append(ids, f.Step+"/"+f.Check+"="+string(f.Status))
	}
	want := "deployment/key_churn=fail deployment/cors_expose_headers=warn backend/no_token=could_not_check backend/valid_token=not_run"
	if strings.Join(ids, " ") != want {
		t.Errorf("findings %v, want %s", ids, want)
	}
}
