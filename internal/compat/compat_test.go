package compat

import (
	"slices"
	"strings"
	"testing"
)

// The embedded table is valid: Default never panics in a build that passed
// the tests, and every library it names is one of the documented eleven.
func TestEmbeddedMatrixIsValid(t *testing.T) {
	m, err := Parse([]byte(embedded))
	if err != nil {
		t.Fatal(err)
	}
	if len(m.Setups) == 0 || Default().MeasuredWith == "" {
		t.Fatalf("empty table: %+v", m)
	}
}

func setupJSON(results string) string {
	return `{"schema":1,"measuredWith":"x","setups":[{"id":"a/b","library":"PyJWT","language":"Python","setup":"s","version":"1","results":{` + results + `}}]}`
}

const fiveOK = `"EdDSA":{"outcome":"ok"},"ES256":{"outcome":"ok"},"ES512":{"outcome":"ok"},"RS256":{"outcome":"ok"}`

func TestParseIsStrict(t *testing.T) {
	tests := []struct {
		name, doc, want string
	}{
		{"valid", setupJSON(fiveOK + `,"PS256":{"outcome":"ok"}`), ""},
		{"valid crash", setupJSON(fiveOK + `,"PS256":{"outcome":"crash","error":"E: m","fix":"f"}`), ""},
		{"unknown outcome", setupJSON(fiveOK + `,"PS256":{"outcome":"fails"}`), `unknown outcome "fails"`},
		{"missing fix", setupJSON(fiveOK + `,"PS256":{"outcome":"rejected","error":"E: m"}`), "needs an error and a fix"},
		{"missing error", setupJSON(fiveOK + `,"PS256":{"outcome":"crash","fix":"f"}`), "needs an error and a fix"},
		{"ok with an error", setupJSON(fiveOK + `,"PS256":{"outcome":"ok","error":"E"}`), "ok with an error"},
		{"unknown alg", setupJSON(fiveOK + `,"PS256":{"outcome":"ok"},"HS256":{"outcome":"ok"}`), `unknown algorithm "HS256"`},
		{"missing alg", setupJSON(fiveOK), "no result for PS256"},
		{"unknown member", strings.Replace(setupJSON(fiveOK+`,"PS256":{"outcome":"ok"}`), `"version"`, `"versoin":"1","version"`, 1), "unknown field"},
		{"unknown library", strings.Replace(setupJSON(fiveOK+`,"PS256":{"outcome":"ok"}`), `"PyJWT"`, `"pyjwt"`, 1), `unknown library "pyjwt"`},
		{"schema", strings.Replace(setupJSON(fiveOK+`,"PS256":{"outcome":"ok"}`), `"schema":1`, `"schema":2`, 1), "schema 2"},
		{"empty version", strings.Replace(setupJSON(fiveOK+`,"PS256":{"outcome":"ok"}`), `"version":"1"`, `"version":""`, 1), "version is empty"},
		{"trailing data", setupJSON(fiveOK+`,"PS256":{"outcome":"ok"}`) + "{}", "data after"},
		// A framework's failure says the status it answers; a library's none.
		{"framework status", framework(`,"PS256":{"outcome":"rejected","status":401,"error":"E: m","fix":"f"}`), ""},
		{"framework crash status", framework(`,"PS256":{"outcome":"crash","status":500,"error":"E: m","fix":"f"}`), ""},
		{"framework without status", framework(`,"PS256":{"outcome":"rejected","error":"E: m","fix":"f"}`), "needs the status it answers"},
		{"framework rejected, not 401", framework(`,"PS256":{"outcome":"rejected","status":500,"error":"E: m","fix":"f"}`), "needs the status it answers"},
		{"library with a status", setupJSON(fiveOK + `,"PS256":{"outcome":"rejected","status":401,"error":"E: m","fix":"f"}`), "a status without a framework"},
		{"ok with a status", framework(`,"PS256":{"outcome":"ok","status":200}`), "ok with an error, a status or a cause"},
		{"claims cause", setupJSON(fiveOK + `,"PS256":{"outcome":"rejected","cause":"claims","error":"E: m","fix":"f"}`), ""},
		{"unknown cause", setupJSON(fiveOK + `,"PS256":{"outcome":"rejected","cause":"mood","error":"E: m","fix":"f"}`), `cause "mood"`},
		{"not measured without reason", strings.Replace(setupJSON(fiveOK+`,"PS256":{"outcome":"ok"}`), `"schema":1`, `"schema":1,"notMeasured":[{"stack":"Java","language":"Java","names":[]}]`, 1), "reason are required"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := Parse([]byte(tt.doc))
			switch {
			case tt.want == "" && err != nil:
				t.Fatalf("unexpected error %v", err)
			case tt.want != "" && (err == nil || !strings.Contains(err.Error(), tt.want)):
				t.Fatalf("error %v, want one containing %q", err, tt.want)
			}
		})
	}
}

