package verify

import (
	"bytes"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"strings"
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
}

func (e *DecodeError) Error() string { return e.Msg }

// Decode splits and decodes a compact JWS without verifying anything.
func Decode(raw string) (*Token, error) {
	if len(raw) > MaxTokenBytes {
		return nil, &DecodeError{Msg: ErrTokenTooLarge.Error()}
	}
	parts := strings.Split(raw, ".")
	switch {
	case len(parts) == 5:
		return nil, &DecodeError{
			Msg:  "this is a JWE (encrypted token, 5 segments), not a JWS",
			Hint: "Better Auth's jwt plugin issues signed tokens (3 segments); an encrypted token is something else, such as a session cookie cache",
		}
	case len(parts) != 3:
		return nil, &DecodeError{
			Msg:  fmt.Sprintf("a compact JWS has 3 segments separated by dots; this has %d", len(parts)),
			Hint: looksLikeHint(raw),
		}
	}
	t := &Token{Raw: raw, SigningInput: parts[0] + "." + parts[1]}
	header, err := decodeSegment("header", parts[0])
	if err != nil {
		return nil, err
	}
	payload, err := decodeSegment("payload", parts[1])
	if err != nil {
		return nil, err
	}
	sig, err := decodeSegment("signature", parts[2])
	if err != nil {
		return nil, err
	}
	if t.Header, err = parseObject(header); err != nil {
		return nil, &DecodeError{Msg: "the header is not a JSON object: " + err.Error()}
	}
	if t.Claims, err = parseObject(payload); err != nil {
		return nil, &DecodeError{Msg: "the payload is not a JSON object: " + err.Error(),
			Hint: "a JWT's payload is a JSON object of claims"}
	}
	t.HeaderJSON, t.PayloadJSON, t.Signature = header, payload, sig
	return t, nil
}

func decodeSegment(name, seg string) ([]byte, error) {
	if seg == "" && name == "signature" {
		return nil, &DecodeError{Msg: "the signature is empty: this is an unsigned token",
			Hint: "an unsigned token proves nothing; Better Auth always signs"}
	}
	if strings.ContainsAny(seg, "=") {
		return nil, &DecodeError{Msg: fmt.Sprintf("the %s has base64 padding (=); JWS uses unpadded base64url", name)}
	}
	if strings.ContainsAny(seg, "+/") {
		return nil, &DecodeError{Msg: fmt.Sprintf("the %s uses standard base64 (+ or /); JWS uses base64url (- and _)", name)}
	}
	b, err := base64.RawURLEncoding.Strict().DecodeString(seg)
	if err != nil {
		return nil, &DecodeError{Msg: fmt.Sprintf("the %s is not valid base64url: %v", name, err)}
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
	tok, err := dec.Token()
	if err != nil {
		return obj, errors.New("invalid JSON")
	}
	if d, ok := tok.(json.Delim); !ok || d != '{' {
		return obj, errors.New("it is a JSON " + jsonKind(b))
	}
	for dec.More() {
		tok, err := dec.Token()
		if err != nil {
			return obj, errors.New("invalid JSON")
		}
		name, _ := tok.(string)
		var value json.RawMessage
		if err := dec.Decode(&value); err != nil {
			return obj, errors.New("invalid JSON")
		}
		if _, dup := obj.Members[name]; dup {
			return obj, fmt.Errorf("the member %q appears twice", name)
		}
		obj.Keys = append(obj.Keys, name)
		obj.Members[name] = value
	}
	if _, err := dec.Token(); err != nil {
		return obj, errors.New("invalid JSON")
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
