package compat

import (
	"slices"
	"testing"
)

// FuzzParse: the validator never panics, and whatever it accepts keeps the
// promises the renderers and the diagnosis rely on.
func FuzzParse(f *testing.F) {
	f.Add([]byte(embedded))
	f.Add([]byte(setupJSON(fiveOK + `,"PS256":{"outcome":"crash","error":"E: m","fix":"f"}`)))
	f.Add([]byte(`{"schema":1}`))
	f.Fuzz(func(t *testing.T, data []byte) {
		m, err := Parse(data)
		if err != nil {
			return
		}
		for _, s := range m.Setups {
			if !slices.Contains(Libraries(), s.Library) || len(s.Results) != len(Algorithms()) {
				t.Fatalf("accepted %+v", s)
			}
			for alg, r := range s.Results {
				if !Measured(alg) || (r.Outcome != OK && (r.Error == "" || r.Fix == "")) {
					t.Fatalf("accepted %s %+v", alg, r)
				}
				_ = Quotes(r.Error, r.Error)
			}
		}
	})
}