// framework is setupJSON's setup as a framework row.
func framework(ps256 string) string {
	return strings.Replace(setupJSON(fiveOK+ps256), `"setup":`, `"framework":"Express","setup":`, 1)
}

func TestParseDuplicateIDAndLanguage(t *testing.T) {
	one := `{"id":"x","library":"PyJWT","language":"Python","setup":"s","version":"1","results":{` + fiveOK + `,"PS256":{"outcome":"ok"}}}`
	dup := `{"schema":1,"measuredWith":"x","setups":[` + one + `,` + one + `]}`
	if _, err := Parse([]byte(dup)); err == nil || !strings.Contains(err.Error(), "duplicate id") {
		t.Errorf("duplicate id: %v", err)
	}
	other := strings.Replace(strings.Replace(one, `"x"`, `"y"`, 1), `"Python"`, `"Go"`, 1)
	lang := `{"schema":1,"measuredWith":"x","setups":[` + one + `,` + other + `]}`
	if _, err := Parse([]byte(lang)); err == nil || !strings.Contains(err.Error(), "another setup of PyJWT") {
		t.Errorf("language: %v", err)
	}
}

// testMatrix has every kind of row the diagnosis ranks.
func testMatrix(t *testing.T) *Matrix {
	t.Helper()
	row := func(id, lib, lang, eddsa string) string {
		return `{"id":"` + id + `","library":"` + lib + `","language":"` + lang + `","setup":"` + id + ` setup","version":"1.0","results":{"EdDSA":` + eddsa +
			`,"ES256":{"outcome":"ok"},"ES512":{"outcome":"ok"},"RS256":{"outcome":"ok"},"PS256":{"outcome":"ok"}}}`
	}
	doc := `{"schema":1,"measuredWith":"test","setups":[` +
		row("jsonwebtoken/jwks-rsa", "jsonwebtoken", "JavaScript", `{"outcome":"rejected","error":"JsonWebTokenError: invalid algorithm","fix":"jose"}`) + "," +
		row("python-jose/jwk-dict", "python-jose", "Python", `{"outcome":"crash","error":"JWKError: Unable to find an algorithm for key","fix":"PyJWT"}`) + "," +
		row("PyJWT/PyJWKClient", "PyJWT", "Python", `{"outcome":"ok"}`) + "," +
		row("fast-jwt/get-jwks", "fast-jwt", "JavaScript", `{"outcome":"crash","error":"TypeError: Cannot read properties of undefined","fix":"jose"}`) + "," +
		row("ruby-jwt/jwks", "ruby-jwt", "Ruby", `{"outcome":"rejected","error":"JWT::IncorrectAlgorithm: Expected a different algorithm","fix":"RS256"}`) +
		`]}`
	m, err := Parse([]byte(doc))
	if err != nil {
		t.Fatal(err)
	}
	return m
}

func ids(s []Suspect) []string {
	var out []string
	for _, x := range s {
		id := x.Setup.ID
		if x.Quoted {
			id += " (quoted)"
		}
		out = append(out, id)
	}
	return out
}

