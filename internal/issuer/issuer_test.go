package issuer

import (
	"bytes"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/lestrrat-go/jwx/v3/jwa"
	"github.com/lestrrat-go/jwx/v3/jwk"
	"github.com/lestrrat-go/jwx/v3/jws"

	"github.com/baverify/baverify/internal/testenv"
)

// kidFormat is Better Auth's generateId(): 32 characters of [A-Za-z0-9].
var kidFormat = regexp.MustCompile(`^[A-Za-z0-9]{32}$`)

// fakeClock is a clock that moves only when told.
type fakeClock struct {
	mu sync.Mutex
	t  time.Time
}

func (c *fakeClock) Now() time.Time { c.mu.Lock(); defer c.mu.Unlock(); return c.t }
func (c *fakeClock) Add(d time.Duration) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.t = c.t.Add(d)
}

func newClock() *fakeClock {
	return &fakeClock{t: time.Date(2026, 11, 26, 15, 46, 25, 859e6, time.UTC)}
}

// Shape is what the conformance tests compare between the issuer and a
// real Better Auth: names, order and JSON types, never values.
type Shape struct {
	JWKSMembers   [][]string // per key, in order
	HeaderMembers []string
	Claims        []string // "name:type", in order
	KidOK         bool
	SigLen        int
}

// orderedNames returns the member names of a JSON object, in order.
func orderedNames(t testing.TB, b []byte) []string {
	t.Helper()
	dec := json.NewDecoder(bytes.NewReader(b))
	if tok, err := dec.Token(); err != nil || tok != json.Delim('{') {
		t.Fatalf("not a JSON object: %s", b)
	}
	var names []string
	for dec.More() {
		name, err := dec.Token()
		if err != nil {
			t.Fatal(err)
		}
		names = append(names, name.(string))
		var skip json.RawMessage
		if err := dec.Decode(&skip); err != nil {
			t.Fatal(err)
		}
	}
	return names
}

func jsonType(v any) string {
	switch v.(type) {
	case string:
		return "string"
	case float64:
		return "number"
	case bool:
		return "boolean"
	case []any:
		return "array"
	case map[string]any:
		return "object"
	case nil:
		return "null"
	}
	return "?"
}

func seg(t testing.TB, tok string, i int) []byte {
	t.Helper()
	parts := strings.Split(strings.TrimSpace(tok), ".")
	if len(parts) != 3 {
		t.Fatalf("not a compact JWS: %q", tok)
	}
	b, err := base64.RawURLEncoding.DecodeString(parts[i])
	if err != nil {
		t.Fatal(err)
	}
	return b
}

// ShapeOf describes a JWKS and one token it verifies.
func ShapeOf(t testing.TB, jwksBody []byte, tok string) Shape {
	t.Helper()
	var set struct {
		Keys []json.RawMessage `json:"keys"`
	}
	if err := json.Unmarshal(jwksBody, &set); err != nil {
		t.Fatal(err)
	}
	if names := orderedNames(t, jwksBody); len(names) != 1 || names[0] != "keys" {
		t.Fatalf("JWKS members %v, want [keys]", names)
	}
	var s Shape
	for _, k := range set.Keys {
		s.JWKSMembers = append(s.JWKSMembers, orderedNames(t, k))
	}
	header := seg(t, tok, 0)
	s.HeaderMembers = orderedNames(t, header)
	var h struct {
		Kid string `json:"kid"`
	}
	_ = json.Unmarshal(header, &h)
	s.KidOK = kidFormat.MatchString(h.Kid)
	payload := seg(t, tok, 1)
	var claims map[string]any
	if err := json.Unmarshal(payload, &claims); err != nil {
		t.Fatal(err)
	}
	for _, name := range orderedNames(t, payload) {
		s.Claims = append(s.Claims, name+":"+jsonType(claims[name]))
	}
	s.SigLen = len(seg(t, tok, 2))
	return s
}

// verifyWith checks tok's signature against a public JWKS, with jwx.
func verifyWith(t testing.TB, jwksBody []byte, tok string) error {
	t.Helper()
	set, err := jwk.Parse(jwksBody)
	if err != nil {
		return err
	}
	var h struct{ Alg, Kid string }
	_ = json.Unmarshal(seg(t, tok, 0), &h)
	k, ok := set.LookupKeyID(h.Kid)
	if !ok {
		return fmt.Errorf("kid %s not in the JWKS", h.Kid)
	}
	alg, ok := jwa.LookupSignatureAlgorithm(h.Alg)
	if !ok {
		return fmt.Errorf("alg %s", h.Alg)
	}
	_, err = jws.Verify([]byte(strings.TrimSpace(tok)), jws.WithKey(alg, k))
	return err
}

