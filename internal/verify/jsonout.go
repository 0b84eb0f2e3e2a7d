package verify

import (
	"bytes"
	"encoding/json"
	"errors"
)

// MarshalJSON writes the object for baverify's JSON output: re-encoded from
// its decoded members, in the token's member order, never copied as bytes.
// A token is attacker-controlled; its raw bytes may be invalid UTF-8 (a
// lone 0x9B is an 8-bit CSI to some terminals), and re-encoding makes every
// string valid UTF-8 with its control characters escaped. The zero Object
// (a token that did not decode) is null.
func (o Object) MarshalJSON() ([]byte, error) {
	if o.Members == nil {
		return []byte("null"), nil
	}
	var buf bytes.Buffer
	buf.WriteByte('{')
	for i, name := range o.Keys {
		if i > 0 {
			buf.WriteByte(',')
		}
		writeJSONString(&buf, name)
		buf.WriteByte(':')
		writeJSONValue(&buf, o.Members[name])
	}
	buf.WriteByte('}')
	return buf.Bytes(), nil
}

// writeJSONValue re-encodes one JSON value. Whatever it is given, it writes
// valid JSON: a value that does not parse (which a decoded token never
// holds) is written as a string of its bytes.
func writeJSONValue(buf *bytes.Buffer, raw json.RawMessage) {
	var out bytes.Buffer
	dec := json.NewDecoder(bytes.NewReader(raw))
	dec.UseNumber()
	err := reencode(&out, dec)
	if err == nil {
		if _, eof := dec.Token(); eof == nil {
			err = errors.New("trailing data")
		}
	}
	if err != nil {
		writeJSONString(buf, string(raw))
		return
	}
	buf.Write(out.Bytes())
}

// reencode writes the next value of dec, members in their order.
func reencode(buf *bytes.Buffer, dec *json.Decoder) error {
	tok, err := dec.Token()
	if err != nil {
		return err
	}
	switch v := tok.(type) {
	case json.Delim:
		open, end := byte(v), byte('}')
		if v == '[' {
			end = ']'
		} else if v != '{' {
			return errors.New("unexpected delimiter")
		}
		buf.WriteByte(open)
		for i := 0; dec.More(); i++ {
			if i > 0 {
				buf.WriteByte(',')
			}
			if open == '{' {
				name, err := dec.Token()
				if err != nil {
					return err
				}
				s, ok := name.(string)
				if !ok {
					return errors.New("a member name is not a string")
				}
				writeJSONString(buf, s)
				buf.WriteByte(':')
			}
			if err := reencode(buf, dec); err != nil {
				return err
			}
		}
		if _, err := dec.Token(); err != nil {
			return err
		}
		buf.WriteByte(end)
	case string:
		writeJSONString(buf, v)
	case json.Number:
		// The decoder's scanner has checked it is a JSON number; its text
		// is kept, so 1795707986.5 stays exactly that.
		buf.WriteString(v.String())
	case bool:
		if v {
			buf.WriteString("true")
		} else {
			buf.WriteString("false")
		}
	case nil:
		buf.WriteString("null")
	}
	return nil
}

// writeJSONString writes s as a JSON string: encoding/json turns invalid
// UTF-8 into U+FFFD and escapes C0 controls, U+2028 and U+2029 (the
// renderer's JSON writer escapes C1 and bidi controls on top).
func writeJSONString(buf *bytes.Buffer, s string) {
	var out bytes.Buffer
	enc := json.NewEncoder(&out)
	enc.SetEscapeHTML(false)
	_ = enc.Encode(s) // a string always encodes
	buf.Write(bytes.TrimSuffix(out.Bytes(), []byte("\n")))
}
