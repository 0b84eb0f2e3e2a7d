package call

import (
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"os"
	"strconv"
	"strings"
)

// MaxRequestBody bounds a body read from a file or stdin (-d @file, @-).
const MaxRequestBody = 16 << 20

// Expectation is --expect-status: exact codes and classes ("2xx").
type Expectation struct {
	codes   []int
	classes []int // 2 for 2xx
}

// ParseExpectation reads a comma-separated list of status codes (401) and
// classes (2xx, 4xx). "" means any 2xx.
func ParseExpectation(s string) (Expectation, error) {
	var e Expectation
	if strings.TrimSpace(s) == "" {
		e.classes = []int{2}
		return e, nil
	}
	for _, part := range strings.Split(s, ",") {
		p := strings.ToLower(strings.TrimSpace(part))
		if len(p) == 3 && strings.HasSuffix(p, "xx") && p[0] >= '1' && p[0] <= '5' {
			e.classes = append(e.classes, int(p[0]-'0'))
			continue
		}
		n, err := strconv.Atoi(p)
		if err != nil || n < 100 || n > 599 {
			return Expectation{}, fmt.Errorf("--expect-status %q: want a status code (401), a class (2xx) or a comma-separated list of them", s)
		}
		e.codes = append(e.codes, n)
	}
	return e, nil
}

// Match reports whether status is expected.
func (e Expectation) Match(status int) bool {
	for _, c := range e.codes {
		if c == status {
			return true
		}
	}
	for _, c := range e.classes {
		if status/100 == c {
			return true
		}
	}
	return false
}

// String is the expectation as written: "2xx", "401,403".
func (e Expectation) String() string {
	var parts []string
	for _, c := range e.classes {
		parts = append(parts, strconv.Itoa(c)+"xx")
	}
	for _, c := range e.codes {
		parts = append(parts, strconv.Itoa(c))
	}
	if len(parts) == 0 {
		return "2xx"
	}
	return strings.Join(parts, ",")
}

// OnlySuccess reports whether the expectation is success only (the default).
func (e Expectation) OnlySuccess() bool {
	for _, c := range e.codes {
		if c/100 != 2 {
			return false
		}
	}
	for _, c := range e.classes {
		if c != 2 {
			return false
		}
	}
	return true
}

// ParseHeader reads a -H value, "Name: value". Its errors never quote the
// value, nor anything before a missing colon: a mistyped -H is usually a
// credential ("X-Api-Key=sk_live_...", "Authorization Bearer eyJ...").
func ParseHeader(s string) (name, value string, err error) {
	name, value, ok := strings.Cut(s, ":")
	name = strings.TrimSpace(name)
	switch {
	case !ok:
		return "", "", errors.New(`no colon: a header is "Name: value" (not shown: it may hold a secret)`)
	case name == "":
		return "", "", errors.New(`no name before the colon: a header is "Name: value"`)
	case !validToken(name):
		return "", "", errors.New("the text before the colon is not a valid header name (letters, digits and !#$%&'*+-.^_`|~; not shown: it may hold a secret)")
	}
	value = strings.TrimSpace(value)
	if strings.ContainsAny(value, "\r\n\x00") {
		return "", "", fmt.Errorf("header %q: the value must not contain CR, LF or NUL", name)
	}
	return name, value, nil
}

// ReadData reads a -d or --json value: a literal string, @file, or @- for
// stdin. The bytes are sent as they are.
func ReadData(spec string, stdin io.Reader) ([]byte, error) {
	if !strings.HasPrefix(spec, "@") {
		return []byte(spec), nil
	}
	name := spec[1:]
	var r io.Reader
	switch name {
	case "":
		return nil, errors.New("@ needs a file name, or - for stdin")
	case "-":
		r = stdin
	default:
		f, err := os.Open(name)
		if err != nil {
			return nil, err
		}
		defer f.Close()
		r = f
	}
	data, err := io.ReadAll(io.LimitReader(r, MaxRequestBody+1))
	if err != nil {
		return nil, err
	}
	if len(data) > MaxRequestBody {
		return nil, fmt.Errorf("%s: more than %d bytes", spec, MaxRequestBody)
	}
	return data, nil
}

// ParseTarget checks the URL to call: http or https, with a host, no
// credentials.
func ParseTarget(raw string) (*url.URL, error) {
	u, err := url.Parse(raw)
	if err != nil {
		return nil, fmt.Errorf("URL %q: %v", raw, err)
	}
	if u.Scheme != "http" && u.Scheme != "https" {
		return nil, fmt.Errorf("URL %q: scheme must be http or https", raw)
	}
	if u.Host == "" {
		return nil, fmt.Errorf("URL %q: no host", raw)
	}
	if u.User != nil {
		return nil, fmt.Errorf("URL: credentials in the URL are not supported; use -H")
	}
	return u, nil
}

// Spec is a request as the flags describe it.
type Spec struct {
	URL     string
	Method  string   // -X; "" means GET, or POST with a body
	Headers []string // -H values, "Name: value"
	Data    string   // -d: a string, @file or @-; "" for none
	JSON    string   // --json: the same, and it must be JSON
}

// Build turns a Spec into a Request (without the token). -d sets
// Content-Type application/x-www-form-urlencoded, --json sets Content-Type
// and Accept to application/json, unless -H sets them; a Host header sets
// the request's Host.
func Build(s Spec, stdin io.Reader) (Request, error) {
	u, err := ParseTarget(s.URL)
	if err != nil {
		return Request{}, err
	}
	req := Request{URL: u.String(), Header: http.Header{}}
	for i, h := range s.Headers {
		name, value, err := ParseHeader(h)
		if err != nil && len(s.Headers) > 1 {
			// Which one, since the header itself is not shown.
			return req, fmt.Errorf("-H #%d: %w", i+1, err)
		}
		if err != nil {
			return req, fmt.Errorf("-H: %w", err)
		}
		if strings.EqualFold(name, "Host") {
			req.Host = value
			continue
		}
		req.Header.Add(name, value)
	}
	switch {
	case s.Data != "" && s.JSON != "":
		return req, errors.New("give the body with -d or --json, not both")
	case s.JSON != "":
		body, err := ReadData(s.JSON, stdin)
		if err != nil {
			return req, fmt.Errorf("--json: %w", err)
		}
		if !json.Valid(body) {
			return req, errors.New("--json: the body is not valid JSON")
		}
		req.Body = body
		setDefault(req.Header, "Content-Type", "application/json")
		setDefault(req.Header, "Accept", "application/json")
	case s.Data != "":
		body, err := ReadData(s.Data, stdin)
		if err != nil {
			return req, fmt.Errorf("-d: %w", err)
		}
		req.Body = body
		setDefault(req.Header, "Content-Type", "application/x-www-form-urlencoded")
	}
	req.Method = strings.TrimSpace(s.Method)
	switch {
	case req.Method != "" && !validToken(req.Method):
		return req, fmt.Errorf("-X %q is not an HTTP method", s.Method)
	case req.Method == "" && req.Body != nil:
		req.Method = http.MethodPost
	case req.Method == "":
		req.Method = http.MethodGet
	}
	return req, nil
}

func setDefault(h http.Header, name, value string) {
	if h.Get(name) == "" {
		h.Set(name, value)
	}
}

// validToken reports whether s is an RFC 9110 token (a method or a header
// name).
func validToken(s string) bool {
	for _, r := range s {
		if r <= ' ' || r >= 0x7f || strings.ContainsRune("\"(),/:;<=>?@[\\]{}", r) {
			return false
		}
	}
	return s != ""
}