func payloadOf(t testing.TB, tok string) map[string]any {
	t.Helper()
	var m map[string]any
	if err := json.Unmarshal(seg(t, tok, 1), &m); err != nil {
		t.Fatal(err)
	}
	return m
}

// The issuer's JWKS and tokens have the shape of the ones a real Better
// Auth 1.7.25 server made (captured in testdata/real): JWKS members and
// their order, the header's members, the claims' names, order and types,
// the kid format and the signature size, for each algorithm.
func TestShapeMatchesCapturedBetterAuth(t *testing.T) {
	for _, alg := range Algs() {
		t.Run(alg, func(t *testing.T) {
			real := testenv.LoadReal(t, alg)
			realJWKS, err := os.ReadFile(filepath.Join(testenv.RepoRoot(t), "testdata", "real", alg, "jwks.json"))
			if err != nil {
				t.Fatal(err)
			}
			want := ShapeOf(t, realJWKS, real.Token)

			clock := newClock()
			k, err := GenerateKey(alg, clock.Now())
			if err != nil {
				t.Fatal(err)
			}
			ks, err := NewKeySet([]*Key{k}, KeySetOptions{Now: clock.Now})
			if err != nil {
				t.Fatal(err)
			}
			tok, err := ks.Mint(Claims{Issuer: "http://127.0.0.1:1", Audience: []string{"http://127.0.0.1:1"}}, MintOptions{})
			if err != nil {
				t.Fatal(err)
			}
			body, err := ks.JWKS()
			if err != nil {
				t.Fatal(err)
			}
			got := ShapeOf(t, body, tok)
			if fmt.Sprint(got) != fmt.Sprint(want) {
				t.Errorf("shape differs from real Better Auth's\n got: %+v\nwant: %+v", got, want)
			}
			if err := verifyWith(t, body, tok); err != nil {
				t.Errorf("the token does not verify against the issuer's JWKS: %v", err)
			}
			if err := verifyWith(t, realJWKS, tok); err == nil {
				t.Errorf("the issuer's token verifies against a real deployment's JWKS")
			}
		})
	}
}

func TestNewKidIsBetterAuthsFormat(t *testing.T) {
	seen := map[string]bool{}
	for range 200 {
		kid, err := NewKid(nil)
		if err != nil {
			t.Fatal(err)
		}
		if !kidFormat.MatchString(kid) || seen[kid] {
			t.Fatalf("kid %q: not 32 of [A-Za-z0-9], or repeated", kid)
		}
		seen[kid] = true
	}
	// Rejection sampling: a reader of bytes >= 248 only gives no kid.
	if _, err := NewKid(bytes.NewReader(bytes.Repeat([]byte{255}, 96))); err == nil {
		t.Fatal("a kid from bytes that must be rejected")
	}
}

// Tokens verify for every algorithm, with exactly the claims asked for.
func TestMintClaims(t *testing.T) {
	clock := newClock()
	now := clock.Now()
	iss, aud := "http://127.0.0.1:9", []string{"http://127.0.0.1:9"}
	for _, alg := range Algs() {
		k, err := GenerateKey(alg, now)
		if err != nil {
			t.Fatal(err)
		}
		ks, err := NewKeySet([]*Key{k}, KeySetOptions{Now: clock.Now})
		if err != nil {
			t.Fatal(err)
		}
		jwksBody, _ := ks.JWKS()
		d := Defaults{Issuer: iss, Audience: aud, User: DefaultUser()}
		for _, tc := range []struct {
			name string
			req  MintRequest
			want map[string]any // claims that must have these values; nil value: absent
		}{
			{"default", MintRequest{}, map[string]any{
				"iat": float64(now.Unix()), "exp": float64(now.Unix() + 900), "sub": DefaultUserID, "id": DefaultUserID,
				"iss": iss, "aud": aud[0], "email": DefaultUserEmail, "emailVerified": false, "nbf": nil,
				"createdAt": "2026-11-26T15:46:25.859Z"}},
			{"expired a minute ago", MintRequest{Exp: "-1m"}, map[string]any{"exp": float64(now.Unix() - 60)}},
			{"expired as made", MintRequest{Exp: "0"}, map[string]any{"exp": float64(now.Unix())}},
			{"not valid yet", MintRequest{Nbf: "5m"}, map[string]any{"nbf": float64(now.Unix() + 300)}},
			{"another audience", MintRequest{Aud: []string{"https://other.example"}}, map[string]any{"aud": "https://other.example"}},
			{"two audiences", MintRequest{Aud: []string{"a", "b"}}, map[string]any{"aud": []any{"a", "b"}}},
			{"another issuer", MintRequest{Iss: "https://other.example"}, map[string]any{"iss": "https://other.example"}},
			{"no exp", MintRequest{NoExp: true}, map[string]any{"exp": nil}},
			{"no aud", MintRequest{NoAud: true}, map[string]any{"aud": nil}},
			{"no iss", MintRequest{NoIss: true}, map[string]any{"iss": nil}},
			{"no user", MintRequest{NoUser: true, Sub: "u1"}, map[string]any{"email": nil, "id": nil, "sub": "u1"}},
			{"sub", MintRequest{Sub: "user-42"}, map[string]any{"sub": "user-42", "id": "user-42"}},
			{"iat an hour ago", MintRequest{Iat: "-1h"}, map[string]any{"iat": float64(now.Unix() - 3600), "exp": float64(now.Unix() - 3600 + 900)}},
			{"claims", MintRequest{Claims: map[string]json.RawMessage{"admin": json.RawMessage(`true`), "email": json.RawMessage(`"x@example.com"`), "exp": json.RawMessage(`"soon"`)}},
				map[string]any{"admin": true, "email": "x@example.com", "exp": "soon"}},
		} {
			tok, err := ks.MintRequest(tc.req, d)
			if err != nil {
				t.Fatalf("%s %s: %v", alg, tc.name, err)
			}
			if err := verifyWith(t, jwksBody, tok); err != nil {
				t.Fatalf("%s %s: %v", alg, tc.name, err)
			}
			got := payloadOf(t, tok)
			for name, want := range tc.want {
				v, present := got[name]
				if want == nil {
					if present {
						t.Errorf("%s %s: %s = %v, want it absent", alg, tc.name, name, v)
					}
					continue
				}
				if fmt.Sprint(v) != fmt.Sprint(want) {
					t.Errorf("%s %s: %s = %#v, want %#v", alg, tc.name, name, v, want)
				}
			}
			if h := orderedNames(t, seg(t, tok, 0)); fmt.Sprint(h) != "[alg kid]" {
				t.Errorf("%s %s: header members %v, want [alg kid]", alg, tc.name, h)
			}
		}
	}
}

