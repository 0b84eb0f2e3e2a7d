package probe

import (
	"context"
	"errors"
	"net/http"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/baverify/baverify/internal/call"
	"github.com/baverify/baverify/internal/httpclient"
)

// rotatingIssuer stands in for a running issuer: it counts retirements
// and when they happened.
type rotatingIssuer struct {
	mu        sync.Mutex
	retiredAt time.Time
	retires   int
	fail      error
}

func (ri *rotatingIssuer) rotation(wait time.Duration) *KeyRotation {
	return &KeyRotation{Source: "minted by --mint-from http://issuer", Token: "test-key-token", Wait: wait,
		Retire: func(context.Context) error {
			ri.mu.Lock()
			defer ri.mu.Unlock()
			if ri.fail != nil {
				return ri.fail
			}
			ri.retires++
			ri.retiredAt = time.Now()
			return nil
		},
		Mint: func(context.Context) (string, error) { return "retired-key-token", nil },
	}
}

// rotated_key_token: the test key's token must be accepted, the retired
// key's refused; an acceptance with no wait proves nothing (a key cache
// accepts it too), after a wait it fails; nothing is retired when the
// backend never took the key, or refused the genuine token.
func TestRotatedKeyToken(t *testing.T) {
	t.Parallel()
	rt := loadReal(t, "EdDSA")
	tests := []struct {
		name               string
		genuine, test, old int // the statuses the backend answers
		wait               time.Duration
		retireErr          error
		notTested          string // KeyRotation.NotTested
		want               Outcome
		msg, enabledBy     string
		retires            int
		ok, accepted       bool
	}{
		{name: "refused once retired", genuine: 200, test: 200, old: 401, want: Pass,
			msg: "refused (HTTP 401) ", retires: 1, ok: true},
		{name: "accepted with no wait: a cache or for ever", genuine: 200, test: 200, old: 200, want: NotTested,
			msg: "as a backend with a key cache does", enabledBy: "--rotated-key-wait", retires: 1, ok: true},
		{name: "accepted after the wait", genuine: 200, test: 200, old: 200, wait: 50 * time.Millisecond, want: Fail,
			msg: "ACCEPTED (HTTP 200)", retires: 1, accepted: true},
		{name: "the test key never taken", genuine: 200, test: 401, old: 401, want: NotTested,
			msg: "did not accept (HTTP 401) a token of a key the issuer published", ok: true},
		{name: "genuine refused", genuine: 401, test: 200, old: 401, want: Inconclusive, msg: "not sent: the genuine token was refused"},
		{name: "the issuer cannot retire", genuine: 200, test: 200, old: 401, retireErr: errors.New("POST x: 404"), want: NotTested,
			msg: "the key could not be taken out of the issuer's JWKS: POST x: 404", ok: true},
		{name: "a keys file", genuine: 200, test: 200, old: 401, notTested: "a keys file cannot", want: NotTested,
			msg: "a keys file cannot", enabledBy: "--mint-from URL", ok: true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			var mu sync.Mutex
			var oldAt time.Time
			var order []string
			b := newBackend(t, func(a string) int {
				mu.Lock()
				defer mu.Unlock()
				switch a {
				case "Bearer " + rt.token:
					order = append(order, "genuine")
					return tt.genuine
				case "Bearer test-key-token":
					order = append(order, "test")
					return tt.test
				case "Bearer retired-key-token":
					order = append(order, "old")
					oldAt = time.Now()
					return tt.old
				}
				return http.StatusUnauthorized
			})
			ri := &rotatingIssuer{fail: tt.retireErr}
			rot := ri.rotation(tt.wait)
			var announced time.Duration
			rot.OnWait = func(d time.Duration) { announced = d }
			if tt.notTested != "" {
				rot = &KeyRotation{Source: rot.Source, NotTested: tt.notTested, EnabledBy: "--mint-from URL"}
			}
			cases, err := Forge(Inputs{Token: rt.token, Key: rt.key.Public, JWK: rt.key.Raw, AttackerSkip: "none", Rotation: rot})
			if err != nil {
				t.Fatal(err)
			}
			at := time.Unix(rt.Iat+60, 0)
			rep := Run(context.Background(), Options{Method: "GET", URL: b.srv.URL, Expect: expectation(t, ""), Now: func() time.Time { return at },
				NewClient: func(log *call.RedirectLog) (*http.Client, error) {
					return httpclient.New(httpclient.Options{Timeout: 5 * time.Second, OnRedirect: log.Record})
				}}, cases, rt.verify(t, rt.token))
			i := slices.IndexFunc(rep.Probes, func(r Result) bool { return r.Name == CaseRotatedKey })
			if i < 0 {
				t.Fatal("no rotated_key_token case")
			}
			res := rep.Probes[i]
			wantSource := rot.Source
			if tt.notTested != "" {
				wantSource = "" // nothing was minted
			}
			if res.Outcome != tt.want || !strings.Contains(res.Message, tt.msg) || res.Source != wantSource {
				t.Fatalf("outcome %s, message %q, source %q", res.Outcome, res.Message, res.Source)
			}
			if ri.retires != tt.retires {
				t.Errorf("retired %d times, want %d", ri.retires, tt.retires)
			}
			if tt.want == NotTested {
				g := slices.IndexFunc(rep.Coverage.NotTested, func(g Gap) bool { return g.Name == CaseRotatedKey })
				if g < 0 || !strings.Contains(rep.Coverage.NotTested[g].Why, tt.msg) || rep.Coverage.NotTested[g].EnabledBy != tt.enabledBy {
					t.Errorf("coverage gaps: %+v", rep.Coverage.NotTested)
				}
				c := slices.IndexFunc(rep.Coverage.Checks, func(c CheckCoverage) bool { return c.Check == CheckKeyRemoval })
				if c < 0 || rep.Coverage.Checks[c].Status != CheckUntested {
					t.Errorf("coverage checks: %+v", rep.Coverage.Checks)
				}
			}
			// The other cases of this token: no listener and no deployment
			// tokens, so only the rotation may add a failure or a gap.
			switch {
			case tt.accepted && (!rep.AcceptedAny || rep.Failed != 1):
				t.Errorf("accepted any %v, failed %d, want the one acceptance", rep.AcceptedAny, rep.Failed)
			case !tt.accepted && tt.want != Inconclusive && (rep.AcceptedAny || rep.Failed != 0):
				t.Errorf("accepted any %v, failed %d, want none", rep.AcceptedAny, rep.Failed)
			}
			if tt.accepted && (len(rep.Causes) != 1 || rep.Causes[0].Case != CaseRotatedKey || rep.Causes[0].Fix != fixKeyRemoval) {
				t.Errorf("causes: %+v", rep.Causes)
			}
			mu.Lock()
			defer mu.Unlock()
			if tt.retires > 0 {
				// The test key's token after every other case (the genuine
				// one sent again included), then the retired key's, after
				// the wait.
				if n := len(order); n < 3 || order[n-2] != "test" || order[n-1] != "old" || order[n-3] != "genuine" {
					t.Errorf("order of the last requests: %v", order[max(0, len(order)-4):])
				}
				if oldAt.Sub(ri.retiredAt) < tt.wait {
					t.Errorf("the retired key's token went %s after the retirement, before the wait of %s", oldAt.Sub(ri.retiredAt), tt.wait)
				}
			} else if slices.Contains(order, "old") {
				t.Error("a retired key's token was sent though no key was retired")
			}
			if tt.notTested != "" && slices.Contains(order, "test") {
				t.Error("the test key's token was sent for a case not tested")
			}
			if tt.retires > 0 && announced != tt.wait {
				t.Errorf("the wait was announced as %s, want %s", announced, tt.wait)
			}
			if rep.OK != tt.ok {
				t.Errorf("ok = %v", rep.OK)
			}
		})
	}
	// Without a minter that can rotate keys the case is not listed at all.
	cases, err := Forge(Inputs{Token: rt.token, AttackerSkip: "none"})
	if err != nil || slices.ContainsFunc(cases, func(c Case) bool { return c.Name == CaseRotatedKey }) {
		t.Errorf("rotated_key_token listed with no rotation: %v", err)
	}
}
