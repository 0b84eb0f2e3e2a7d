package call

import (
	"slices"
	"strings"
	"testing"

	"github.com/baverify/baverify/internal/compat"
	"github.com/baverify/baverify/internal/verify"
)

// testMatrix is a table with a crash, a refusal and a verifier for EdDSA,
// so that the diagnosis is tested against every kind of row whatever the
// embedded table holds.
func testMatrix(t *testing.T) *compat.Matrix {
	t.Helper()
	row := func(id, lib, lang, eddsa string) string {
		return `{"id":"` + id + `","library":"` + lib + `","language":"` + lang + `","setup":"` + id + ` setup","version":"1.0","results":{"EdDSA":` + eddsa +
			`,"ES256":{"outcome":"ok"},"ES512":{"outcome":"ok"},"RS256":{"outcome":"ok"},"PS256":{"outcome":"ok"}}}`
	}
	m, err := compat.Parse([]byte(`{"schema":1,"measuredWith":"test","setups":[` +
		row("jsonwebtoken/jwks-rsa", "jsonwebtoken", "JavaScript", `{"outcome":"rejected","error":"JsonWebTokenError: invalid algorithm for this key","fix":"jose with createRemoteJWKSet"}`) + "," +
		row("python-jose/jwk-dict", "python-jose", "Python", `{"outcome":"crash","error":"JWKError: Unable to find an algorithm for key","fix":"PyJWT with PyJWKClient, or keyPairConfig.alg RS256"}`) + "," +
		row("PyJWT/PyJWKClient", "PyJWT", "Python", `{"outcome":"ok"}`) + "," +
		row("fast-jwt/get-jwks", "fast-jwt", "JavaScript", `{"outcome":"crash","error":"TypeError: Cannot read properties of undefined","fix":"fast-jwt with a PEM"}`) +
		`]}`))
	if err != nil {
		t.Fatal(err)
	}
	return m
}

// The algorithm diagnosis names the setups that behave exactly as the
// backend did, and with --backend-library only that library.
func TestDiagnoseAlgorithmFromTheTable(t *testing.T) {
	eddsa, rs256 := loadReal(t, "EdDSA"), loadReal(t, "RS256")
	validEd := verifyAt(t, eddsa, eddsa.During(), true)
	validRS := verifyAt(t, rs256, rs256.During(), true)
	m := testMatrix(t)
	joseDetail := `{"detail":"Unable to find an algorithm for key: {'kty': 'OKP'}"}`
	for _, tc := range []struct {
		name     string
		lib      string
		tok      *verify.Result
		status   int
		body     string
		want     []Code
		contains []string // in the alg_unsupported_by_backend finding, or the first finding when there is none
		absent   []string
	}{
		{name: "500: the crash rows, not the refusal", tok: validEd, status: 500, body: "Internal Server Error",
			want:     []Code{CodeErrorValid, CodeAlgUnsupported, CodeBackendKeyFetch, CodeStatusMismatch},
			contains: []string{"likely cause", "python-jose 1.0 (python-jose/jwk-dict setup): raises JWKError", "fast-jwt 1.0", "a backend that does not catch it answers 500", "PyJWT with PyJWKClient", "fast-jwt with a PEM", "--backend-library"},
			absent:   []string{"jsonwebtoken", "PyJWT 1.0"}},
		{name: "401: the refusal rows, one cause among those that fit", tok: validEd, status: 401, body: `{"error":"Unauthorized"}`,
			want:     []Code{CodeRejectedValid, CodeAudienceDiffers, CodeIssuerDiffers, CodeKeyDiffers, CodeAlgUnsupported, CodeClaimRequired, CodeClockSkew, CodeStatusMismatch},
			contains: []string{"possible cause", "jsonwebtoken 1.0", "refuses it: JsonWebTokenError", "a backend that maps its documented error to 401 answers 401"},
			absent:   []string{"python-jose", "fast-jwt"}},
		{name: "401 naming the audience: no algorithm guess", tok: validEd, status: 401, body: `{"detail":"Invalid audience"}`,
			want: []Code{CodeRejectedValid, CodeAudienceDiffers, CodeStatusMismatch}},
		{name: "401 quoting python-jose's crash: identified", tok: validEd, status: 401, body: joseDetail,
			want:     []Code{CodeRejectedValid, CodeAlgUnsupported, CodeStatusMismatch},
			contains: []string{"cannot verify EdDSA: its answer quotes \"Unable to find an algorithm for key\", the error python-jose 1.0 raises"},
			absent:   []string{"jsonwebtoken", "likely"}},
		{name: "backend library that crashes, 500", lib: "python-jose", tok: validEd, status: 500, body: "Internal Server Error",
			want:     []Code{CodeErrorValid, CodeAlgUnsupported, CodeStatusMismatch},
			contains: []string{"likely cause: python-jose cannot verify EdDSA (measured)", "raises JWKError"},
			absent:   []string{"fast-jwt", "--backend-library"}},
		{name: "backend library that crashes, but a 401: first of the causes that fit", lib: "PYTHON-JOSE", tok: validEd, status: 401, body: `{"detail":"Invalid token"}`,
			want:     []Code{CodeRejectedValid, CodeAlgUnsupported, CodeAudienceDiffers, CodeIssuerDiffers, CodeKeyDiffers, CodeClockSkew, CodeStatusMismatch},
			contains: []string{"python-jose cannot verify EdDSA (measured), though it is measured to fail otherwise than this HTTP 401"},
			absent:   []string{"likely", "jsonwebtoken"}},
		{name: "backend library that verifies: the cause lies elsewhere", lib: "PyJWT", tok: validEd, status: 500, body: "Internal Server Error",
			want:     []Code{CodeErrorValid, CodeBackendKeyFetch, CodeStatusMismatch},
			contains: []string{"measured: PyJWT 1.0 (PyJWT/PyJWKClient setup) verifies EdDSA: the algorithm is not the cause"}},
		{name: "backend library that verifies, 401: the algorithm is ruled out", lib: "PyJWT/PyJWKClient", tok: validEd, status: 401, body: `{"detail":"Invalid token"}`,
			want:     []Code{CodeRejectedValid, CodeAudienceDiffers, CodeIssuerDiffers, CodeKeyDiffers, CodeClockSkew, CodeStatusMismatch},
			contains: []string{"alg EdDSA (Better Auth's default): the backend must allow it", "PyJWT 1.0 (PyJWT/PyJWKClient setup) verifies EdDSA"},
			absent:   []string{"python-jose"}},
		{name: "a known library not in the table yet", lib: "jwx", tok: validEd, status: 500, body: "Internal Server Error",
			want:     []Code{CodeErrorValid, CodeBackendKeyFetch, CodeStatusMismatch},
			contains: []string{"jwx is not measured: baverify cannot tell whether it verifies EdDSA"}},
		{name: "a name the table does not know: no usage error, no algorithm claimed", lib: "nimbus", tok: validEd, status: 500, body: "Internal Server Error",
			want:     []Code{CodeErrorValid, CodeBackendKeyFetch, CodeStatusMismatch},
			contains: []string{"nimbus is not measured: baverify cannot tell whether it verifies EdDSA"}},
		{name: "a name the table does not know, 401: it rules nothing out", lib: "nimbus", tok: validEd, status: 401, body: `{"detail":"Invalid token"}`,
			want:     []Code{CodeRejectedValid, CodeAudienceDiffers, CodeIssuerDiffers, CodeKeyDiffers, CodeClaimRequired, CodeClockSkew, CodeStatusMismatch},
			contains: []string{"nimbus is not measured"}},
		{name: "RS256, 500: every setup verifies it", tok: validRS, status: 500, body: "Internal Server Error",
			want: []Code{CodeErrorValid, CodeBackendKeyFetch, CodeStatusMismatch}},
		{name: "RS256, 401: the evidence says every setup verifies it", tok: validRS, status: 401, body: `{"detail":"nope"}`,
			want: []Code{CodeRejectedValid, CodeAudienceDiffers, CodeIssuerDiffers, CodeKeyDiffers, CodeClaimRequired, CodeClockSkew, CodeStatusMismatch}, contains: []string{"alg RS256: the backend must allow it (every measured setup verifies it; 4 setups measured; any other stack is unknown)"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			exp, _ := ParseExpectation("")
			got := Diagnose(Facts{Token: tc.tok, TokenSent: true, Response: response(tc.status, tc.body, nil), Expect: exp,
				Now: eddsa.During(), BaseURL: eddsa.Origin, BackendLibrary: tc.lib, Matrix: m})
			var codes []Code
			for _, f := range got {
				codes = append(codes, f.Code)
			}
			if !slices.Equal(codes, tc.want) {
				t.Fatalf("codes %v, want %v\n%s", codes, tc.want, dump(got))
			}
			text := findingText(got, CodeAlgUnsupported)
			if text == "" {
				text = findingText(got, got[0].Code)
			}
			for _, s := range tc.contains {
				if !strings.Contains(text, s) {
					t.Errorf("does not say %q:\n%s", s, text)
				}
			}
			for _, s := range tc.absent {
				if strings.Contains(text, s) {
					t.Errorf("says %q:\n%s", s, text)
				}
			}
		})
	}
}

