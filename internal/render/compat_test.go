package render

import (
	"bytes"
	"flag"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/baverify/baverify/internal/compat"
)

var updateCompatGolden = flag.Bool("update-compat", false, "rewrite the compat golden files in testdata/")

// richMatrix has every outcome, several libraries and languages, and a
// terminal escape in server-like text, whatever the embedded table holds.
func richMatrix(t *testing.T) *compat.Matrix {
	t.Helper()
	ok := `{"outcome":"ok"}`
	row := func(id, lib, lang, setup, ver, eddsa, ps256 string) string {
		return `{"id":"` + id + `","library":"` + lib + `","language":"` + lang + `","setup":"` + setup + `","version":"` + ver + `","results":{"EdDSA":` + eddsa +
			`,"ES256":` + ok + `,"ES512":` + ok + `,"RS256":` + ok + `,"PS256":` + ps256 + `}}`
	}
	m, err := compat.Parse([]byte(`{"schema":1,"measuredWith":"better-auth 1.7.25 tokens, all five algorithms","setups":[` +
		row("python-jose/jwk-dict", "python-jose", "Python", "jwt.decode with the JWK dict (FastAPI guide code)", "3.3.0",
			`{"outcome":"crash","error":"JWKError: Unable to find an algorithm for key","fix":"PyJWT with PyJWKClient, or keyPairConfig.alg RS256"}`,
			`{"outcome":"crash","error":"JWKError: Unable to find an algorithm for key","fix":"PyJWT with PyJWKClient, or keyPairConfig.alg RS256"}`) + "," +
		row("PyJWT/PyJWKClient", "PyJWT", "Python", "PyJWKClient", "2.6.0", ok, ok) + "," +
		row("jose/remote-jwks", "jose", "JavaScript", "createRemoteJWKSet + jwtVerify", "5.9.6", ok, ok) + "," +
		row("jsonwebtoken/jwks-rsa", "jsonwebtoken", "JavaScript", "jwks-rsa", "9.0.2",
			`{"outcome":"rejected","error":"JsonWebTokenError: invalid algorithm \u001b[31m","fix":"jose with createRemoteJWKSet, or keyPairConfig.alg RS256"}`, ok) + "," +
		row("golang-jwt/keyfunc", "golang-jwt", "Go", "keyfunc", "5.2.1", ok, ok) + "," +
		row("go-jose/jwks", "go-jose", "Go", "JSONWebKeySet", "4.0.4", ok, ok) + "," +
		row("jwx/fetch", "jwx", "Go", "jwk.Fetch + jwt.WithKeySet", "3.0.0", ok, ok) +
		`]}`))
	if err != nil {
		t.Fatal(err)
	}
	return m
}

func compatGolden(t *testing.T, name, got string) {
	t.Helper()
	path := filepath.Join("testdata", name)
	if *updateCompatGolden {
		if err := os.WriteFile(path, []byte(got), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	want, err := os.ReadFile(path)
	if err != nil {
		t.Fatalf("%v (go test ./internal/render -run TestCompat -update-compat creates it)", err)
	}
	if got != string(want) {
		t.Errorf("output differs from %s (go test ./internal/render -run TestCompat -update-compat rewrites it)\n--- got\n%s\n--- want\n%s", path, got, want)
	}
}

func TestCompatGolden(t *testing.T) {
	m := richMatrix(t)
	var buf bytes.Buffer
	if err := CompatText(&buf, m, Styles{}); err != nil {
		t.Fatal(err)
	}
	compatGolden(t, "compat_table.txt", buf.String())

	buf.Reset()
	ed := m.ForToken("EdDSA", "OKP", "Ed25519")
	if err := BackendsText(&buf, &ed, Styles{}); err != nil {
		t.Fatal(err)
	}
	rs := m.ForToken("RS256", "RSA", "")
	if err := BackendsText(&buf, &rs, Styles{}); err != nil {
		t.Fatal(err)
	}
	es := m.ForToken("ES384", "EC", "P-384")
	if err := BackendsText(&buf, &es, Styles{}); err != nil {
		t.Fatal(err)
	}
	compatGolden(t, "compat_backends.txt", buf.String())
	if strings.Contains(buf.String(), "\x1b") {
		t.Fatal("an escape from the data reached the terminal")
	}
	compatGolden(t, "compat_readme.md", CompatMarkdown(m))
}

// Colour never changes the layout: the table with styles is the plain
// table once the escapes are removed.
func TestCompatTextColour(t *testing.T) {
	m := richMatrix(t)
	var plain, colour bytes.Buffer
	if err := CompatText(&plain, m, Styles{}); err != nil {
		t.Fatal(err)
	}
	if err := CompatText(&colour, m, NewStyles(&colour, true)); err != nil {
		t.Fatal(err)
	}
	if !ansiRE.MatchString(colour.String()) || ansiRE.ReplaceAllString(colour.String(), "") != plain.String() {
		t.Fatalf("coloured table differs:\n%s\n---\n%s", colour.String(), plain.String())
	}
}

func TestBackendsTextNil(t *testing.T) {
	var buf bytes.Buffer
	if err := BackendsText(&buf, nil, Styles{}); err != nil || buf.Len() != 0 {
		t.Fatalf("%q %v", buf.String(), err)
	}
}
