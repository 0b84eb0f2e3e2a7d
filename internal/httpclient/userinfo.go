package httpclient

import "strings"

// RedactURLPasswords masks the password of every URL in s
// ("https://user:secret@host" becomes "https://user:xxxxx@host"), as
// url.URL.Redacted does for one parsed URL. Error texts quote URLs as the
// user typed them, parseable or not, so this works on the text itself.
func RedactURLPasswords(s string) string {
	if !strings.Contains(s, "://") || !strings.Contains(s, "@") {
		return s
	}
	var b strings.Builder
	rest := s
	for {
		i := strings.Index(rest, "://")
		if i < 0 {
			b.WriteString(rest)
			return b.String()
		}
		start := i + len("://")
		b.WriteString(rest[:start])
		rest = rest[start:]
		// The authority ends where a path, query, fragment, quote or
		// white space begins.
		end := strings.IndexAny(rest, "/?#\"' \t\r\n")
		if end < 0 {
			end = len(rest)
		}
		authority := rest[:end]
		at := strings.LastIndex(authority, "@")
		if colon := strings.Index(authority[:max(at, 0)], ":"); at >= 0 && colon >= 0 {
			b.WriteString(authority[:colon+1])
			b.WriteString("xxxxx")
			b.WriteString(authority[at:])
		} else {
			b.WriteString(authority)
		}
		rest = rest[end:]
	}
}
