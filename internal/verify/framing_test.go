package verify

import (
	"slices"
	"strings"
	"testing"
)

// ReadInput strips what people paste around a token and says what it
// stripped; framing that a backend refuses is named apart.
func TestReadInputFraming(t *testing.T) {
	const tok = "eyJh.eyJz.c2ln"
	for _, tc := range []struct {
		name, in string
		stripped []string
		refused  []string
	}{
		{"bare token", tok, nil, nil},
		{"surrounding whitespace only", "  " + tok + "\n", nil, nil},
		{"Bearer prefix", "Bearer " + tok, []string{`the "Bearer " prefix`}, nil},
		{"lower-case bearer", "bearer " + tok, []string{`the "Bearer " prefix`}, nil},
		{"whole header line", "Authorization: Bearer " + tok, []string{`the "Authorization:" header name`, `the "Bearer " prefix`}, nil},
		{"quotes", `"` + tok + `"`, []string{"quotes"}, nil},
		{"quoted header", `'Authorization: Bearer ` + tok + `'`, []string{"quotes", `the "Authorization:" header name`, `the "Bearer " prefix`}, nil},
		{"doubled Bearer", "Authorization: Bearer Bearer " + tok,
			[]string{`the "Authorization:" header name`, `the "Bearer " prefix`, `a second "Bearer " prefix`}, []string{"doubled Bearer"}},
		{"two spaces after Bearer", "Authorization: Bearer  " + tok, []string{`the "Authorization:" header name`, `the "Bearer " prefix`}, []string{"two spaces after Bearer"}},
		{"a tab after Bearer", "Bearer\t" + tok, []string{`the "Bearer " prefix`}, []string{"a tab after Bearer"}},
		{"three Bearers", "Bearer Bearer Bearer " + tok, []string{`the "Bearer " prefix`, `a second "Bearer " prefix`, `a second "Bearer " prefix`}, []string{"doubled Bearer"}},
		{"Bearer with a colon", "Bearer: " + tok, []string{`"Bearer:"`}, []string{`"Bearer:"`}},
		{"header without a scheme", "Authorization: " + tok, []string{`the "Authorization:" header name`}, []string{"no Bearer scheme"}},
		{"cookie pair", "better-auth.session_token=" + tok, []string{`the cookie name "better-auth.session_token="`}, []string{"cookie"}},
		{"cookie header", "Cookie: better-auth.session_data=" + tok + "; Path=/", []string{`the "Cookie:" header name`, `the cookie name "better-auth.session_data="`, "what follows the cookie value"}, []string{"cookie"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			in, err := ReadInput(tc.in)
			if err != nil {
				t.Fatal(err)
			}
			if in.Token != tok {
				t.Fatalf("token %q", in.Token)
			}
			if !slices.Equal(in.Stripped, tc.stripped) {
				t.Errorf("stripped %q, want %q", in.Stripped, tc.stripped)
			}
			if len(in.Refused) != len(tc.refused) {
				t.Fatalf("refused %+v, want %q", in.Refused, tc.refused)
			}
			for i, want := range tc.refused {
				if !strings.Contains(in.Refused[i].Message, want) || in.Refused[i].Hint == "" || in.Refused[i].Code != WarnHeaderFraming {
					t.Errorf("refused %+v, want %q", in.Refused[i], want)
				}
			}
			// NormalizeInput is the same reading.
			if got, err := NormalizeInput(tc.in); err != nil || got != tok {
				t.Errorf("NormalizeInput = %q, %v", got, err)
			}
		})
	}
}

// The result says what was stripped (notes) and warns about framing a
// backend refuses, without changing the verdict.
func TestNoteFraming(t *testing.T) {
	ed := keyFor(t, "EdDSA")
	tok := ed.sign(t, betterAuthClaims())
	in, err := ReadInput("Authorization: Bearer Bearer " + tok)
	if err != nil {
		t.Fatal(err)
	}
	r := verifyWith(t, setOf(t, ed.jwk()), pinned(), in.Token)
	r.NoteInput(in)
	if !r.Valid || r.Verdict != VerdictValid {
		t.Fatalf("verdict %s %v", r.Verdict, codes(r))
	}
	if len(r.Notes) != 1 || !strings.Contains(r.Notes[0], `stripped the "Authorization:" header name, the "Bearer " prefix and a second "Bearer " prefix`) {
		t.Fatalf("notes %q", r.Notes)
	}
	if !slices.Contains(warningCodes(r), WarnHeaderFraming) {
		t.Fatalf("warnings %v", warningCodes(r))
	}
	clean := verifyWith(t, setOf(t, ed.jwk()), pinned(), tok)
	clean.NoteInput(Input{Token: tok})
	if clean.Notes == nil || len(clean.Notes) != 0 {
		t.Fatalf("notes of a bare token %#v", clean.Notes)
	}
}

// Invisible characters around a pasted header stay with the token, so
// that the verdict names them; the framing inside is still read.
func TestReadInputKeepsInvisibleEdges(t *testing.T) {
	in, err := ReadInput("\ufeffAuthorization: Bearer eyJh.eyJz.c2ln\u200b\n")
	if err != nil || in.Token != "\ufeffeyJh.eyJz.c2ln\u200b" || len(in.Stripped) != 2 {
		t.Fatalf("%+v %v", in, err)
	}
}