// The names a user types reach the framework rows of the embedded table:
// "express" is express-jwt behind Express, and the diagnosis names it so,
// with the status it was measured to answer and its measured fix; a claim
// refusal (simplejwt's default claims) is evidence for a claim, not for the
// algorithm.
func TestDiagnoseFrameworkNames(t *testing.T) {
	eddsa, rs256 := loadReal(t, "EdDSA"), loadReal(t, "RS256")
	validEd := verifyAt(t, eddsa, eddsa.During(), true)
	validRS := verifyAt(t, rs256, rs256.During(), true)
	for _, tc := range []struct {
		lib      string
		tok      *verify.Result
		status   int
		contains []string
		absent   []string
	}{
		{"express", validEd, 401, []string{"likely cause: express-jwt cannot verify EdDSA (measured)", "the framework answers 401 (measured)", "keyPairConfig.alg ES256 or RS256"}, []string{"python-jose"}},
		{"fastify", validEd, 500, []string{"likely cause: @fastify/jwt cannot verify EdDSA (measured)", "the framework answers 500 (measured)", "setup @fastify/jwt/createPublicKey"}, nil},
		{"drf", validRS, 401, []string{"Token has no id", "a claim it requires, not the algorithm", "USER_ID_CLAIM"}, []string{"cannot verify RS256"}},
	} {
		t.Run(tc.lib, func(t *testing.T) {
			exp, _ := ParseExpectation("")
			got := Diagnose(Facts{Token: tc.tok, TokenSent: true, Response: response(tc.status, "", nil), Expect: exp,
				Now: eddsa.During(), BaseURL: eddsa.Origin, BackendLibrary: tc.lib, Matrix: compat.Default()})
			text := dump(got)
			for _, f := range got {
				text += "\nhint: " + f.Hint
			}
			for _, s := range tc.contains {
				if !strings.Contains(text, s) {
					t.Errorf("does not say %q:\n%s", s, text)
				}
			}
			for _, s := range tc.absent {
				if strings.Contains(text, s) {
					t.Errorf("says %q:\n%s", s, text)
				}
			}
		})
	}
}
