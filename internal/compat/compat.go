// Package compat is the measured table of which backend JWT libraries can
// verify the tokens Better Auth issues: one row per library setup, one
// result per algorithm. The table is data (matrix.json, embedded), written
// from what the conformance suite measures with the real packages, never
// from memory; token, jwks, call, probe, compat and README all read it.
package compat

import (
	"bytes"
	_ "embed"
	"encoding/json"
	"errors"
	"fmt"
	"slices"
	"strings"
	"sync"
)

// Outcome is what a library setup does with a genuine token.
type Outcome string

const (
	// OK: the setup verifies the token.
	OK Outcome = "ok"
	// Rejected: the setup refuses the token with the library's documented
	// error, which a backend usually maps to 401 (a framework setup: it
	// answered 401, Result.Status).
	Rejected Outcome = "rejected"
	// Crash: another exception escapes, which a backend that does not
	// catch it turns into a 500 (a framework setup: it answered another
	// status, Result.Status).
	Crash Outcome = "crash"
)

// Algorithms returns the algorithms Better Auth's jwt plugin signs with,
// the columns of the table, in its order.
func Algorithms() []string { return []string{"EdDSA", "ES256", "ES512", "RS256", "PS256"} }

// Libraries returns the library names the table may use, in table order.
// They are a public interface (output, JSON, --expect-library).
func Libraries() []string {
	return []string{"python-jose", "PyJWT", "Authlib", "jwcrypto", "jose", "jsonwebtoken", "fast-jwt", "ruby-jwt", "golang-jwt", "go-jose", "jwx",
		"express-jwt", "passport-jwt", "koa-jwt", "@nestjs/passport", "@nestjs/jwt", "@fastify/jwt", "hono", "aws-jwt-verify", "node-jose",
		"djangorestframework-simplejwt", "json-jwt", "go-oidc", "go-jwt-middleware", "gofiber/contrib/jwt", "jsonwebtoken-rs", "@elysiajs/jwt"}
}

// Result is one setup's measured behaviour for one algorithm.
type Result struct {
	Outcome Outcome `json:"outcome"`
	// Error is the error class and message the library raises (non-ok).
	Error string `json:"error,omitempty"`
	// Fix is another setup, another library, a setting or a Better Auth
	// keyPairConfig.alg that was measured to work (non-ok).
	Fix string `json:"fix,omitempty"`
	// Status is the HTTP status a framework setup was measured to answer
	// (non-ok results of setups with a Framework only).
	Status int `json:"status,omitempty"`
	// Cause is "claims" when the setup refuses the token for a claim it
	// requires, not for the algorithm or its key ("" then): the row is
	// no evidence about the algorithm.
	Cause string `json:"cause,omitempty"`
}

// CauseClaims marks a result that fails on claims, not on the algorithm.
const CauseClaims = "claims"

// Setup is one way of verifying with one library.
type Setup struct {
	ID       string `json:"id"`
	Library  string `json:"library"`
	Language string `json:"language"`
	// Framework is the framework or plugin the setup runs in, measured
	// behind a real HTTP route ("Express", "Django REST framework"); ""
	// for a library called directly.
	Framework string `json:"framework,omitempty"`
	Setup     string `json:"setup"`
	Version   string `json:"version"`
	// Names are other names a user types for this setup: the framework,
	// package aliases ("express", "nestjs", "coreos/go-oidc").
	Names []string `json:"names,omitempty"`
	// Over is the library a framework setup verifies with underneath
	// (express-jwt over jsonwebtoken), when it is a row of the table.
	Over    string            `json:"over,omitempty"`
	Results map[string]Result `json:"results"`
	// over is, per algorithm, what the framework setups over this library
	// answer ("express-jwt/jwks-rsa (Express) answers 401"), filled by
	// Parse.
	over map[string][]string
}

// OverNote says what the measured frameworks over this library answer for
// alg, when the library itself fails it: "measured over it:
// express-jwt/jwks-rsa (Express) answers 401 and koa-jwt/jwks-rsa (Koa)
// answers 401"; "" when no framework over it was measured.
func (s *Setup) OverNote(alg string) string {
	if len(s.over[alg]) == 0 {
		return ""
	}
	return "measured over it: " + JoinAnd(s.over[alg])
}

// Name is how output names a setup: library and version.
func (s *Setup) Name() string { return s.Library + " " + s.Version }

// Unmeasured is a stack the table says nothing about, and why.
type Unmeasured struct {
	Stack    string   `json:"stack"`
	Language string   `json:"language"`
	Names    []string `json:"names"`
	Reason   string   `json:"reason"`
}

