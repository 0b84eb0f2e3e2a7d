package verify

import (
	"bytes"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"strings"
	"unicode/utf8"
)

// Token is a decoded compact JWS. Nothing in it is trusted until Verify
// says so.
type Token struct {
	Raw          string
	HeaderJSON   json.RawMessage // the decoded header, as sent
	PayloadJSON  json.RawMessage // the decoded payload, as sent
	Header       Object
	Claims       Object
	Signature    []byte
	SigningInput string // base64url(header) "." base64url(payload)
}

// Object is a JSON object that keeps the order of its members.
type Object struct {
	Keys    []string
	Members map[string]json.RawMessage
}

// Get returns a member and whether it is present.
func (o Object) Get(name string) (json.RawMessage, bool) {
	v, ok := o.Members[name]
	return v, ok
}

// String returns a member that is a JSON string. ok is false when it is
// absent; err is set when it is present but not a string.
func (o Object) String(name string) (s string, ok bool, err error) {
	raw, ok := o.Members[name]
	if !ok {
		return "", false, nil
	}
	// json.Unmarshal reads null into a string as "": a null iss or kid
	// is not an empty one.
	if err := json.Unmarshal(raw, &s); err != nil || string(bytes.TrimSpace(raw)) == "null" {
		return "", true, fmt.Errorf("%s is %s, not a string", name, jsonKind(raw))
	}
	return s, true, nil
}

// DecodeError is a malformed token; Hint says what the input looks like.
type DecodeError struct {
	Msg  string
	Hint string
	// Partial holds the parts that did decode (nil when none did): a
	// token cut short still shows its header and claims. Its Header or
	// Claims are empty when that part did not decode; it has no signature.
	Partial *Token
	// Unwrapped is the token with its inner whitespace removed, set when
	// whitespace is the only thing wrong with its bytes: Verify checks it
	// to say what the token would be without the line breaks. The verdict
	// stays malformed, since a backend receives the bytes as given.
	Unwrapped string
	// Whitespace names what Unwrapped removed: "line break", "spaces",
	// "whitespace" for a mix.
	Whitespace string
	cause      error
}

func (e *DecodeError) Error() string { return e.Msg }

// Unwrap returns the cause, such as errJSONEndsEarly.
func (e *DecodeError) Unwrap() error { return e.cause }

// errJSONEndsEarly is JSON cut short: a truncated token.
var errJSONEndsEarly = errors.New("the JSON ends early")

// Decode splits and decodes a compact JWS without verifying anything. A
// compact JWS is exactly three segments of base64url characters joined by
// dots (RFC 7515 section 7.1): any other byte in it is refused, since Go's
// base64 decoders would silently skip line breaks that a backend does not.
func Decode(raw string) (*Token, error) {
	if len(raw) > MaxTokenBytes {
		return nil, tooLarge()
	}
	parts := strings.Split(raw, ".")
	switch {
	case len(parts) == 5 && jweHeader(parts[0]):
		return nil, &DecodeError{
			Msg:  "this is a JWE (encrypted token, 5 segments), not a JWS",
			Hint: "Better Auth's jwt plugin issues signed tokens (3 segments); an encrypted token is something else, such as a session cookie cache",
		}
	case len(parts) == 5 && strings.Contains(parts[2], "eyJ"):
		// Five segments whose header has no "enc": two tokens run together
		// ("$T$T") put the second header inside the third segment.
		return nil, &DecodeError{
			Msg:  `a compact JWS has 3 segments separated by dots; this has 5 and its header has no "enc", so it is no JWE either`,
			Hint: "this looks like two tokens pasted together (the third segment runs into another header, eyJ…): pass one token",
		}
	case len(parts) != 3:
		de := &DecodeError{
			Msg:  fmt.Sprintf("a compact JWS has 3 segments separated by dots; this has %d", len(parts)),
			Hint: looksLikeHint(raw),
		}
		if len(parts) == 2 && foreignByte(raw) < 0 {
			t, hdrOK, payOK, err := decodeParts(parts)
			if _, alg := t.Header.Get("alg"); hdrOK && alg {
				de.Hint = "looks truncated: the header is a complete JWS header but the third segment (the signature) is missing; copy the whole token (header.payload.signature)"
				if err != nil {
					de.Hint = "looks truncated: the payload breaks off and the third segment (the signature) is missing; copy the whole token (header.payload.signature)"
				}
			}
			if hdrOK || payOK {
				de.Partial = t
			}
		}
		return nil, de
	}
	if i := foreignByte(raw); i >= 0 {
		return nil, foreignByteError(raw, i)
	}
	t, hdrOK, payOK, err := decodeParts(parts)
	if err != nil {
		var de *DecodeError
		if errors.As(err, &de) && (hdrOK || payOK) {
			de.Partial = t
		}
		return nil, err
	}
	return t, nil
}