// The diagnosis ranking: a quoted error first, whatever its outcome; then
// the rows whose outcome fits the status class, in table order; never a
// setup that verifies the algorithm.
func TestSuspectsRanking(t *testing.T) {
	m := testMatrix(t)
	tests := []struct {
		name   string
		alg    string
		status int
		said   string
		among  string
		want   string
	}{
		{"5xx: the crash rows", "EdDSA", 500, "Internal Server Error", "", "python-jose/jwk-dict fast-jwt/get-jwks"},
		{"401: the rejected rows", "EdDSA", 401, "Unauthorized", "", "jsonwebtoken/jwks-rsa ruby-jwt/jwks"},
		{"403 is a refusal too", "EdDSA", 403, "", "", "jsonwebtoken/jwks-rsa ruby-jwt/jwks"},
		{"a quoted crash comes first on a 401 (errors widened)", "EdDSA", 401, "Unable to find an algorithm for key: {'alg': 'EdDSA'}", "", "python-jose/jwk-dict (quoted) jsonwebtoken/jwks-rsa ruby-jwt/jwks"},
		{"a quoted rejection first on a 500", "EdDSA", 500, "JsonWebTokenError: INVALID ALGORITHM", "", "jsonwebtoken/jwks-rsa (quoted) python-jose/jwk-dict fast-jwt/get-jwks"},
		{"an algorithm every setup verifies", "ES256", 500, "", "", ""},
		{"an unmeasured algorithm", "ES384", 500, "", "", ""},
		{"a 404 fits no outcome", "EdDSA", 404, "", "", ""},
		{"limited to one library", "EdDSA", 500, "", "fast-jwt", "fast-jwt/get-jwks"},
		{"the library's setups that do not fit the status are not suspects", "EdDSA", 401, "", "python-jose", ""},
		{"a library that verifies", "EdDSA", 500, "", "PyJWT", ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var among []Setup
			if tt.among != "" {
				var err error
				if among, err = m.Select(tt.among); err != nil {
					t.Fatal(err)
				}
			}
			got := strings.Join(ids(m.Suspects(tt.alg, tt.status, tt.said, among)), " ")
			if got != tt.want {
				t.Errorf("suspects %q, want %q", got, tt.want)
			}
		})
	}
}

func TestQuotes(t *testing.T) {
	tests := []struct {
		said, measured string
		want           bool
	}{
		{"Unable to find an algorithm for key: {'kty': 'OKP'}", "JWKError: Unable to find an algorithm for key", true},
		{"unable to find an algorithm for key", "JWKError: Unable to find an algorithm for key: {...}", true},
		{"Invalid audience", "JWKError: Unable to find an algorithm for key", false},
		{"invalid token", "Error: invalid", false}, // too short to identify a library
		{"", "JWKError: Unable to find an algorithm for key", false},
		{"secretOrPublicKey must be an asymmetric key when using EdDSA", "Error: secretOrPublicKey must be an asymmetric key when using EdDSA", true},
	}
	for _, tt := range tests {
		if got := Quotes(tt.said, tt.measured); got != tt.want {
			t.Errorf("Quotes(%q, %q) = %v, want %v", tt.said, tt.measured, got, tt.want)
		}
	}
}

func TestSelect(t *testing.T) {
	m := testMatrix(t)
	if s, err := m.Select("PYTHON-JOSE"); err != nil || len(s) != 1 || s[0].ID != "python-jose/jwk-dict" {
		t.Errorf("library name, any case: %v %v", s, err)
	}
	if s, err := m.Select("fast-jwt/get-jwks"); err != nil || len(s) != 1 {
		t.Errorf("setup id: %v %v", s, err)
	}
	if s, err := m.Select("jwx"); err != nil || len(s) != 0 {
		t.Errorf("a known library the table has no row of: %v %v", s, err)
	}
	_, err := m.Select("nimbus")
	if err == nil || !strings.Contains(err.Error(), "nimbus is not measured: baverify cannot tell what it verifies") {
		t.Errorf("unknown name: %v", err)
	}
	// A typo names the closest measured setups.
	if _, err := m.Select("pyton-jose"); err == nil || !strings.Contains(err.Error(), "the closest measured setups: python-jose/jwk-dict") {
		t.Errorf("a typo: %v", err)
	}
}