func TestMintRefusesWhatCannotBeMinted(t *testing.T) {
	k, _ := GenerateKey("EdDSA", time.Now())
	ks, _ := NewKeySet([]*Key{k}, KeySetOptions{})
	for _, tc := range []struct {
		name string
		c    Claims
		o    MintOptions
		want string
	}{
		{"no issuer", Claims{Audience: []string{"a"}}, MintOptions{}, "no issuer"},
		{"no audience", Claims{Issuer: "i"}, MintOptions{}, "no audience"},
		{"bad claim", Claims{Issuer: "i", Audience: []string{"a"}, Extra: []Claim{{"x", json.RawMessage("{")}}}, MintOptions{}, "not a JSON value"},
		{"unknown kid", Claims{Issuer: "i", Audience: []string{"a"}}, MintOptions{Kid: "nope"}, `no key with kid "nope"`},
	} {
		if _, err := ks.Mint(tc.c, tc.o); err == nil || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("%s: error %v, want %q", tc.name, err, tc.want)
		}
	}
	for _, bad := range []MintRequest{{Exp: "soon"}, {Nbf: "1x"}, {Iat: ""}} {
		if bad.Iat == "" && bad.Exp == "" && bad.Nbf == "" {
			continue
		}
		if _, err := ks.MintRequest(bad, Defaults{Issuer: "i", Audience: []string{"a"}}); err == nil {
			t.Errorf("%+v: minted", bad)
		}
	}
}

func TestParseSpan(t *testing.T) {
	for in, want := range map[string]time.Duration{
		"15m": 15 * time.Minute, "-1m": -time.Minute, "1h30m": 90 * time.Minute, "900": 900 * time.Second,
		"-60": -time.Minute, "2d": 48 * time.Hour, "1w": 7 * 24 * time.Hour, "-1d": -24 * time.Hour, "0": 0,
	} {
		got, err := ParseSpan(in)
		if err != nil || got != want {
			t.Errorf("ParseSpan(%q) = %v, %v; want %v", in, got, err, want)
		}
	}
	for _, in := range []string{"", "soon", "1x", "m", "--1m"} {
		if _, err := ParseSpan(in); err == nil {
			t.Errorf("ParseSpan(%q): no error", in)
		}
	}
}