func tooLarge() *DecodeError {
	return &DecodeError{Msg: ErrTokenTooLarge.Error(), cause: ErrTokenTooLarge,
		Hint: "baverify reads at most 1 MiB; Better Auth tokens are a few kilobytes, even with an avatar in the payload: is this the token?"}
}

// decodeParts decodes the header, payload and (when there is one) the
// signature, going on past a part that fails so that every part that
// decodes can be shown. err is the first failure, in token order.
func decodeParts(parts []string) (t *Token, hdrOK, payOK bool, err error) {
	t = &Token{Raw: strings.Join(parts, "."), SigningInput: parts[0] + "." + parts[1]}
	keep := func(e error) {
		if err == nil {
			err = e
		}
	}
	if header, e := decodeSegment("header", parts[0]); e != nil {
		keep(e)
	} else if t.Header, e = parseObject(header); e != nil {
		keep(&DecodeError{Msg: "the header is not a JSON object: " + e.Error()})
	} else {
		t.HeaderJSON, hdrOK = header, true
	}
	payload, e := decodeSegment("payload", parts[1])
	switch {
	case e != nil && len(parts) == 2:
		keep(e)
		// The token breaks off in the payload: show the claims of its
		// whole base64 quanta.
		seg := parts[1][:len(parts[1])/4*4]
		if b, e := base64.RawURLEncoding.DecodeString(seg); e == nil && utf8.Valid(b) {
			t.Claims, _ = parseObject(b)
			payOK = len(t.Claims.Keys) > 0
		}
	case e != nil:
		keep(e)
	default:
		if t.Claims, e = parseObject(payload); e != nil {
			de := &DecodeError{Msg: "the payload is not a JSON object: " + e.Error(),
				Hint: "a JWT's payload is a JSON object of claims", cause: e}
			if errors.Is(e, errJSONEndsEarly) {
				de.Hint = "looks truncated: the payload JSON ends early; copy the whole token"
			}
			keep(de)
			// A cut token still shows its claims: keep the ones that decoded.
			payOK = len(t.Claims.Keys) > 0
			t.PayloadJSON = nil
		} else {
			t.PayloadJSON, payOK = payload, true
		}
	}
	if len(parts) < 3 {
		return t, hdrOK, payOK, err
	}
	sig, e := decodeSegment("signature", parts[2])
	if e != nil {
		keep(e)
	} else if err == nil {
		t.Signature = sig
	}
	return t, hdrOK, payOK, err
}

// IsBase64URLByte reports whether c is in the base64url alphabet (RFC 4648
// section 5), padding excluded: the bytes a compact JWS segment is made of.
func IsBase64URLByte(c byte) bool {
	return c >= 'A' && c <= 'Z' || c >= 'a' && c <= 'z' || c >= '0' && c <= '9' || c == '-' || c == '_'
}

// foreignByte returns the offset of the first byte that is neither
// base64url nor a dot, or -1.
func foreignByte(raw string) int {
	for i := 0; i < len(raw); i++ {
		if c := raw[i]; c != '.' && !IsBase64URLByte(c) {
			return i
		}
	}
	return -1
}

func isTokenSpace(c byte) bool { return c == ' ' || c == '\t' || c == '\r' || c == '\n' }

// invisibleName names the characters that a paste carries along unseen
// (from a document, a chat or a file with a byte order mark), "" for any
// other. A backend receives them as given, so they are named like
// whitespace, and removed like it to say what the token would be without.
func invisibleName(r rune) string {
	switch r {
	case '\u200b':
		return "zero-width space"
	case '\u200c':
		return "zero-width non-joiner"
	case '\u200d':
		return "zero-width joiner"
	case '\u2060':
		return "word joiner"
	case '\ufeff':
		return "byte order mark"
	case '\u00a0':
		return "no-break space"
	case '\u00ad':
		return "soft hyphen"
	}
	return ""
}

