package verify

import (
	"errors"
	"strings"
)

// MaxTokenBytes bounds a token. Better Auth puts the whole user object in
// the payload, a base64 avatar included, so tokens can be large; a megabyte
// is far beyond any that a header can carry.
const MaxTokenBytes = 1 << 20

// ErrEmptyToken means the input held no token at all.
var ErrEmptyToken = errors.New("no token given")

// ErrTokenTooLarge means the input is larger than MaxTokenBytes.
var ErrTokenTooLarge = errors.New("the token is larger than 1048576 bytes (1 MiB)")

// NormalizeInput extracts a token from what people paste: surrounding
// whitespace, quotes, a "Bearer " prefix, or a whole
// "Authorization: Bearer ..." header line.
func NormalizeInput(s string) (string, error) {
	if len(s) > MaxTokenBytes+4096 {
		return "", ErrTokenTooLarge
	}
	s = strings.TrimSpace(s)
	for i := 0; i < 3; i++ { // quotes and prefixes can nest: "Bearer x", 'Authorization: "x"'
		before := s
		s = trimQuotes(s)
		s = trimPrefixFold(s, "authorization:")
		s = strings.TrimSpace(s)
		s = trimPrefixFold(s, "bearer ")
		s = strings.TrimSpace(s)
		if strings.EqualFold(s, "bearer") || strings.EqualFold(s, "authorization:") {
			s = ""
		}
		if s == before {
			break
		}
	}
	if s == "" {
		return "", ErrEmptyToken
	}
	if len(s) > MaxTokenBytes {
		return "", ErrTokenTooLarge
	}
	return s, nil
}

func trimQuotes(s string) string {
	if len(s) >= 2 {
		first, last := s[0], s[len(s)-1]
		if (first == '"' || first == '\'' || first == '`') && first == last {
			return strings.TrimSpace(s[1 : len(s)-1])
		}
	}
	return s
}

func trimPrefixFold(s, prefix string) string {
	if len(s) >= len(prefix) && strings.EqualFold(s[:len(prefix)], prefix) {
		return s[len(prefix):]
	}
	return s
}
