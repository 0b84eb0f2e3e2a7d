package verify

import (
	"encoding/json"
	"strings"
	"testing"
	"unicode/utf8"
)

// checkSafeJSON fails unless b is valid JSON and valid UTF-8 with no raw
// C0 control (DEL, C1 and bidi controls are escaped by the renderer's
// writer, render.JSON).
func checkSafeJSON(t *testing.T, b []byte) {
	t.Helper()
	if !utf8.Valid(b) || !json.Valid(b) {
		t.Fatalf("not valid UTF-8 JSON: %q", b)
	}
	for _, r := range string(b) {
		if r < 0x20 {
			t.Fatalf("raw %U in %q", r, b)
		}
	}
}

func TestObjectMarshalJSONReencodes(t *testing.T) {
	obj, err := parseObject([]byte("{\"z\":\"a\x9bb\",\"exp\":1795707986.50,\"a\":{\"k\":[1,\"\\u001b[2J\",null,false]},\"\xff\":true}"))
	if err != nil {
		t.Fatal(err)
	}
	b, err := json.Marshal(obj)
	if err != nil {
		t.Fatal(err)
	}
	checkSafeJSON(t, b)
	want := `{"z":"a` + "\uFFFD" + `b","exp":1795707986.50,"a":{"k":[1,"\u001b[2J",null,false]},"` + "\uFFFD" + `":true}`
	if string(b) != want {
		t.Fatalf("got  %s\nwant %s", b, want)
	}

	// A token that did not decode has no header or claims: null.
	if b, _ := json.Marshal(Object{}); string(b) != "null" {
		t.Fatalf("zero Object: %s", b)
	}
	// Members that are not JSON (a decoder that stopped part way) are
	// written as strings of their bytes, still valid.
	partial := Object{Keys: []string{"a", "b", "missing"}, Members: map[string]json.RawMessage{"a": json.RawMessage("{\"x\":\x1b"), "b": json.RawMessage("1 2")}}
	b, err = json.Marshal(partial)
	if err != nil {
		t.Fatal(err)
	}
	checkSafeJSON(t, b)
	if !strings.HasPrefix(string(b), `{"a":"{\"x\":\u001b","b":"1 2","missing":`) {
		t.Fatalf("partial: %s", b)
	}
}

// FuzzObjectMarshalJSON: whatever a token's payload holds, its JSON output
// is valid UTF-8 JSON without raw control characters, and says the same as
// the payload where the payload was valid UTF-8.
func FuzzObjectMarshalJSON(f *testing.F) {
	for _, s := range []string{`{"a":1}`, "{\"a\":\"\x9b\"}", `{"a":{"b":[1,2,{"c":null}]},"d":"\u2028"}`, `{}`, `{"a":1e400}`,
		`{"exp":253402300800,"nbf":-62167219201,"iat":1e12}`,
		`{"a":` + strings.Repeat("[", 300) + strings.Repeat("]", 300) + `}`,
		`{"a":` + strings.Repeat(`{"b":`, 10001) + "1" + strings.Repeat("}", 10001) + `}`} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		obj, err := parseObject(data)
		if err != nil && strings.Contains(err.Error(), "nested too deep") {
			// Decode refuses such a header or payload (malformed), so no
			// Object ever holds it; encoding/json could not compact it either.
			return
		}
		if err != nil {
			obj = Object{Keys: []string{"raw", "raw"}, Members: map[string]json.RawMessage{"raw": data}}
		}
		b, err := json.Marshal(obj)
		if err != nil {
			t.Fatal(err)
		}
		checkSafeJSON(t, b)
		if obj.Members["raw"] == nil && utf8.Valid(data) {
			var want, got any
			if json.Unmarshal(data, &want) == nil {
				if err := json.Unmarshal(b, &got); err != nil || !jsonEqual(want, got) {
					t.Fatalf("%q re-encoded as %s", data, b)
				}
			}
		}
	})
}

func jsonEqual(a, b any) bool {
	x, _ := json.Marshal(a)
	y, _ := json.Marshal(b)
	return string(x) == string(y)
}