// Matrix is the whole table.
type Matrix struct {
	Schema       int     `json:"schema"`
	MeasuredWith string  `json:"measuredWith"`
	Setups       []Setup `json:"setups"`
	// NotMeasured are the stacks known not to be measured, and why.
	NotMeasured []Unmeasured `json:"notMeasured,omitempty"`
	// measured is the number of setups of the whole table, when this is a
	// narrowed view of it (Narrow); 0 for the table itself.
	measured int
}

// MeasuredSetups is the number of setups measured: the whole table's,
// also in a narrowed view of it.
func (m *Matrix) MeasuredSetups() int {
	if m.measured > 0 {
		return m.measured
	}
	return len(m.Setups)
}

//go:embed matrix.json
var embedded string

// load parses the embedded table on first use: most runs never need it.
var load = sync.OnceValues(func() (*Matrix, error) { return Parse([]byte(embedded)) })

// Default returns the embedded table. It panics when the table is invalid:
// that is a build defect, and TestEmbeddedMatrixIsValid catches it first.
func Default() *Matrix {
	m, err := load()
	if err != nil {
		panic("compat: the embedded matrix.json is invalid: " + err.Error())
	}
	return m
}

// Parse reads and strictly validates a table: unknown members, an unknown
// outcome, library or algorithm, a missing algorithm, or a non-ok result
// without its error and fix are errors.
func Parse(data []byte) (*Matrix, error) {
	dec := json.NewDecoder(bytes.NewReader(data))
	dec.DisallowUnknownFields()
	var m Matrix
	if err := dec.Decode(&m); err != nil {
		return nil, fmt.Errorf("matrix: %w", err)
	}
	if dec.More() {
		return nil, errors.New("matrix: data after the JSON object")
	}
	if err := m.validate(); err != nil {
		return nil, fmt.Errorf("matrix: %w", err)
	}
	return &m, nil
}

func (m *Matrix) validate() error {
	if m.Schema != 1 {
		return fmt.Errorf("schema %d, want 1", m.Schema)
	}
	if strings.TrimSpace(m.MeasuredWith) == "" {
		return errors.New("measuredWith is empty")
	}
	if len(m.Setups) == 0 {
		return errors.New("no setups")
	}
	ids := map[string]bool{}
	language := map[string]string{}
	for i := range m.Setups {
		s := &m.Setups[i]
		where := fmt.Sprintf("setup #%d (%s)", i, s.ID)
		for name, v := range map[string]string{"id": s.ID, "library": s.Library, "language": s.Language, "setup": s.Setup, "version": s.Version} {
			if strings.TrimSpace(v) == "" {
				return fmt.Errorf("%s: %s is empty", where, name)
			}
		}
		if ids[strings.ToLower(s.ID)] {
			return fmt.Errorf("%s: duplicate id", where)
		}
		ids[strings.ToLower(s.ID)] = true
		if !slices.Contains(Libraries(), s.Library) {
			return fmt.Errorf("%s: unknown library %q (one of %s)", where, s.Library, strings.Join(Libraries(), ", "))
		}
		if l, ok := language[s.Library]; ok && l != s.Language {
			return fmt.Errorf("%s: language %q, but another setup of %s says %q", where, s.Language, s.Library, l)
		}
		language[s.Library] = s.Language
		for alg, r := range s.Results {
			if !slices.Contains(Algorithms(), alg) {
				return fmt.Errorf("%s: unknown algorithm %q (one of %s)", where, alg, strings.Join(Algorithms(), ", "))
			}
			switch r.Outcome {
			case OK:
				if r.Error != "" || r.Status != 0 || r.Cause != "" {
					return fmt.Errorf("%s %s: outcome ok with an error, a status or a cause", where, alg)
				}
			case Rejected, Crash:
				if strings.TrimSpace(r.Error) == "" || strings.TrimSpace(r.Fix) == "" {
					return fmt.Errorf("%s %s: outcome %s needs an error and a fix", where, alg, r.Outcome)
				}
				if r.Cause != "" && r.Cause != CauseClaims {
					return fmt.Errorf("%s %s: cause %q, want %q or none", where, alg, r.Cause, CauseClaims)
				}
				if s.Framework != "" && (r.Status < 400 || r.Status > 599 || (r.Outcome == Rejected) != (r.Status == 401)) {
					return fmt.Errorf("%s %s: a framework setup's %s result needs the status it answers (401 for rejected, another 4xx or 5xx for crash), not %d", where, alg, r.Outcome, r.Status)
				}
			default:
				return fmt.Errorf("%s %s: unknown outcome %q (ok, rejected or crash)", where, alg, r.Outcome)
			}
		}
		if s.Framework == "" {
			for alg, r := range s.Results {
				if r.Status != 0 {
					return fmt.Errorf("%s %s: a status without a framework (only framework setups are measured over HTTP)", where, alg)
				}
			}
		}
		for _, alg := range Algorithms() {
			if _, ok := s.Results[alg]; !ok {
				return fmt.Errorf("%s: no result for %s (every setup is measured with all five algorithms)", where, alg)
			}
		}
	}
	for i := range m.Setups {
		lib := &m.Setups[i]
		for _, fw := range m.Setups {
			if fw.Over != lib.Library || fw.Framework == "" {
				continue
			}
			for alg, r := range fw.Results {
				what := "verifies it"
				if r.Outcome != OK {
					what = fmt.Sprintf("answers %d", r.Status)
				}
				if lib.Results[alg].Outcome == OK {
					continue // the library verifies it: nothing to set right
				}
				if lib.over == nil {
					lib.over = map[string][]string{}
				}
				note := fw.ID + " (" + fw.Framework + ") " + what
				if !slices.Contains(lib.over[alg], note) {
					lib.over[alg] = append(lib.over[alg], note)
				}
			}
		}
	}
	for i, u := range m.NotMeasured {
		if strings.TrimSpace(u.Stack) == "" || strings.TrimSpace(u.Language) == "" || strings.TrimSpace(u.Reason) == "" {
			return fmt.Errorf("notMeasured #%d: stack, language and reason are required", i)
		}
	}
	return nil
}