// invisibleAt returns the name and size of an invisible character at the
// start of s, or "" and 0.
func invisibleAt(s string) (string, int) {
	if s == "" || s[0] < 0x80 {
		return "", 0
	}
	r, size := utf8.DecodeRuneInString(s)
	if name := invisibleName(r); name != "" {
		return name, size
	}
	return "", 0
}

// foreignByteError names the byte at i, where it is, and, when whitespace
// (or invisible characters) is all that is wrong, the token without it.
func foreignByteError(raw string, i int) *DecodeError {
	segment := [...]string{"header", "payload", "signature"}[strings.Count(raw[:i], ".")]
	c := raw[i]
	what, why := describeByte(c), "a compact JWS holds only base64url characters (A-Z a-z 0-9 - _) and the two dots"
	where := "inside the " + segment
	if c >= 0x80 {
		r, size := utf8.DecodeRuneInString(raw[i:])
		switch name, _ := invisibleAt(raw[i:]); {
		case name != "":
			what = fmt.Sprintf("%s (U+%04X)", name, r)
		case r != utf8.RuneError || size > 1:
			what = fmt.Sprintf("character U+%04X", r)
		}
		switch {
		case i == 0:
			where = "before the header"
		case segment == "signature" && onlyInvisible(raw[i:]):
			where = "after the signature"
		}
	}
	switch c {
	case '=':
		why = "JWS uses unpadded base64url"
	case '+', '/':
		why = "JWS uses base64url (- and _), not standard base64 (+ and /)"
	}
	de := &DecodeError{Msg: fmt.Sprintf("%s at byte %d, %s: %s", what, i, where, why)}
	var b strings.Builder
	kinds := map[string]bool{}
	n := 0
	for j := 0; j < len(raw); j++ {
		switch c := raw[j]; {
		case isTokenSpace(c):
			kinds[spaceKind(c)] = true
			if c != '\n' || j == 0 || raw[j-1] != '\r' { // CRLF is one line break
				n++
			}
		case c == '.' || IsBase64URLByte(c):
			b.WriteByte(c)
		default:
			name, size := invisibleAt(raw[j:])
			if name == "" {
				return de // more than whitespace is wrong: no unwrapped form
			}
			kinds[name] = true
			n++
			j += size - 1
		}
	}
	de.Unwrapped = b.String()
	de.Whitespace = "whitespace"
	for k := range kinds {
		if !isSpaceKind(k) {
			de.Whitespace = "invisible characters"
		}
	}
	if len(kinds) == 1 {
		for k := range kinds {
			de.Whitespace = k
		}
		if n > 1 {
			de.Whitespace += "s"
		}
	}
	return de
}

// onlyInvisible reports whether s holds only invisible characters and
// whitespace.
func onlyInvisible(s string) bool {
	for j := 0; j < len(s); {
		if isTokenSpace(s[j]) {
			j++
			continue
		}
		_, size := invisibleAt(s[j:])
		if size == 0 {
			return false
		}
		j += size
	}
	return true
}

func isSpaceKind(k string) bool { return k == "line break" || k == "space" || k == "tab" }

func spaceKind(c byte) string {
	if c == '\r' || c == '\n' {
		return "line break"
	}
	return describeByte(c)
}

func describeByte(c byte) string {
	switch {
	case c == '\n':
		return "line break"
	case c == '\r':
		return "carriage return (line break)"
	case c == ' ':
		return "space"
	case c == '\t':
		return "tab"
	case c == '=':
		return "padding ="
	case c > ' ' && c < 0x7f:
		return fmt.Sprintf("character %q", c)
	}
	return fmt.Sprintf("byte 0x%02x", c)
}