// A keys file round-trips: the keys loaded sign tokens that the JWKS of the
// keys written verifies, under the same kid.
func TestKeysFileRoundTrip(t *testing.T) {
	now := time.Now()
	for _, alg := range Algs() {
		a, _ := GenerateKey(alg, now)
		b, _ := GenerateKey(alg, now)
		file, err := MarshalPrivate([]*Key{a, b})
		if err != nil {
			t.Fatal(err)
		}
		loaded, err := LoadKeys(file, now)
		if err != nil {
			t.Fatalf("%s: %v\n%s", alg, err, file)
		}
		if len(loaded) != 2 || loaded[0].Kid != a.Kid || loaded[1].Kid != b.Kid || loaded[1].Alg != alg {
			t.Fatalf("%s: loaded %+v", alg, loaded)
		}
		ks, _ := NewKeySet(loaded, KeySetOptions{})
		tok, err := ks.Mint(Claims{Issuer: "i", Audience: []string{"a"}}, MintOptions{})
		if err != nil {
			t.Fatal(err)
		}
		pub, _ := MarshalPublic([]*Key{a, b})
		if err := verifyWith(t, pub, tok); err != nil {
			t.Fatalf("%s: %v", alg, err)
		}
		if h := payloadOf(t, tok); h == nil {
			t.Fatal("no payload")
		}
		var hdr struct{ Kid string }
		_ = json.Unmarshal(seg(t, tok, 0), &hdr)
		if hdr.Kid != b.Kid {
			t.Errorf("%s: signed with %s, want the last key %s", alg, hdr.Kid, b.Kid)
		}
		if bytes.Contains(pub, []byte(`"d"`)) {
			t.Errorf("%s: the public JWKS holds a private member", alg)
		}
	}
}

func TestLoadKeysRefusesWhatIsNotAPrivateKeySet(t *testing.T) {
	ed, _ := GenerateKey("EdDSA", time.Now())
	es, _ := GenerateKey("ES256", time.Now())
	one := func(k *Key) string { b, _ := MarshalPrivate([]*Key{k}); return string(b) }
	edFile := one(ed)
	for name, tc := range map[string]struct{ file, want string }{
		"not JSON":       {"nope", "not a JWK set"},
		"no keys":        {`{"keys":[]}`, "no keys"},
		"public only":    {func() string { b, _ := MarshalPublic([]*Key{ed}); return string(b) }(), "a public key"},
		"no kid":         {strings.Replace(edFile, `"kid":"`+ed.Kid+`"`, `"kid":""`, 1), "no kid"},
		"HS256":          {strings.Replace(edFile, `"alg":"EdDSA"`, `"alg":"HS256"`, 1), "Better Auth signs with"},
		"alg mismatch":   {strings.Replace(one(es), `"alg":"ES256"`, `"alg":"ES512"`, 1), "does not fit alg ES512"},
		"EdDSA as RS256": {strings.Replace(edFile, `"alg":"EdDSA"`, `"alg":"RS256"`, 1), "does not fit alg RS256"},
		"kid twice":      {`{"keys":[` + edFile[9:len(edFile)-2] + "," + edFile[9:len(edFile)-2] + `]}`, "appears twice"},
		"too large":      {strings.Repeat(" ", maxKeysFile+1), "larger than"},
	} {
		if _, err := LoadKeys([]byte(tc.file), time.Now()); err == nil || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("%s: error %v, want %q", name, err, tc.want)
		}
	}
}

// Rotation is Better Auth's: lazy (only a signing rotates), the new key
// signs, the expired key stays published until expiry + grace, the JWKS
// never makes a key unless there is none, and is empty once every key is
// past its grace.
func TestRotationIsBetterAuths(t *testing.T) {
	clock := newClock()
	ks, err := NewKeySet(nil, KeySetOptions{Alg: "ES256", Rotation: Rotation{Every: time.Hour, Grace: 10 * time.Minute}, Now: clock.Now})
	if err != nil {
		t.Fatal(err)
	}
	kids := func() []string { return publishedKids(t, ks) }
	signer := func() string {
		k, err := ks.SigningKey()
		if err != nil {
			t.Fatal(err)
		}
		return k.Kid
	}
	first := kids() // an empty table: GET /jwks makes the first key
	if len(first) != 1 {
		t.Fatalf("first JWKS: %v", first)
	}
	k1 := first[0]
	if got := signer(); got != k1 {
		t.Fatalf("signs with %s, want %s", got, k1)
	}
	clock.Add(time.Hour + time.Second) // k1 expired, in its grace
	if got := kids(); fmt.Sprint(got) != fmt.Sprint([]string{k1}) {
		t.Fatalf("after expiry, before any signing: JWKS %v, want [k1] (GET /jwks never rotates)", got)
	}
	k2 := signer()
	if k2 == k1 {
		t.Fatal("an expired key still signs")
	}
	if got := kids(); fmt.Sprint(got) != fmt.Sprint([]string{k1, k2}) {
		t.Fatalf("in the grace period: JWKS %v, want [k1 k2]", got)
	}
	if _, err := ks.Mint(Claims{Issuer: "i", Audience: []string{"a"}}, MintOptions{Kid: k1}); err != nil {
		t.Fatalf("minting with the rotated-out key: %v", err)
	}
	clock.Add(10 * time.Minute) // k1's grace is over
	if got := kids(); fmt.Sprint(got) != fmt.Sprint([]string{k2}) {
		t.Fatalf("after the grace: JWKS %v, want [k2]", got)
	}
	clock.Add(2 * time.Hour) // k2 past expiry and grace, nothing signed since
	if got := kids(); len(got) != 0 {
		t.Fatalf("every key past its grace: JWKS %v, want none", got)
	}
	if body, _ := ks.JWKS(); string(body) != `{"keys":[]}` {
		t.Fatalf("empty JWKS body %s", body)
	}
	k3 := signer()
	if k3 == k2 || fmt.Sprint(kids()) != fmt.Sprint([]string{k3}) {
		t.Fatalf("the next signing makes a key: %s, JWKS %v", k3, kids())
	}
	// Without rotation a key never expires.
	still, _ := NewKeySet(nil, KeySetOptions{Now: clock.Now})
	a := func() string { k, _ := still.SigningKey(); return k.Kid }()
	clock.Add(10000 * time.Hour)
	if b := func() string { k, _ := still.SigningKey(); return k.Kid }(); a != b {
		t.Fatal("a key rotated with rotation off")
	}
}

