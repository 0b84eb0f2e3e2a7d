package verify

import (
	"bytes"
	"encoding/base64"
	"encoding/json"
	"unicode/utf8"
)

// The fast path decides only the common, valid case. It returns false
// whenever anything is missing, failing or merely unusual, and the caller
// then runs the full pipeline: it must never accept a token the pipeline
// refuses, and it may refuse (hand over) anything. It therefore accepts:
//
//   - exactly three non-empty segments of [A-Za-z0-9_-] that decode as
//     strict unpadded base64url;
//   - a header and a payload that are valid UTF-8 JSON objects without
//     escaped or duplicate member names;
//   - a header of only alg, kid and typ, each a string without escapes,
//     whose kid and alg select a prepared key, with a signature of the
//     exact length that the standard library verifies;
//   - integer exp (in the future), nbf and iat (not in the future); iss,
//     sub and aud as strings (aud also an array of strings) without
//     escapes, matching the policy; every --require claim present.

// maxFastMembers bounds the members the fast path looks at; a larger
// object goes to the pipeline.
const maxFastMembers = 64

type member struct{ name, value []byte }

// scratchState is the fast path's per-worker memory.
type scratchState struct {
	members [maxFastMembers]member
	intern  map[string]string
}

func (b *Batch) fast(raw []byte, sc *Scratch, out *Outcome) bool {
	if len(raw) > MaxTokenBytes {
		return false
	}
	d1, d2 := -1, -1
	for i, c := range raw {
		switch {
		case c == '.':
			switch {
			case d1 < 0:
				d1 = i
			case d2 < 0:
				d2 = i
			default:
				return false
			}
		case !IsBase64URLByte(c):
			return false
		}
	}
	if d2 < 0 || d1 == 0 || d2 == d1+1 || d2 == len(raw)-1 {
		return false
	}
	hSeg, pSeg, sSeg := raw[:d1], raw[d1+1:d2], raw[d2+1:]
	enc := base64.RawURLEncoding.Strict()
	hl, pl, sl := enc.DecodedLen(len(hSeg)), enc.DecodedLen(len(pSeg)), enc.DecodedLen(len(sSeg))
	if cap(sc.buf) < hl+pl+sl {
		sc.buf = make([]byte, hl+pl+sl+256)
	}
	buf := sc.buf[:hl+pl+sl]
	hn, err := enc.Decode(buf[:hl], hSeg)
	if err != nil {
		return false
	}
	pn, err := enc.Decode(buf[hl:hl+pl], pSeg)
	if err != nil {
		return false
	}
	sn, err := enc.Decode(buf[hl+pl:], sSeg)
	if err != nil {
		return false
	}
	header, payload, sig := buf[:hn], buf[hl:hl+pn], buf[hl+pl:hl+pl+sn]
	if sc.st == nil {
		sc.st = &scratchState{}
	}
	st := sc.st

	// Header: alg, kid, typ only.
	hm, ok := objectMembers(header, st.members[:0])
	if !ok {
		return false
	}
	var alg, kid []byte
	for _, m := range hm {
		v, ok := plainString(m.value)
		if !ok {
			return false
		}
		switch string(m.name) {
		case "alg":
			alg = v
		case "kid":
			kid = v
		case "typ":
		default:
			return false
		}
	}
	if len(alg) == 0 || kid == nil {
		return false
	}
	prepared := b.prepared.Load()
	var key *fastKey
	for i, fk := range prepared.byKid[string(kid)] {
		if fk.alg == string(alg) {
			key = &prepared.byKid[string(kid)][i]
			break
		}
	}
	if key == nil || len(sig) != key.sigLen {
		return false
	}

	// Payload: the claims the pipeline evaluates.
	pm, ok := objectMembers(payload, st.members[:0])
	if !ok {
		return false
	}
	var exp, iss, sub, aud []byte
	var hasExp, hasIss, hasSub, hasAud bool
	nowExp := b.now.Add(-b.v.Policy.Leeway).Unix()
	nowNbf := b.now.Add(b.v.Policy.Leeway).Unix()
	for _, m := range pm {
		switch string(m.name) {
		case "exp":
			if !plainInt(m.value) || !intGreater(m.value, nowExp) {
				return false
			}
			exp, hasExp = m.value, true
		case "nbf", "iat":
			if !plainInt(m.value) || intGreater(m.value, nowNbf) {
				return false
			}
		case "iss":
			if iss, hasIss = plainString(m.value); !hasIss {
				return false
			}
		case "sub":
			if sub, hasSub = plainString(m.value); !hasSub {
				return false
			}
		case "aud":
			aud, hasAud = m.value, true
		}
	}
	if !hasExp {
		return false
	}
	if want := b.v.Policy.Issuer; want != "" && (!hasIss || string(iss) != want) {
		return false
	}
	out.Aud, out.AudArray = out.Aud[:0], false
	if hasAud {
		var ok bool
		if out.Aud, out.AudArray, ok = st.audiences(aud, out.Aud); !ok {
			return false
		}
	}
	if want := b.v.Policy.Audiences; len(want) > 0 {
		if !hasAud || !anyIn(out.Aud, want) {
			return false
		}
	}
	for _, name := range b.v.Policy.Require {
		if !hasMember(pm, name) {
			return false
		}
	}
	if !key.verify(raw[:d2], sig) {
		return false
	}
	out.Valid = true
	out.Kid = st.internBytes(kid)
	out.Alg = st.internBytes(alg)
	out.Iss = st.internBytes(iss)
	out.Sub = string(sub)
	out.Exp = string(exp)
	return true
}

