package verify

import (
	"errors"
	"strconv"
	"strings"
	"unicode/utf8"
)

// MaxTokenBytes bounds a token. Better Auth puts the whole user object in
// the payload, a base64 avatar included, so tokens can be large; a megabyte
// is far beyond any that a header can carry.
const MaxTokenBytes = 1 << 20

// ErrEmptyToken means the input held no token at all.
var ErrEmptyToken = errors.New("no token given")

// ErrTokenTooLarge means the input is larger than MaxTokenBytes.
var ErrTokenTooLarge = errors.New("the token is larger than 1048576 bytes (1 MiB)")

// Input is a token as pasted: the token, and the framing stripped around
// it.
type Input struct {
	Token string
	// Stripped names what was removed around the token, in the order met:
	// quotes, `the "Authorization:" header name`, `the "Bearer " prefix`.
	// Surrounding whitespace is not named.
	Stripped []string
	// Refused are warnings (WarnHeaderFraming) for framing that a backend
	// refuses when it is sent as pasted: a doubled Bearer, "Bearer:", an
	// Authorization header without Bearer, a cookie pair.
	Refused []Problem
}

// NormalizeInput extracts a token from what people paste: surrounding
// whitespace, quotes, a "Bearer " prefix, or a whole
// "Authorization: Bearer ..." header line.
func NormalizeInput(s string) (string, error) {
	in, err := ReadInput(s)
	return in.Token, err
}

// ReadInput is NormalizeInput that also says what it stripped.
func ReadInput(s string) (Input, error) {
	if len(s) > MaxTokenBytes+4096 {
		return Input{}, ErrTokenTooLarge
	}
	var in Input
	strip := func(what string) { in.Stripped = append(in.Stripped, what) }
	refuse := func(msg, hint string) {
		for _, p := range in.Refused {
			if p.Message == msg {
				return // said once, however often it repeats
			}
		}
		in.Refused = append(in.Refused, Problem{Code: WarnHeaderFraming, Message: msg, Hint: hint})
	}
	const oneBearer = `a backend reads "Authorization: Bearer <token>": one "Bearer ", a space, the token`
	// Invisible characters around the paste (a byte order mark from a
	// file, a zero-width space from a chat) stay with the token, so that
	// Decode names them and where they are; the framing inside them is
	// read all the same.
	lead, s, trail := invisibleEdges(strings.TrimSpace(s))
	header, bearers, cookie := false, 0, false
	for i := 0; i < 4; i++ { // quotes and prefixes can nest: "Bearer x", 'Authorization: "x"'
		before := s
		if t, ok := trimQuotes(s); ok {
			s = t
			strip("quotes")
			if bearers > 0 {
				refuse("the pasted header has quotes around the token after Bearer; a backend reads them as part of the token and refuses it",
					"baverify stripped them to check the token; "+oneBearer+", without quotes")
			}
		}
		if t, ok := trimPrefixFold(s, "authorization:"); ok {
			s, header = strings.TrimSpace(t), true
			strip(`the "Authorization:" header name`)
		}
		if t, ok := trimPrefixFold(s, "cookie:"); ok {
			s = strings.TrimSpace(t)
			strip(`the "Cookie:" header name`)
		}
		switch {
		case hasPrefixFold(s, "bearer:"):
			s, _ = trimPrefixFold(s, "bearer:")
			s = strings.TrimSpace(s)
			strip(`"Bearer:"`)
			refuse(`the pasted header says "Bearer:" with a colon; a backend does not read that as the Bearer scheme and refuses it`,
				"baverify stripped it to check the token; "+oneBearer)
			bearers++
		case hasPrefixFold(s, "bearer ") || hasPrefixFold(s, "bearer\t"):
			rest := s[len("bearer"):]
			s = strings.TrimSpace(rest)
			if gap := rest[:len(rest)-len(strings.TrimLeft(rest, " \t"))]; gap != " " && s != "" {
				what := "a tab"
				if strings.Trim(gap, " ") == "" {
					what = spaces(len(gap))
				} else if strings.Trim(gap, "\t") != "" {
					what = "spaces and tabs"
				}
				refuse("the pasted header has "+what+" after Bearer; a backend splits the header at one space and refuses what it then reads as the token",
					"baverify stripped them to check the token; "+oneBearer)
			}
			if bearers > 0 {
				strip(`a second "Bearer " prefix`)
				refuse(`the pasted header has a doubled Bearer prefix ("Bearer Bearer <token>"); a backend reads "Bearer <token>" as the token and refuses it`,
					"baverify stripped both to check the token; "+oneBearer+" (the code that builds the header adds Bearer to a value that already has it)")
			} else {
				strip(`the "Bearer " prefix`)
			}
			bearers++
		}
		if name, value, ok := cookiePair(s); ok && !cookie {
			cookie = true
			s = value
			strip(`the cookie name "` + name + `="`)
			if rest := strings.IndexByte(s, ';'); rest >= 0 {
				s = strings.TrimSpace(s[:rest])
				strip("what follows the cookie value")
			}
			refuse(`the input is a cookie pair (`+name+`=…), not a token in an Authorization header; a backend that reads "Authorization: Bearer" never sees a cookie`,
				`baverify took the cookie's value to check it; send the JWT as "Authorization: Bearer <token>" (Better Auth's session cookies are for Better Auth itself; get a JWT from GET /api/auth/token)`)
		}
		if strings.EqualFold(s, "bearer") || strings.EqualFold(s, "authorization:") {
			s = ""
		}
		if s == before {
			break
		}
	}
	if header && bearers == 0 && s != "" {
		refuse(`the pasted Authorization header has no Bearer scheme ("Authorization: <token>"); a backend that expects Bearer refuses it`,
			"baverify took the value as the token; "+oneBearer)
	}
	if s == "" && lead == "" && trail == "" {
		return Input{}, ErrEmptyToken
	}
	s = lead + s + trail
	if len(s) > MaxTokenBytes {
		return Input{}, ErrTokenTooLarge
	}
	in.Token = s
	return in, nil
}