// Row is one setup's result for one algorithm.
type Row struct {
	Setup *Setup
	Alg   string
	Result
}

// Verifies reports whether the setup verified the algorithm.
func (r Row) Verifies() bool { return r.Outcome == OK }

// Rows returns every setup's result for alg, in table order; none when the
// algorithm was not measured.
func (m *Matrix) Rows(alg string) []Row {
	var out []Row
	for i := range m.Setups {
		s := &m.Setups[i]
		if r, ok := s.Results[alg]; ok {
			out = append(out, Row{Setup: s, Alg: alg, Result: r})
		}
	}
	return out
}

// Measured reports whether alg is a column of the table.
func Measured(alg string) bool { return slices.Contains(Algorithms(), alg) }

// IDs returns every setup id, in table order.
func (m *Matrix) IDs() []string {
	ids := make([]string, len(m.Setups))
	for i, s := range m.Setups {
		ids[i] = s.ID
	}
	return ids
}

// KeyShape is the key Better Auth makes for alg (the key the table was
// measured with); ok is false for an algorithm it does not sign with.
func KeyShape(alg string) (kty, crv string, ok bool) {
	switch alg {
	case "EdDSA":
		return "OKP", "Ed25519", true
	case "ES256":
		return "EC", "P-256", true
	case "ES512":
		return "EC", "P-521", true
	case "RS256", "PS256":
		return "RSA", "", true
	}
	return "", "", false
}

// Consequence says what a non-ok outcome of a library called directly
// does to a backend: what a handler that maps the library's documented
// error to 401, and lets any other escape, answers. A framework over the
// library answers what its own row says (Status), which may differ.
func Consequence(o Outcome, language string) string {
	switch o {
	case Rejected:
		return "a backend that maps its documented error to 401 answers 401"
	case Crash:
		switch language {
		case "Python":
			return "a FastAPI backend answers 500"
		case "Go":
			return "a Go backend fails (a panic, or a 500)"
		}
		return "a backend that does not catch it answers 500"
	}
	return ""
}

// Narrow returns a copy of the table with only the given algorithms (nil:
// all) and setups (nil: all), for `baverify compat --alg --library`.
func (m *Matrix) Narrow(algs []string, setups []Setup) *Matrix {
	out := &Matrix{Schema: m.Schema, MeasuredWith: m.MeasuredWith, Setups: []Setup{}, NotMeasured: m.NotMeasured, measured: m.MeasuredSetups()}
	for _, s := range m.Setups {
		if setups != nil && !containsSetup(setups, s.ID) {
			continue
		}
		c := s
		c.Results = map[string]Result{}
		for alg, r := range s.Results {
			if algs == nil || slices.Contains(algs, alg) {
				c.Results[alg] = r
			}
		}
		out.Setups = append(out.Setups, c)
	}
	return out
}

// Columns returns the algorithms the table has results for, in order.
func (m *Matrix) Columns() []string {
	var out []string
	for _, alg := range Algorithms() {
		for _, s := range m.Setups {
			if _, ok := s.Results[alg]; ok {
				out = append(out, alg)
				break
			}
		}
	}
	return out
}

// CanonicalAlgorithm returns a measured algorithm's name as the table
// spells it, matched without regard to case.
func CanonicalAlgorithm(name string) (string, bool) {
	for _, a := range Algorithms() {
		if strings.EqualFold(a, strings.TrimSpace(name)) {
			return a, true
		}
	}
	return "", false
}