// The names a user types resolve to the setups they mean, and a name the
// table does not measure is said to be not measured, with why when the
// data file knows, and the closest measured setups.
func TestFind(t *testing.T) {
	m := Default()
	tests := []struct {
		name, language string
		want           []string // setup ids; nil: not measured
		statement      string   // in Statement(), when not measured
	}{
		{"express", "", []string{"express-jwt/jwks-rsa"}, ""},
		{"Express-JWT", "", []string{"express-jwt/jwks-rsa"}, ""},
		{"nestjs", "", []string{"@nestjs/passport/passport-jwt", "@nestjs/jwt/verifyAsync"}, ""},
		{"@nestjs/jwt", "", []string{"@nestjs/jwt/verifyAsync"}, ""},
		{"nestjs/jwt", "", []string{"@nestjs/jwt/verifyAsync"}, ""},
		{"fastify", "", []string{"@fastify/jwt/get-jwks", "@fastify/jwt/createPublicKey"}, ""},
		{"@fastify/jwt", "", []string{"@fastify/jwt/get-jwks", "@fastify/jwt/createPublicKey"}, ""},
		{"django", "", []string{"djangorestframework-simplejwt/default-claims", "djangorestframework-simplejwt/sub-claims"}, ""},
		{"DRF", "", []string{"djangorestframework-simplejwt/default-claims", "djangorestframework-simplejwt/sub-claims"}, ""},
		{"simplejwt", "python", []string{"djangorestframework-simplejwt/default-claims", "djangorestframework-simplejwt/sub-claims"}, ""},
		{"go-oidc", "", []string{"go-oidc/default-config", "go-oidc/SupportedSigningAlgs"}, ""},
		{"coreos/go-oidc", "", []string{"go-oidc/default-config", "go-oidc/SupportedSigningAlgs"}, ""},
		{"github.com/coreos/go-oidc/v3", "", []string{"go-oidc/default-config", "go-oidc/SupportedSigningAlgs"}, ""},
		{"hono", "", []string{"hono/jwk"}, ""},
		{"jose4", "", []string{"jose/createRemoteJWKSet-v4"}, ""},
		{"jsonwebtoken", "node", []string{"jsonwebtoken/jwks-rsa", "jsonwebtoken/createPublicKey"}, ""},
		{"jsonwebtoken", "", []string{"jsonwebtoken/jwks-rsa", "jsonwebtoken/createPublicKey"}, ""},
		{"jsonwebtoken", "rust", []string{"jsonwebtoken-rs/JwkSet"}, ""},
		{"jsonwebtoken (Rust)", "", []string{"jsonwebtoken-rs/JwkSet"}, ""},
		{"spring-security", "", nil, "spring-security (Java"},
		{"elysia", "", []string{"@elysiajs/jwt/jwks-key"}, ""},
		{"laravel", "", nil, "laravel (PHP (firebase/php-jwt, lcobucci/jwt)) is not measured: Packagist is not reachable"},
		{"fastapi-jwt-whatever", "python", nil, "the closest measured setups: python-jose/jwk-dict"},
		{"expres", "", nil, "the closest measured setups: express-jwt/jwks-rsa"},
	}
	for _, tt := range tests {
		l := m.Find(tt.name, tt.language)
		var got []string
		for _, s := range l.Setups {
			got = append(got, s.ID)
		}
		if !slices.Equal(got, tt.want) {
			t.Errorf("Find(%q, %q) = %v, want %v", tt.name, tt.language, got, tt.want)
		}
		if st := l.Statement(); tt.want == nil && !strings.Contains(st, tt.statement) {
			t.Errorf("Find(%q, %q).Statement() = %q, want it to contain %q", tt.name, tt.language, st, tt.statement)
		}
	}
}