// objectMembers returns the top-level members of a JSON object, refusing
// (false) anything the fast path does not take: invalid JSON or UTF-8, not
// an object, escaped or duplicate names, too many members.
func objectMembers(b []byte, ms []member) ([]member, bool) {
	if len(b) < 2 || b[0] != '{' || b[len(b)-1] != '}' || !utf8.Valid(b) || !json.Valid(b) {
		return nil, false
	}
	i := skipSpace(b, 1)
	if b[i] == '}' {
		return ms, true
	}
	for {
		// b is valid JSON: at i is a name string.
		end := bytes.IndexByte(b[i+1:], '"')
		if end < 0 {
			return nil, false
		}
		name := b[i+1 : i+1+end]
		if bytes.IndexByte(name, '\\') >= 0 || len(ms) == maxFastMembers {
			return nil, false
		}
		for _, m := range ms {
			if bytes.Equal(m.name, name) {
				return nil, false
			}
		}
		i = skipSpace(b, i+1+end+1) // the colon
		i = skipSpace(b, i+1)
		vEnd := skipValue(b, i)
		ms = append(ms, member{name: name, value: b[i:vEnd]})
		i = skipSpace(b, vEnd)
		if b[i] == '}' {
			return ms, true
		}
		i = skipSpace(b, i+1) // the comma
	}
}

func skipSpace(b []byte, i int) int {
	for i < len(b) && isJSONSpace(b[i]) {
		i++
	}
	return i
}

// skipValue returns the end of the (valid) JSON value that starts at i.
func skipValue(b []byte, i int) int {
	switch b[i] {
	case '"':
		return skipString(b, i)
	case '{', '[':
		depth := 0
		for j := i; j < len(b); j++ {
			switch b[j] {
			case '"':
				j = skipString(b, j) - 1
			case '{', '[':
				depth++
			case '}', ']':
				depth--
				if depth == 0 {
					return j + 1
				}
			}
		}
		return len(b)
	}
	j := i
	for j < len(b) && b[j] != ',' && b[j] != '}' && b[j] != ']' && !isJSONSpace(b[j]) {
		j++
	}
	return j
}

// skipString returns the index after the closing quote of the string at i.
func skipString(b []byte, i int) int {
	for j := i + 1; j < len(b); j++ {
		switch b[j] {
		case '\\':
			j++
		case '"':
			return j + 1
		}
	}
	return len(b)
}

// plainString returns the content of a JSON string without escapes.
func plainString(v []byte) ([]byte, bool) {
	if len(v) < 2 || v[0] != '"' || v[len(v)-1] != '"' {
		return nil, false
	}
	s := v[1 : len(v)-1]
	if bytes.IndexByte(s, '\\') >= 0 {
		return nil, false
	}
	return s, true
}

// plainInt: 1 to 12 ASCII digits (valid JSON, so no leading zero), well
// inside the NumericDate range.
func plainInt(v []byte) bool {
	if len(v) == 0 || len(v) > 12 {
		return false
	}
	for _, c := range v {
		if c < '0' || c > '9' {
			return false
		}
	}
	return true
}

// intGreater compares a plainInt with n. For an integer date D and a time
// T = s + f (0 <= f < 1), D > T exactly when D > s, so whole seconds
// suffice for both "exp after now" and "nbf after now".
func intGreater(v []byte, n int64) bool {
	var d int64
	for _, c := range v {
		d = d*10 + int64(c-'0')
	}
	return d > n
}

func (st *scratchState) audiences(v []byte, dst []string) ([]string, bool, bool) {
	if s, ok := plainString(v); ok {
		return append(dst, st.internBytes(s)), false, true
	}
	if len(v) < 2 || v[0] != '[' {
		return nil, false, false
	}
	i := skipSpace(v, 1)
	if v[i] == ']' {
		return dst, true, true
	}
	for {
		end := skipValue(v, i)
		s, ok := plainString(v[i:end])
		if !ok {
			return nil, false, false
		}
		dst = append(dst, st.internBytes(s))
		i = skipSpace(v, end)
		if v[i] == ']' {
			return dst, true, true
		}
		i = skipSpace(v, i+1)
	}
}

func anyIn(have, want []string) bool {
	for _, h := range have {
		for _, w := range want {
			if h == w {
				return true
			}
		}
	}
	return false
}

func hasMember(ms []member, name string) bool {
	for _, m := range ms {
		if string(m.name) == name {
			return true
		}
	}
	return false
}

// internBytes returns s as a string, sharing one copy per distinct value
// (kid, alg, iss and aud repeat across a log) up to a bound.
func (st *scratchState) internBytes(b []byte) string {
	if s, ok := st.intern[string(b)]; ok {
		return s
	}
	s := string(b)
	if st.intern == nil {
		st.intern = map[string]string{}
	}
	if len(st.intern) < 1024 && len(s) <= 256 { // bounded: values are token-controlled
		st.intern[s] = s
	}
	return s
}

func isJSONSpace(c byte) bool { return c == ' ' || c == '\t' || c == '\n' || c == '\r' }