// invisibleEdges splits the invisible characters (see invisibleName) off
// both ends of s, with the whitespace next to them.
func invisibleEdges(s string) (lead, rest, trail string) {
	i := 0
	for {
		_, size := invisibleAt(s[i:])
		if size == 0 {
			break
		}
		i += size
	}
	j := len(s)
	for j > i {
		r, size := utf8.DecodeLastRuneInString(s[i:j])
		if invisibleName(r) == "" {
			break
		}
		j -= size
	}
	if i == 0 && j == len(s) {
		return "", s, ""
	}
	return s[:i], strings.TrimSpace(s[i:j]), s[j:]
}

func spaces(n int) string {
	if n == 2 {
		return "two spaces"
	}
	return strconv.Itoa(n) + " spaces"
}

// cookiePair splits "name=value" when name is a cookie name and value is
// not empty. A token never holds "=", and a token never starts a name.
func cookiePair(s string) (name, value string, ok bool) {
	i := strings.IndexByte(s, '=')
	if i <= 0 || i == len(s)-1 || strings.HasPrefix(s, "eyJ") {
		return "", "", false
	}
	name = s[:i]
	for j := 0; j < len(name); j++ {
		c := name[j]
		if !(c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' || c == '_' || c == '-' || c == '.') {
			return "", "", false
		}
	}
	return name, strings.TrimSpace(s[i+1:]), true
}

func trimQuotes(s string) (string, bool) {
	if len(s) >= 2 {
		first, last := s[0], s[len(s)-1]
		if (first == '"' || first == '\'' || first == '`') && first == last {
			return strings.TrimSpace(s[1 : len(s)-1]), true
		}
	}
	return s, false
}

func hasPrefixFold(s, prefix string) bool {
	return len(s) >= len(prefix) && strings.EqualFold(s[:len(prefix)], prefix)
}

func trimPrefixFold(s, prefix string) (string, bool) {
	if hasPrefixFold(s, prefix) {
		return s[len(prefix):], true
	}
	return s, false
}