func TestForToken(t *testing.T) {
	m := testMatrix(t)
	rep := m.ForToken("EdDSA", "OKP", "Ed25519")
	if rep.NotMeasured != "" || len(rep.Entries) != 5 {
		t.Fatalf("%+v", rep)
	}
	if e := rep.Entries[1]; e.Library != "python-jose" || e.Verifies || e.Outcome != Crash || e.Fix != "PyJWT" {
		t.Errorf("python-jose entry: %+v", e)
	}
	if e := rep.Entries[2]; !e.Verifies || e.Outcome != OK || e.Error != "" {
		t.Errorf("PyJWT entry: %+v", e)
	}
	if rep := m.ForToken("EdDSA", "", ""); len(rep.Entries) != 5 {
		t.Errorf("unknown key: the algorithm's key is assumed: %+v", rep)
	}
	for _, c := range []struct{ alg, kty, crv, want string }{
		{"ES384", "EC", "P-384", "ES384 is not measured"},
		{"ES256", "EC", "P-384", "ES256 with an EC/P-384 key is not measured"},
		{"Ed25519", "OKP", "Ed25519", "not measured"},
	} {
		rep := m.ForToken(c.alg, c.kty, c.crv)
		if len(rep.Entries) != 0 || !strings.Contains(rep.NotMeasured, c.want) {
			t.Errorf("%s %s/%s: %+v", c.alg, c.kty, c.crv, rep)
		}
	}
}

// A fix that rows share (the algorithm switch) is said once, not once a row.
func TestFixHintSaysEachAlternativeOnce(t *testing.T) {
	rows := []Row{
		{Result: Result{Fix: "PyJWT with PyJWKClient, or keyPairConfig.alg ES256 or RS256"}},
		{Result: Result{Fix: "jose with createRemoteJWKSet, or keyPairConfig.alg ES256 or RS256"}},
		{Result: Result{Fix: "keyPairConfig.alg ES256 or RS256"}},
		{Result: Result{Fix: "jose with createRemoteJWKSet"}},
	}
	got := FixHint(rows)
	want := "PyJWT with PyJWKClient; jose with createRemoteJWKSet; or keyPairConfig.alg ES256 or RS256 (keyPairConfig.alg is"
	if !strings.HasPrefix(got, want) {
		t.Fatalf("FixHint:\n got %s\nwant %s…", got, want)
	}
	if n := strings.Count(got, "keyPairConfig.alg ES256 or RS256"); n != 1 {
		t.Errorf("the shared fix is said %d times: %s", n, got)
	}
	if got := FixHint([]Row{{Result: Result{Fix: "jose with createRemoteJWKSet"}}}); got != "jose with createRemoteJWKSet" {
		t.Errorf("a single fix: %q", got)
	}
}

// A library row says what the frameworks measured over it answer instead,
// so that its own consequence is not read as theirs: jsonwebtoken crashes
// on EdDSA, the frameworks over it answer 401; fast-jwt with get-jwks
// refuses it, the Fastify plugin answers 500.
func TestOverNote(t *testing.T) {
	m := Default()
	for id, want := range map[string]string{
		"jsonwebtoken/jwks-rsa": "measured over it: express-jwt/jwks-rsa (Express) answers 401, passport-jwt/jwks-rsa (Passport) answers 401, koa-jwt/jwks-rsa (Koa) answers 401, @nestjs/passport/passport-jwt (NestJS) answers 401 and @nestjs/jwt/verifyAsync (NestJS) answers 401",
		"fast-jwt/get-jwks":     "measured over it: @fastify/jwt/get-jwks (Fastify) answers 500 and @fastify/jwt/createPublicKey (Fastify) verifies it",
		"PyJWT/PyJWKClient":     "",
	} {
		s, err := m.Select(id)
		if err != nil || len(s) != 1 {
			t.Fatalf("%s: %v", id, err)
		}
		if got := s[0].OverNote("EdDSA"); got != want {
			t.Errorf("%s: %q, want %q", id, got, want)
		}
	}
}