// publishedKids are the kids of the keys ks publishes now, in order.
func publishedKids(t *testing.T, ks *KeySet) []string {
	t.Helper()
	keys, err := ks.Published()
	if err != nil {
		t.Fatal(err)
	}
	var out []string
	for _, k := range keys {
		out = append(out, k.Kid)
	}
	return out
}

func newTestServer(t *testing.T, opts ServerOptions) (*Server, *httptest.Server) {
	t.Helper()
	k, _ := GenerateKey("EdDSA", time.Now())
	ks, _ := NewKeySet([]*Key{k}, KeySetOptions{})
	hs := httptest.NewServer(nil)
	if opts.BaseURL == "" {
		opts.BaseURL = hs.URL
	}
	srv, err := NewServer(ks, opts)
	if err != nil {
		t.Fatal(err)
	}
	hs.Config.Handler = srv.Handler()
	t.Cleanup(hs.Close)
	return srv, hs
}

func get(t *testing.T, method, url string, body io.Reader, cookie string) (*http.Response, []byte) {
	t.Helper()
	req, _ := http.NewRequest(method, url, body)
	if cookie != "" {
		req.Header.Set("Cookie", cookie)
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return resp, b
}

// The routes answer as Better Auth's do, header for header.
func TestServerRoutes(t *testing.T) {
	srv, hs := newTestServer(t, ServerOptions{})
	base := hs.URL + "/api/auth"
	resp, body := get(t, "GET", base+"/jwks", nil, "")
	if resp.StatusCode != 200 || resp.Header.Get("Content-Type") != "application/json" || resp.Header.Get("Cache-Control") != "" || !bytes.HasPrefix(body, []byte(`{"keys":[{"alg":"EdDSA","crv":"Ed25519","x":`)) {
		t.Fatalf("jwks: %d %v %s", resp.StatusCode, resp.Header, body)
	}
	if resp, _ := get(t, "HEAD", base+"/jwks", nil, ""); resp.StatusCode != 404 {
		t.Errorf("HEAD jwks: %d, want 404 as Better Auth", resp.StatusCode)
	}
	if resp, _ := get(t, "GET", hs.URL+"/.well-known/jwks.json", nil, ""); resp.StatusCode != 404 {
		t.Errorf("/.well-known/jwks.json: %d", resp.StatusCode)
	}
	resp, body = get(t, "GET", base+"/token", nil, "")
	if resp.StatusCode != 401 || string(body) != `{"message":"Unauthorized","code":"UNAUTHORIZED"}` || resp.Header.Get("Content-Type") != "application/json" {
		t.Errorf("token without a session: %d %s", resp.StatusCode, body)
	}
	resp, body = get(t, "GET", base+"/token", nil, SessionCookie+"=anything.sig")
	var tb struct{ Token string }
	if resp.StatusCode != 200 || json.Unmarshal(body, &tb) != nil || strings.Count(tb.Token, ".") != 2 {
		t.Errorf("token with a session: %d %s", resp.StatusCode, body)
	}
	resp, body = get(t, "GET", base+"/get-session", nil, "")
	if resp.StatusCode != 200 || string(body) != "null" || resp.Header.Get("Set-Auth-Jwt") != "" || resp.Header.Get("Cache-Control") != "no-store" {
		t.Errorf("get-session without a session: %d %v %s", resp.StatusCode, resp.Header, body)
	}
	resp, body = get(t, "GET", base+"/get-session", nil, secureSessionCookie+"=sess1.sig")
	jwt := resp.Header.Get("Set-Auth-Jwt")
	if resp.StatusCode != 200 || strings.Count(jwt, ".") != 2 || resp.Header.Get("Access-Control-Expose-Headers") != "set-auth-jwt" || !bytes.Contains(body, []byte(`"token":"sess1"`)) {
		t.Errorf("get-session with a session: %d %v %s", resp.StatusCode, resp.Header, body)
	}
	if p := payloadOf(t, jwt); p["iss"] != srv.Defaults().Issuer || p["aud"] != hs.URL || p["sub"] != DefaultUserID {
		t.Errorf("set-auth-jwt claims %v", p)
	}
	resp, body = get(t, "POST", base+"/baverify/mint", strings.NewReader(`{"exp":"-1m","claims":{"admin":true}}`), "")
	if resp.StatusCode != 200 || json.Unmarshal(body, &tb) != nil {
		t.Fatalf("mint: %d %s", resp.StatusCode, body)
	}
	if p := payloadOf(t, tb.Token); p["admin"] != true || p["exp"].(float64) >= float64(time.Now().Unix()) {
		t.Errorf("minted claims %v", p)
	}
	for _, bad := range []string{`{"nope":1}`, `{"exp":"soon"}`, `[`} {
		resp, body = get(t, "POST", base+"/baverify/mint", strings.NewReader(bad), "")
		if resp.StatusCode != 400 || !bytes.Contains(body, []byte(`"code":"BAD_REQUEST"`)) {
			t.Errorf("mint %s: %d %s", bad, resp.StatusCode, body)
		}
	}
	if resp, _ := get(t, "GET", base+"/baverify/mint", nil, ""); resp.StatusCode != 404 {
		t.Errorf("GET mint: %d", resp.StatusCode)
	}
}

// basePath and jwksPath move the routes as Better Auth's options do; iss
// and aud stay the origin.
func TestServerPaths(t *testing.T) {
	_, hs := newTestServer(t, ServerOptions{})
	srv, err := NewServer(mustKeySet(t), ServerOptions{BaseURL: hs.URL + "/custom/auth/", JWKSPath: "/.well-known/jwks.json"})
	if err != nil {
		t.Fatal(err)
	}
	hs.Config.Handler = srv.Handler()
	if resp, _ := get(t, "GET", hs.URL+"/custom/auth/.well-known/jwks.json", nil, ""); resp.StatusCode != 200 {
		t.Errorf("custom jwks path: %d", resp.StatusCode)
	}
	for _, p := range []string{"/api/auth/jwks", "/custom/auth/jwks", "/.well-known/jwks.json"} {
		if resp, _ := get(t, "GET", hs.URL+p, nil, ""); resp.StatusCode != 404 {
			t.Errorf("%s: %d, want 404", p, resp.StatusCode)
		}
	}
	r := srv.Ready(1)
	if r.Issuer != hs.URL || r.Audience[0] != hs.URL || r.JWKSURL != hs.URL+"/custom/auth/.well-known/jwks.json" || r.MintURL != hs.URL+"/custom/auth/baverify/mint" {
		t.Errorf("ready %+v", r)
	}
	if _, err := NewServer(mustKeySet(t), ServerOptions{BaseURL: hs.URL, JWKSPath: "/../jwks"}); err == nil {
		t.Error("a jwks path with .. was accepted")
	}
}

func mustKeySet(t *testing.T) *KeySet {
	t.Helper()
	k, err := GenerateKey("EdDSA", time.Now())
	if err != nil {
		t.Fatal(err)
	}
	ks, err := NewKeySet([]*Key{k}, KeySetOptions{})
	if err != nil {
		t.Fatal(err)
	}
	return ks
}

func TestListenRefusesRemoteUnlessAllowed(t *testing.T) {
	for _, addr := range []string{"0.0.0.0:0", ":0", "192.0.2.1:0", "[::]:0", "example.com:0"} {
		if ln, err := Listen(t.Context(), addr, false); err == nil {
			ln.Close()
			t.Errorf("%s: listened without --allow-remote", addr)
		} else if !strings.Contains(err.Error(), "allow-remote") && !strings.Contains(err.Error(), "HOST:PORT") {
			t.Errorf("%s: %v", addr, err)
		}
	}
	for _, addr := range []string{"", "127.0.0.1:0", "localhost:0"} {
		ln, err := Listen(t.Context(), addr, false)
		if err != nil {
			t.Fatalf("%q: %v", addr, err)
		}
		if !strings.HasPrefix(ln.Addr().String(), "127.0.0.1:") {
			t.Errorf("%q: listens on %s", addr, ln.Addr())
		}
		ln.Close()
	}
	if _, err := Listen(t.Context(), "127.0.0.1", false); err == nil {
		t.Error("an address without a port was accepted")
	}
}

func TestMintRemote(t *testing.T) {
	_, hs := newTestServer(t, ServerOptions{})
	tok, err := MintRemote(t.Context(), hs.Client(), hs.URL, MintRequest{Sub: "u7"})
	if err != nil || payloadOf(t, tok)["sub"] != "u7" {
		t.Fatalf("%q, %v", tok, err)
	}
	_, err = MintRemote(t.Context(), hs.Client(), hs.URL, MintRequest{Exp: "soon"})
	var re *RemoteError
	if !errorsAs(err, &re) || re.Status != 400 || re.Unavailable() {
		t.Errorf("a refused request: %v", err)
	}
	_, err = MintRemote(t.Context(), hs.Client(), hs.URL+"/elsewhere", MintRequest{})
	if !errorsAs(err, &re) || re.Status != 404 || !re.Unavailable() || !strings.Contains(err.Error(), "no mint route") {
		t.Errorf("no mint route: %v", err)
	}
}

// A Source mints from a running issuer or from a keys file, the same
// request giving the same claims.
func TestSource(t *testing.T) {
	srv, hs := newTestServer(t, ServerOptions{})
	keysFile := filepath.Join(t.TempDir(), "keys.json")
	b, _ := MarshalPrivate(srv.Keys().Keys())
	if len(srv.Keys().Keys()) == 0 {
		t.Fatal("no keys")
	}
	if err := os.WriteFile(keysFile, b, 0o600); err != nil {
		t.Fatal(err)
	}
	remote, err := OpenSource(hs.Client(), hs.URL, Defaults{}, nil)
	if err != nil || remote.Label != "issuer at "+hs.URL {
		t.Fatalf("%+v %v", remote, err)
	}
	file, err := OpenSource(nil, keysFile, Defaults{Issuer: hs.URL, Audience: []string{hs.URL}}, nil)
	if err != nil || file.Label != "keys file "+keysFile {
		t.Fatalf("%+v %v", file, err)
	}
	jwksBody, _ := srv.Keys().JWKS()
	for _, s := range []*Source{remote, file} {
		tok, err := s.Mint(t.Context(), MintRequest{Aud: []string{"other"}, Exp: "-1m"})
		if err != nil {
			t.Fatalf("%s: %v", s.Label, err)
		}
		p := payloadOf(t, tok)
		if p["aud"] != "other" || p["iss"] != hs.URL || p["exp"].(float64) >= float64(time.Now().Unix()) {
			t.Errorf("%s: %v", s.Label, p)
		}
		if err := verifyWith(t, jwksBody, tok); err != nil {
			t.Errorf("%s: %v", s.Label, err)
		}
	}
	if _, err := OpenSource(nil, filepath.Join(t.TempDir(), "none"), Defaults{}, nil); err == nil {
		t.Error("a missing keys file opened")
	}
}

// A test key (newKey) is published at once but signs nothing unless asked
// for by kid; a retired key leaves the JWKS at once, still signs when
// asked for by kid, and never signs by default again.
func TestNewKeyAndRetire(t *testing.T) {
	clock := newClock()
	ks, err := NewKeySet(nil, KeySetOptions{Alg: "ES256", Now: clock.Now})
	if err != nil {
		t.Fatal(err)
	}
	published := func() string { return strings.Join(publishedKids(t, ks), " ") }
	d := Defaults{Issuer: "https://i.example", Audience: []string{"https://i.example"}}
	mint := func(r MintRequest) string {
		t.Helper()
		tok, err := ks.MintRequest(r, d)
		if err != nil {
			t.Fatalf("%+v: %v", r, err)
		}
		return tok
	}
	main := kidOf(t, mint(MintRequest{}))
	extra := kidOf(t, mint(MintRequest{NewKey: true}))
	if extra == main || published() != main+" "+extra {
		t.Fatalf("after newKey: main %s, extra %s, JWKS %s", main, extra, published())
	}
	if got := kidOf(t, mint(MintRequest{})); got != main {
		t.Fatalf("a default token is signed by %s, want the signing key %s (a test key signs only when asked)", got, main)
	}
	jwksBefore, _ := ks.JWKS()
	tok := mint(MintRequest{Kid: extra})
	if err := verifyWith(t, jwksBefore, tok); err != nil {
		t.Fatalf("the test key's token does not verify against the JWKS that publishes it: %v", err)
	}

	retired := mint(MintRequest{Kid: extra, Retire: true})
	if kidOf(t, retired) != extra || published() != main {
		t.Fatalf("after retiring %s: token kid %s, JWKS %s", extra, kidOf(t, retired), published())
	}
	jwksAfter, _ := ks.JWKS()
	if err := verifyWith(t, jwksAfter, retired); err == nil {
		t.Fatal("a retired key's token verifies against the JWKS")
	}
	if got := kidOf(t, mint(MintRequest{Kid: extra})); got != extra {
		t.Fatalf("a retired key no longer signs when asked by kid: %s", got)
	}

	// Retiring the signing key: later tokens come from a new key, and
	// the JWKS, which had only that key, gets the new one.
	if got := kidOf(t, mint(MintRequest{Retire: true})); got != main {
		t.Fatalf("retire without kid signed with %s, want the signing key %s", got, main)
	}
	next := kidOf(t, mint(MintRequest{}))
	if next == main || next == extra || published() != next {
		t.Fatalf("after retiring the signing key: signs with %s, JWKS %s", next, published())
	}

	// With an older key left (two keys, rotation off), it signs from then
	// on, as Better Auth's newest row does once the newest is deleted.
	older, _ := GenerateKey("ES256", clock.Now())
	newer, _ := GenerateKey("ES256", clock.Now())
	two, err := NewKeySet([]*Key{older, newer}, KeySetOptions{Now: clock.Now})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := two.Retire(""); err != nil {
		t.Fatal(err)
	}
	if k, err := two.SigningKey(); err != nil || k.Kid != older.Kid || fmt.Sprint(publishedKids(t, two)) != fmt.Sprint([]string{older.Kid}) {
		t.Fatalf("after retiring the newer of two keys: signs with %v (%v), JWKS %v; want the older", k, err, publishedKids(t, two))
	}

	for _, r := range []MintRequest{{NewKey: true, Kid: main}, {NewKey: true, Retire: true}, {Kid: "nope", Retire: true}} {
		if _, err := ks.MintRequest(r, d); err == nil {
			t.Errorf("%+v minted", r)
		}
	}

	// Test keys are bounded; retiring one makes room for another.
	var last string
	for range MaxTestKeys {
		last = kidOf(t, mint(MintRequest{NewKey: true}))
	}
	if _, err := ks.MintRequest(MintRequest{NewKey: true}, d); err == nil || !strings.Contains(err.Error(), "test keys are published already") {
		t.Fatalf("test key %d: %v", MaxTestKeys+1, err)
	}
	mint(MintRequest{Kid: last, Retire: true})
	mint(MintRequest{NewKey: true})
}

// A running issuer adds and retires keys through its mint route, and the
// JWKS it serves follows; a keys file cannot, and says so.
func TestSourceKeyTest(t *testing.T) {
	srv, hs := newTestServer(t, ServerOptions{})
	remote, err := OpenSource(hs.Client(), hs.URL, Defaults{}, nil)
	if err != nil || !remote.CanRotate() {
		t.Fatalf("%v, can rotate %v", err, remote.CanRotate())
	}
	served := func() string {
		_, body := get(t, "GET", hs.URL+"/api/auth/jwks", nil, "")
		return string(body)
	}
	key, err := remote.NewTestKey(t.Context())
	if err != nil || !kidFormat.MatchString(key.Kid) {
		t.Fatalf("%+v %v", key, err)
	}
	if !strings.Contains(served(), key.Kid) {
		t.Fatal("the test key is not in the served JWKS")
	}
	if err := verifyWith(t, []byte(served()), key.Token); err != nil {
		t.Fatalf("the test key's token: %v", err)
	}
	if err := remote.RetireKey(t.Context(), key.Kid); err != nil {
		t.Fatal(err)
	}
	if strings.Contains(served(), key.Kid) {
		t.Fatal("a retired key is still served")
	}
	old, err := remote.Mint(t.Context(), MintRequest{Kid: key.Kid})
	if err != nil || verifyWith(t, []byte(served()), old) == nil {
		t.Fatalf("a token of the retired key: %v (it must not verify against the served JWKS)", err)
	}
	if err := remote.RetireKey(t.Context(), "nope"); err == nil || !strings.Contains(err.Error(), `no key with kid "nope"`) {
		t.Errorf("retiring an unknown kid: %v", err)
	}

	keysFile := filepath.Join(t.TempDir(), "keys.json")
	b, _ := MarshalPrivate(srv.Keys().Keys()[:1])
	if err := os.WriteFile(keysFile, b, 0o600); err != nil {
		t.Fatal(err)
	}
	file, err := OpenSource(nil, keysFile, Defaults{Issuer: hs.URL, Audience: []string{hs.URL}}, nil)
	if err != nil || file.CanRotate() {
		t.Fatalf("%v, can rotate %v", err, file.CanRotate())
	}
	if _, err := file.NewTestKey(t.Context()); !errorsIs(err, ErrKeysFileRotation) {
		t.Errorf("a keys file made a test key: %v", err)
	}
	for _, r := range []MintRequest{{NewKey: true}, {Retire: true}} {
		if _, err := file.Mint(t.Context(), r); !errorsIs(err, ErrKeysFileRotation) {
			t.Errorf("a keys file minted %+v: %v", r, err)
		}
	}
}