// decodeSegment decodes one segment. Its bytes are base64url characters
// already (Decode checked); the header and payload must be UTF-8 (RFC 7515
// section 5.2, RFC 8259 section 8.1): encoding/json would turn anything
// else into U+FFFD without a word.
func decodeSegment(name, seg string) ([]byte, error) {
	if seg == "" && name == "signature" {
		return nil, &DecodeError{Msg: "the signature is empty: this is an unsigned token",
			Hint: "an unsigned token proves nothing; Better Auth always signs"}
	}
	if i := strings.IndexFunc(seg, func(r rune) bool { return r > 0x7f || !IsBase64URLByte(byte(r)) }); i >= 0 {
		// Only reachable for a segment count error's partial decode.
		return nil, &DecodeError{Msg: fmt.Sprintf("the %s is not base64url: %s at its byte %d", name, describeByte(seg[i]), i)}
	}
	b, err := base64.RawURLEncoding.Strict().DecodeString(seg)
	if err != nil {
		de := &DecodeError{Msg: fmt.Sprintf("the %s is not valid base64url: %v", name, err)}
		switch {
		case len(seg)%4 == 1:
			// Base64url of whole bytes never leaves one character over.
			de.Msg = fmt.Sprintf("the %s ends in the middle of a base64url quantum (%d characters: one more than whole bytes allow)", name, len(seg))
		default:
			de.Msg = fmt.Sprintf("the %s's last character carries bits beyond its last byte (%d characters)", name, len(seg))
		}
		de.Hint = "the " + name + " segment was cut or altered"
		if name == "signature" {
			de.Hint = "looks truncated: the last segment was cut short; copy the whole token"
		}
		return nil, de
	}
	if name != "signature" && !utf8.Valid(b) {
		i := 0
		for i < len(b) {
			r, size := utf8.DecodeRune(b[i:])
			if r == utf8.RuneError && size <= 1 {
				break
			}
			i += size
		}
		return nil, &DecodeError{Msg: fmt.Sprintf("the %s is not UTF-8: byte 0x%02x at byte %d of the decoded %s (RFC 7515 section 5.2 wants UTF-8 JSON)", name, b[i], i, name),
			Hint: "Better Auth writes UTF-8 JSON; a header or payload in another encoding was not written by it, or was altered"}
	}
	return b, nil
}

// parseObject parses a JSON object, keeping member order and refusing
// duplicate names (RFC 7515 section 5.2 allows refusing them, and two
// readers that pick different duplicates is how confusion attacks start).
func parseObject(b []byte) (Object, error) {
	obj := Object{Members: map[string]json.RawMessage{}}
	dec := json.NewDecoder(bytes.NewReader(b))
	dec.UseNumber()
	invalid := func(err error) error {
		if errors.Is(err, io.EOF) || errors.Is(err, io.ErrUnexpectedEOF) {
			return errJSONEndsEarly
		}
		if strings.Contains(err.Error(), "exceeded max depth") {
			return errors.New("invalid JSON: nested too deep (more than 10000 levels of arrays and objects)")
		}
		return errors.New("invalid JSON")
	}
	tok, err := dec.Token()
	if err != nil {
		return obj, invalid(err)
	}
	if d, ok := tok.(json.Delim); !ok || d != '{' {
		return obj, errors.New("it is a JSON " + jsonKind(b))
	}
	for dec.More() {
		tok, err := dec.Token()
		if err != nil {
			return obj, invalid(err)
		}
		name, _ := tok.(string)
		var value json.RawMessage
		if err := dec.Decode(&value); err != nil {
			return obj, invalid(err)
		}
		if _, dup := obj.Members[name]; dup {
			return obj, fmt.Errorf("the member %q appears twice", name)
		}
		obj.Keys = append(obj.Keys, name)
		obj.Members[name] = value
	}
	if _, err := dec.Token(); err != nil {
		return obj, invalid(err)
	}
	if _, err := dec.Token(); err != io.EOF {
		return obj, errors.New("trailing data after the object")
	}
	return obj, nil
}

func jsonKind(raw []byte) string {
	b := bytes.TrimSpace(raw)
	if len(b) == 0 {
		return "empty"
	}
	switch b[0] {
	case '{':
		return "an object"
	case '[':
		return "an array"
	case '"':
		return "a string"
	case 't', 'f':
		return "a boolean"
	case 'n':
		return "null"
	default:
		return "a number"
	}
}

func looksLikeHint(raw string) string {
	switch {
	case strings.Count(raw, ".") == 1:
		return "this looks like a Better Auth session token (value.signature), not a JWT: get a JWT from GET /api/auth/token with the session cookie, or from the set-auth-jwt header of /api/auth/get-session"
	case strings.HasPrefix(raw, "{"):
		return "this is JSON; if it is the body of /api/auth/token, pass its \"token\" value"
	default:
		return "pass the JWT itself (three base64url parts: header.payload.signature)"
	}
}

// jweHeader reports whether a first segment decodes to a JSON header with
// "enc", which only a JWE (RFC 7516) has.
func jweHeader(seg string) bool {
	b, err := base64.RawURLEncoding.Strict().DecodeString(seg)
	if err != nil {
		return false
	}
	var h struct {
		Enc *json.RawMessage `json:"enc"`
	}
	return json.Unmarshal(b, &h) == nil && h.Enc != nil
}
