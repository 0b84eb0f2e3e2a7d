package probe

import (
	"context"
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/baverify/baverify/internal/keysource"
	"github.com/baverify/baverify/internal/verify"
)

// A backend on another host cannot reach a listener on loopback: the
// attacker-hosted cases are then not tested, rather than passed.
func TestListenerUnreachableFromARemoteBackend(t *testing.T) {
	t.Parallel()
	rt := loadReal(t, "EdDSA")
	for _, tc := range []struct {
		listen, url, target string
		started             bool
	}{
		{"127.0.0.1:0", "", "https://api.example.com/api/me", false},
		{"localhost:0", "", "https://api.example.com/api/me", false},
		{"127.0.0.1:0", "", "http://127.0.0.1:8080/api/me", true},
		{"", "", "http://localhost:8080/api/me", true},
		{"127.0.0.1:0", "https://tunnel.example/p", "https://api.example.com/api/me", true},
	} {
		var in Inputs
		l, err := startListener(rt.token, tc.target, ListenerSetup{Listen: tc.listen, URL: tc.url}, &in)
		if err != nil {
			t.Fatal(err)
		}
		if (l != nil) != tc.started || (in.AttackerSkip == "") != tc.started {
			t.Errorf("%+v: listener %v, skip %q", tc, l != nil, in.AttackerSkip)
		}
		if l != nil {
			if tc.url != "" && (!strings.HasPrefix(in.AttackerURL, tc.url+"/") || in.AttackerURL != l.Base()) {
				t.Errorf("attacker URL %q, want %q", in.AttackerURL, tc.url)
			}
			l.Close()
		} else if !strings.Contains(in.AttackerSkip, "cannot reach the attacker listener") {
			t.Errorf("skip: %q", in.AttackerSkip)
		}
	}
	for _, bad := range []ListenerSetup{{Listen: "0.0.0.0:0"}, {Listen: "127.0.0.1"}, {Listen: ":0"}} {
		var in Inputs
		_, err := startListener(rt.token, "http://127.0.0.1:1/", bad, &in)
		var se *SetupError
		if !errors.As(err, &se) || se.Field != "--attacker-listen" {
			t.Errorf("%+v: %v, want a SetupError about --attacker-listen", bad, err)
		}
	}
}

// Prepare checks each deployment token against the genuine token's keys
// and policy, and names its source when it is not what its kind says.
func TestPrepareChecksDeploymentTokens(t *testing.T) {
	t.Parallel()
	rt := loadReal(t, "EdDSA")
	at := rt.During()
	keys := &keysource.Reader{Name: rt.JWKSPath}
	pol := verify.Policy{Issuer: rt.Origin, Audiences: []string{rt.Origin}}
	s := Setup{Method: "GET", URL: "http://127.0.0.1:1/api/me", Token: rt.token, Result: rt.verify(t, rt.token),
		Keys: keys, Policy: pol, Now: func() time.Time { return at },
		Deployment: map[Kind]DeploymentToken{KindExpired: {Token: rt.token, Source: "minted by --mint-from http://x"}}}
	_, err := Prepare(context.Background(), s)
	var se *SetupError
	if !errors.As(err, &se) || se.Field != "minted by --mint-from http://x" || !strings.Contains(err.Error(), "has not expired") {
		t.Fatalf("%v", err)
	}
	// Without a source, the flag names it.
	s.Deployment = map[Kind]DeploymentToken{KindExpired: {Token: rt.token}}
	if _, err := Prepare(context.Background(), s); err == nil || !strings.HasPrefix(err.Error(), "--expired-token: ") {
		t.Fatalf("%v", err)
	}
	// The same token, expired: accepted, and its case is sent.
	after := time.Unix(rt.Exp+60, 0)
	s.Now = func() time.Time { return after }
	s.Result = rt.verify(t, rt.token) // verified during its life
	s.Listener = ListenerSetup{Listen: "127.0.0.1:0"}
	p, err := Prepare(context.Background(), s)
	if err != nil {
		t.Fatal(err)
	}
	defer p.Close()
	m := byName(t, p.Cases())
	if c := m[CaseExpiredToken]; c.Token != rt.token || c.NotTested != "" || c.Source != "--expired-token" {
		t.Errorf("expired_token: %+v", c)
	}
	if c := m[CaseOtherAudience]; c.NotTested == "" || c.EnabledBy != "--other-audience-token" {
		t.Errorf("other_audience_token: %+v", c)
	}
}

// A token that is invalid here is not probed with: the plan sends nothing
// and says why.
func TestPrepareNotProbeable(t *testing.T) {
	t.Parallel()
	rt := loadReal(t, "EdDSA")
	after := time.Unix(rt.Exp+60, 0)
	v := &verify.Verifier{Now: func() time.Time { return after }, Keys: &keysource.Reader{Name: rt.JWKSPath}}
	s := Setup{Method: "GET", URL: "http://127.0.0.1:1/", Token: rt.token, Result: v.Verify(context.Background(), rt.token)}
	rep, err := Execute(context.Background(), s)
	if err != nil || !strings.Contains(rep.NotRun, "(expired)") || len(rep.Probes) != 0 {
		t.Fatalf("%v %+v", err, rep)
	}
	if NotProbeable(nil) == "" || NotProbeable(&verify.Result{}) == "" {
		t.Error("no result, or no token: probeable")
	}
}
