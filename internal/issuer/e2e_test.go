package issuer

import (
	"context"
	"encoding/json"
	"io"
	"net"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/lestrrat-go/jwx/v3/jwk"
	"github.com/lestrrat-go/jwx/v3/jwt"

	"github.com/baverify/baverify/internal/testenv"
)

// serve runs the issuer's real server on a free port of 127.0.0.1 until the
// test ends.
func serve(t *testing.T, ks *KeySet, opts ServerOptions) (*Server, Ready) {
	t.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	ln, err := Listen(ctx, "127.0.0.1:0", false)
	if err != nil {
		t.Fatal(err)
	}
	if opts.BaseURL == "" {
		opts.BaseURL = BaseURLFor(ln, "")
	}
	srv, err := NewServer(ks, opts)
	if err != nil {
		t.Fatal(err)
	}
	done := make(chan error, 1)
	go func() { done <- Serve(ctx, ln, srv.Handler()) }()
	t.Cleanup(func() {
		cancel()
		if err := <-done; err != nil {
			t.Errorf("serve: %v", err)
		}
	})
	return srv, srv.Ready(ln.Addr().(*net.TCPAddr).Port)
}

var loopback = &http.Client{Timeout: 10 * time.Second, Transport: &http.Transport{Proxy: nil}}

// call sends GET url with the token and returns the status.
func call(t *testing.T, url, tok string) int {
	t.Helper()
	req, _ := http.NewRequest("GET", url, nil)
	req.Header.Set("Authorization", "Bearer "+tok)
	resp, err := loopback.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	_, _ = io.Copy(io.Discard, resp.Body)
	return resp.StatusCode
}

func kidOf(t *testing.T, tok string) string {
	t.Helper()
	var h struct{ Kid string }
	if err := json.Unmarshal(seg(t, tok, 0), &h); err != nil {
		t.Fatal(err)
	}
	return h.Kid
}

// Across a rotation with a grace period, the FastAPI PyJWT backend pointed
// at the issuer accepts the old key's tokens until the grace ends, and the
// new key's from the first one on. The key set's clock is injected: no
// test waits for time to pass. Tokens carry the real time (PyJWT checks
// exp against it); only the keys' clock moves.
func TestE2ERotationWithGracePyJWT(t *testing.T) {
	clock := &fakeClock{t: time.Now()}
	ks, err := NewKeySet(nil, KeySetOptions{Alg: "ES256", Rotation: Rotation{Every: time.Hour, Grace: 10 * time.Minute}, Now: clock.Now})
	if err != nil {
		t.Fatal(err)
	}
	srv, ready := serve(t, ks, ServerOptions{})
	d := srv.Defaults()
	mint := func() string {
		tok, err := ks.Mint(Claims{IssuedAt: time.Now(), Issuer: d.Issuer, Audience: d.Audience}, MintOptions{})
		if err != nil {
			t.Fatal(err)
		}
		return tok
	}
	backend := func() string {
		b := testenv.StartBackend(t, testenv.BackendOptions{Kind: "pyjwt", JWKSURL: ready.JWKSURL, Issuer: ready.Issuer, Audience: ready.Audience[0], Require: []string{"exp", "iss", "aud", "sub"}})
		return b.URL + "/api/me"
	}

	oldTok := mint()
	before := backend()
	if got := call(t, before, oldTok); got != 200 {
		t.Fatalf("a valid token before any rotation: %d", got)
	}

	clock.Add(time.Hour + time.Second) // the first key expired: the next signing rotates
	newTok := mint()
	if kidOf(t, newTok) == kidOf(t, oldTok) {
		t.Fatal("no rotation after the interval")
	}
	during := backend()
	for name, url := range map[string]string{"a backend that knew the old key": before, "a backend started in the grace period": during} {
		if got := call(t, url, newTok); got != 200 {
			t.Errorf("%s: the new key's token: %d, want 200", name, got)
		}
		if got := call(t, url, oldTok); got != 200 {
			t.Errorf("%s: the old key's token in the grace period: %d, want 200", name, got)
		}
	}

	clock.Add(10 * time.Minute) // the grace period is over
	body, _ := ks.JWKS()
	if strings.Contains(string(body), kidOf(t, oldTok)) {
		t.Fatalf("the old key is still published after its grace: %s", body)
	}
	after := backend()
	if got := call(t, after, oldTok); got != 401 {
		t.Errorf("the old key's token after the grace: %d, want 401", got)
	}
	if got := call(t, after, newTok); got != 200 {
		t.Errorf("the new key's token after the grace: %d, want 200", got)
	}
}

// The Go example of docs/issuer.md, as written there: jwx fetches the
// issuer's JWKS and checks iss, aud and a required exp. It accepts a
// minted token and refuses each invalid kind.
func TestGoBackendExampleFromDocs(t *testing.T) {
	_, ready := serve(t, mustKeySet(t), ServerOptions{})
	verify := func(raw string) error {
		set, err := jwk.Fetch(t.Context(), ready.JWKSURL, jwk.WithHTTPClient(loopback))
		if err != nil {
			return err
		}
		_, err = jwt.Parse([]byte(raw),
			jwt.WithKeySet(set),
			jwt.WithIssuer(ready.Issuer),
			jwt.WithAudience(ready.Audience[0]),
			jwt.WithRequiredClaim("exp"),
		)
		return err
	}
	mintRemote := func(req MintRequest) string {
		tok, err := MintRemote(t.Context(), loopback, ready.BaseURL, req)
		if err != nil {
			t.Fatal(err)
		}
		return tok
	}
	if err := verify(mintRemote(MintRequest{})); err != nil {
		t.Fatalf("a valid token: %v", err)
	}
	for name, req := range map[string]MintRequest{
		"expired": {Exp: "-1m"}, "not yet valid": {Nbf: "5m"}, "another audience": {Aud: []string{"https://other.example"}},
		"another issuer": {Iss: "https://other.example"}, "no exp": {NoExp: true}, "no aud": {NoAud: true}, "no iss": {NoIss: true},
	} {
		if err := verify(mintRemote(req)); err == nil {
			t.Errorf("%s: accepted", name)
		}
	}
	// A key added to the JWKS is taken at the next fetch; once retired,
	// its tokens are refused, and the signing key's still verify.
	added := mintRemote(MintRequest{NewKey: true})
	if err := verify(added); err != nil {
		t.Fatalf("a token of a key added to the JWKS: %v", err)
	}
	if err := verify(mintRemote(MintRequest{Kid: kidOf(t, added), Retire: true})); err == nil {
		t.Error("a token of a retired key: accepted")
	}
	if err := verify(mintRemote(MintRequest{})); err != nil {
		t.Errorf("a valid token after the retirement: %v", err)
	}
}
