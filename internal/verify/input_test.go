package verify

import (
	"context"
	"crypto/ed25519"
	"encoding/json"
	"errors"
	"math/big"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"
	"unicode/utf8"
)

func TestNormalizeInput(t *testing.T) {
	const tok = "aaa.bbb.ccc"
	for _, tc := range []struct {
		in, want string
		err      error
	}{
		{tok, tok, nil},
		{"  " + tok + "\n", tok, nil},
		{`"` + tok + `"`, tok, nil},
		{"'" + tok + "'", tok, nil},
		{"Bearer " + tok, tok, nil},
		{"bearer  " + tok, tok, nil},
		{"Authorization: Bearer " + tok, tok, nil},
		{"authorization:bearer " + tok + "\r\n", tok, nil},
		{`"Bearer ` + tok + `"`, tok, nil},
		{"", "", ErrEmptyToken},
		{"  \n", "", ErrEmptyToken},
		{"Bearer ", "", ErrEmptyToken},
		{strings.Repeat("a", MaxTokenBytes+1), "", ErrTokenTooLarge},
	} {
		got, err := NormalizeInput(tc.in)
		if got != tc.want || !errors.Is(err, tc.err) {
			t.Errorf("NormalizeInput(%.40q) = %q, %v; want %q, %v", tc.in, got, err, tc.want, tc.err)
		}
	}
}

func TestNormalizeInputAcceptsOneMebibyte(t *testing.T) {
	big := strings.Repeat("a", MaxTokenBytes)
	if got, err := NormalizeInput(big); err != nil || len(got) != MaxTokenBytes {
		t.Fatalf("len=%d err=%v", len(got), err)
	}
}

func TestNumericDate(t *testing.T) {
	at := time.Unix(1700000000, 500_000_000)
	for _, tc := range []struct {
		raw  string
		cmp  int
		fail bool
	}{
		{"1700000000", -1, false},
		{"1700000000.5", 0, false},
		{"1700000000.500000000000000001", 1, false},
		{"1700000000.499999999999999999", -1, false},
		{"1.7000000005e9", 0, false},
		{"17000000005E-1", 0, false},
		{`"1700000000"`, 0, true},
		{"true", 0, true},
		{"1e999", 0, true},
		{"1e-99999", 0, true},
		{"1e13", 0, true},
		{"-1e13", 0, true},
	} {
		d, err := ParseNumericDate([]byte(tc.raw))
		if (err != nil) != tc.fail {
			t.Errorf("%s: err=%v, want fail=%v", tc.raw, err, tc.fail)
			continue
		}
		if err == nil && d.Cmp(at) != tc.cmp {
			t.Errorf("%s: Cmp = %d, want %d", tc.raw, d.Cmp(at), tc.cmp)
		}
	}
	d, _ := ParseNumericDate([]byte("1700000000.25"))
	if got := d.Time(); !got.Equal(time.Unix(1700000000, 250_000_000)) {
		t.Errorf("Time() = %v", got)
	}
	d, _ = ParseNumericDate([]byte("-1.5"))
	if got := d.Time(); !got.Equal(time.Unix(-2, 500_000_000)) {
		t.Errorf("negative Time() = %v", got)
	}
}

// FuzzNormalizeInput: any input either yields a non-empty token without
// surrounding space, or an error; never a panic.
func FuzzNormalizeInput(f *testing.F) {
	for _, s := range []string{"a.b.c", `"Bearer a.b.c"`, "Authorization: Bearer x", "''", "\"", "bearer",
		"Bearer Bearer a.b.c", "Bearer: a.b.c", "Cookie: better-auth.session_token=a.b; Path=/", "Authorization: 'a.b.c'", "x=", "=x"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		got, err := NormalizeInput(s)
		if err == nil && (got == "" || strings.TrimSpace(got) != got) {
			t.Fatalf("NormalizeInput(%q) = %q", s, got)
		}
		// ReadInput reads the same token and names what it stripped: a
		// refusal always comes with something stripped, and says how to fix it.
		in, err2 := ReadInput(s)
		if in.Token != got || (err == nil) != (err2 == nil) {
			t.Fatalf("ReadInput(%q) = %q, %v; NormalizeInput = %q, %v", s, in.Token, err2, got, err)
		}
		if len(in.Refused) > 0 && len(in.Stripped) == 0 {
			t.Fatalf("ReadInput(%q): refused %v with nothing stripped", s, in.Refused)
		}
		for _, p := range in.Refused {
			if p.Code != WarnHeaderFraming || p.Message == "" || p.Hint == "" {
				t.Fatalf("ReadInput(%q): %+v", s, p)
			}
		}
	})
}

// FuzzDecode: Decode never panics, and what it accepts re-splits into the
// same three segments.
func FuzzDecode(f *testing.F) {
	for _, s := range []string{
		"eyJhbGciOiJFZERTQSJ9.e30.c2ln", "a.b.c.d.e", "..", "e30.e30.e30",
		"eyJhIjoxLCJhIjoyfQ.e30.c2ln", "W10.e30.c2ln",
		"eyJhbGciOiJFZERTQSJ9.e3\n0.c2ln", "eyJhbGciOiJFZERTQSJ9.e30.c2l", "eyJhbGciOiJFZERTQSJ9.eyJhIjoi",
		"eyJhbGciOiJFZERTQSJ9._w.c2ln", "eyJhbGciOiJFZERTQSJ9.e30.c2ln==", "eyJhbGciOiJFZERTQSJ9 .e30.c2ln",
	} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		tok, err := Decode(s)
		if err != nil {
			if tok != nil {
				t.Fatal("token and error")
			}
			var de *DecodeError
			if !errors.As(err, &de) {
				t.Fatalf("not a DecodeError: %v", err)
			}
			if de.Partial != nil && de.Partial.Signature != nil {
				t.Fatal("a partial token with a signature")
			}
			if de.Unwrapped != "" && (foreignByte(de.Unwrapped) >= 0 || len(de.Unwrapped) >= len(s)) {
				t.Fatalf("unwrapped %q of %q", de.Unwrapped, s)
			}
			return
		}
		// What decodes is exactly base64url and two dots, and its JSON is UTF-8.
		if foreignByte(s) >= 0 || strings.Count(s, ".") != 2 {
			t.Fatalf("accepted foreign bytes: %q", s)
		}
		if !utf8.Valid(tok.HeaderJSON) || !utf8.Valid(tok.PayloadJSON) {
			t.Fatalf("accepted non-UTF-8 JSON: %q", s)
		}
		if tok.SigningInput+"."+b64(tok.Signature) != s {
			t.Fatalf("round trip: %q", s)
		}
		if len(tok.Header.Keys) != len(tok.Header.Members) {
			t.Fatal("header keys and members disagree")
		}
	})
}

// FuzzVerify runs the whole pipeline on arbitrary tokens against a real
// key set: no panic, and never valid (nobody but the test holds the key).
func FuzzVerify(f *testing.F) {
	k := keyFor(f, "EdDSA")
	set := setOf(f, k.jwk())
	f.Add(k.signRaw(f, `{"alg":"EdDSA","kid":"kid-EdDSA"}`, `{"exp":1e10}`))
	f.Add(k.signRaw(f, `{"alg":"EdDSA"}`, `{"exp":"x","aud":[1],"nbf":1e308}`))
	f.Add("eyJhbGciOiJub25lIn0.e30.")
	// The JSON writer on extreme NumericDates and deep nesting.
	for _, exp := range []string{"253402300800", "-62167219201", "1e12", "-1e12", "999999999999.999999999", "2.534023008e11", "99999999999.9999999999999999999e-40"} {
		f.Add(k.signRaw(f, `{"alg":"EdDSA","kid":"kid-EdDSA"}`, `{"exp":`+exp+`,"nbf":`+exp+`,"iat":`+exp+`}`))
	}
	f.Add(k.signRaw(f, `{"alg":"EdDSA","kid":"kid-EdDSA","x":`+strings.Repeat("[", 300)+strings.Repeat("]", 300)+`}`, `{"exp":1e10}`))
	f.Add(k.signRaw(f, `{"alg":"EdDSA","kid":"kid-EdDSA"}`, `{"exp":1e10,"x":`+strings.Repeat("[", 10001)+strings.Repeat("]", 10001)+`}`))
	v := &Verifier{Keys: StaticKeys{Keys: &KeySet{Set: set, Source: "fuzz"}}, Now: func() time.Time { return fixedNow }}
	f.Fuzz(func(t *testing.T, s string) {
		r := v.Verify(context.Background(), s)
		if r == nil || len(r.Checks) == 0 {
			t.Fatal("no result")
		}
		// Whatever the token holds, its JSON result is written whole.
		b, err := json.Marshal(r)
		if err != nil {
			t.Fatalf("JSON of %q: %v", s, err)
		}
		checkSafeJSON(t, b)
		if r.Valid {
			// A valid verdict needs a genuine signature by the test key:
			// check it independently of jwx.
			tok, err := Decode(s)
			if err != nil || !ed25519.Verify(k.priv.Public().(ed25519.PublicKey), []byte(tok.SigningInput), tok.Signature) {
				t.Fatalf("valid without a genuine signature: %q", s)
			}
		}
		for _, e := range r.Errors {
			if !utf8.ValidString(string(e.Code)) || e.Message == "" {
				t.Fatalf("bad problem %+v", e)
			}
		}
	})
}

// FuzzNumericDate: parsing is bounded and consistent with itself.
func FuzzNumericDate(f *testing.F) {
	for _, s := range []string{"1", "1.5", "1e3", "-0", "1e-40", "99999999999.999999999", "253402300800", "-62167219201", "1e12", "-1e12", "2.534023008e11", "99999999999.9999999999999999999e-40"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		d, err := ParseNumericDate([]byte(s))
		if err != nil {
			return
		}
		tm := d.Time()
		if d.Cmp(tm) < 0 {
			t.Fatalf("%q: Time() %v is after the value", s, tm)
		}
		// The JSON writer takes every value: RFC 3339 or the exact decimal.
		b, err := json.Marshal(Instant{Time: tm, Date: d})
		if err != nil || !json.Valid(b) {
			t.Fatalf("%q: Instant JSON %s, %v", s, b, err)
		}
		back, ok := new(big.Rat).SetString(d.String())
		if !ok || back.Cmp(d.seconds) != 0 || strings.ContainsAny(d.String(), "eE") {
			t.Fatalf("%q: String() %q is not the exact value in decimal", s, d.String())
		}
	})
}

// The literals that package init must not compute stay in step with what
// they describe.
func TestInitLiterals(t *testing.T) {
	if !strings.Contains(ErrTokenTooLarge.Error(), strconv.Itoa(MaxTokenBytes)) {
		t.Errorf("%q does not name %d", ErrTokenTooLarge, MaxTokenBytes)
	}
	if want := append(DefaultAlgorithms(), "Ed25519"); !slices.Equal(KnownAlgorithms(), want) {
		t.Errorf("known algorithms %v, want the defaults and Ed25519", KnownAlgorithms())
	}
}
