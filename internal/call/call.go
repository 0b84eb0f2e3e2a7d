// Package call sends one request to a protected API with a Better Auth JWT,
// collects what came back, and diagnoses the answer against the local
// verification of the same token (internal/verify). It never prints: it
// returns a Report for the renderers.
package call

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"os"
	"slices"
	"sort"
	"strings"
	"sync"
	"time"
	"unicode/utf8"

	"github.com/baverify/baverify/internal/httpclient"
	"github.com/baverify/baverify/internal/verify"
)

// MaxBody bounds the response body baverify reads; the rest is dropped and
// the report says the body was truncated.
const MaxBody = 1 << 20

// Request is what baverify sends.
type Request struct {
	Method string
	URL    string
	Host   string      // a -H Host value, sent as the Host header; "" for the URL's
	Header http.Header // -H headers, and Content-Type for --json and -d
	Body   []byte      // nil: no body
	// Token is sent as "Authorization: Bearer <token>"; "" sends none.
	Token string
}

// Options are how the request is sent and judged.
type Options struct {
	// Client is a client from httpclient.New whose OnRedirect reports to
	// Redirects; it drops Authorization on any change of origin.
	Client    *http.Client
	Redirects *RedirectLog
	Now       func() time.Time
	// Leeway is the clock skew tolerated by the token check; a clock
	// difference beyond max(Leeway, 5s) is reported.
	Leeway time.Duration
	// LocalClockMoved: the token was checked at another time (--now); the
	// backend's answer is judged at the backend's time all the same.
	LocalClockMoved bool
	Expect          Expectation
	// BaseURL is the Better Auth base URL, when known, for evidence.
	BaseURL   string
	ShowToken bool
	UserAgent string
	// MaxBody bounds the body read; 0 means MaxBody.
	MaxBody int64
	// BackendLibrary is the library the backend verifies with
	// (--backend-library), for the diagnosis; "" when not known.
	BackendLibrary string
}

// Report is everything `baverify call` learnt. It is the JSON output.
type Report struct {
	Request  RequestInfo   `json:"request"`
	Response *ResponseInfo `json:"response"`
	// Token is the local verification of the token sent, or null when no
	// token was sent.
	Token          *verify.Result `json:"token"`
	ExpectedStatus string         `json:"expectedStatus"`
	Diagnosis      []Finding      `json:"diagnosis"`
	OK             bool           `json:"ok"`
	// WrongProtocol is set when the backend answered in the other
	// protocol than the URL's scheme (Unreachable is set too).
	WrongProtocol *httpclient.WrongProtocol `json:"-"`
	// Error is set when no answer came (Unreachable).
	Error string `json:"error,omitempty"`

	// Unreachable: the request got no HTTP answer (exit code 3).
	Unreachable bool `json:"-"`
	// Incomplete: the answer's body could not be read to the end, so
	// baverify could not check it (exit code 3).
	Incomplete bool `json:"-"`
	// StatusMatched: the status is the expected one.
	StatusMatched bool `json:"-"`
	// Now is the local time of the answer (or of the failure).
	Now time.Time `json:"-"`
}

// RequestInfo is the request as sent, credentials redacted.
type RequestInfo struct {
	Method    string              `json:"method"`
	URL       string              `json:"url"`
	Headers   map[string][]string `json:"headers"`
	BodyBytes int                 `json:"bodyBytes"`
}

// ResponseInfo are the facts of the answer.
type ResponseInfo struct {
	Status     int    `json:"status"`
	StatusText string `json:"statusText"`
	// URL is the URL that answered, after redirects.
	URL       string              `json:"url"`
	Headers   map[string][]string `json:"headers"`
	Body      Body                `json:"body"`
	BodyBytes int                 `json:"bodyBytes"`
	Truncated bool                `json:"truncated"`
	// BodyError is set when reading the body failed part way.
	BodyError string     `json:"bodyError,omitempty"`
	LatencyMs int64      `json:"latencyMs"`
	Redirects []Redirect `json:"redirects"`

	// Date is the parsed Date header, when the answer had a valid one.
	Date *time.Time `json:"-"`
	// RedirectLimit: the answer is a redirect that was not followed
	// because MaxRedirects were followed already.
	RedirectLimit bool `json:"-"`
}

// Body is a response body: it marshals as the JSON value when the body is
// complete, valid JSON, else as a string.
type Body struct {
	Raw []byte
	// JSON: the body is complete and valid JSON.
	JSON bool
}

// MarshalJSON writes the body as a JSON value or a string.
func (b Body) MarshalJSON() ([]byte, error) {
	if b.JSON {
		var buf bytes.Buffer
		if err := json.Compact(&buf, b.Raw); err == nil {
			return buf.Bytes(), nil
		}
	}
	return json.Marshal(string(b.Raw))
}

// Redirect is one redirect that was followed.
type Redirect struct {
	From string `json:"from"`
	To   string `json:"to"`
	// AuthorizationDropped: the origin changed, and the Authorization
	// header (the token) was not sent to To.
	AuthorizationDropped bool `json:"authorizationDropped"`
	// DroppedHeaders are the credential headers (the ones redacted in the
	// output: Authorization, Cookie, X-Api-Key, ...) dropped by the redirect
	// that left the request's origin, listed on that hop only (no later hop
	// gets them either); empty on every other hop.
	DroppedHeaders []string `json:"droppedHeaders"`
}

// CrossOrigin says whether this hop changed scheme, host or port: no
// credential header travels with it, whatever was dropped (a request
// without a token has none to drop, and what answers there saw none).
func (r Redirect) CrossOrigin() bool {
	from, err1 := url.Parse(r.From)
	to, err2 := url.Parse(r.To)
	return err1 != nil || err2 != nil || !httpclient.SameOrigin(from, to)
}

// SameRoute says whether two URLs name the same route: the same origin and
// path, but for a trailing slash (the redirect frameworks make from /x to
// /x/). The query is not compared. A redirect to another route (a login
// page) ends where the request's answer is not the route's own.
func SameRoute(a, b string) bool {
	ua, err1 := url.Parse(a)
	ub, err2 := url.Parse(b)
	if err1 != nil || err2 != nil || !httpclient.SameOrigin(ua, ub) {
		return false
	}
	return strings.TrimSuffix(ua.Path, "/") == strings.TrimSuffix(ub.Path, "/")
}

// RedirectLog collects redirects; its Record method is the OnRedirect of
// httpclient.Options. Give each call a client of its own so that only its
// redirects are recorded.
type RedirectLog struct {
	mu   sync.Mutex
	list []Redirect
}

// Record notes one redirect and the credential headers it dropped.
func (l *RedirectLog) Record(from, to *url.URL, dropped []string) {
	l.mu.Lock()
	defer l.mu.Unlock()
	l.list = append(l.list, Redirect{From: from.Redacted(), To: to.Redacted(),
		AuthorizationDropped: slices.Contains(dropped, "Authorization"), DroppedHeaders: append([]string{}, dropped...)})
}

// List returns the redirects recorded so far.
func (l *RedirectLog) List() []Redirect {
	if l == nil {
		return []Redirect{}
	}
	l.mu.Lock()
	defer l.mu.Unlock()
	return append([]Redirect{}, l.list...)
}

// Do sends the request, reads the answer and diagnoses it against tok, the
// local verification of req.Token (nil when no token is sent). It always
// returns a report; Report.Unreachable says the backend did not answer.
func Do(ctx context.Context, opts Options, req Request, tok *verify.Result) *Report {
	now := opts.Now
	if now == nil {
		now = time.Now
	}
	rep := &Report{
		Request:        requestInfo(req, opts),
		Token:          tok,
		ExpectedStatus: opts.Expect.String(),
		Diagnosis:      []Finding{},
	}
	resp, err := send(ctx, opts, req, now)
	rep.Now = now()
	if err != nil {
		rep.Unreachable = true
		rep.Error = err.Error()
		var wp *httpclient.WrongProtocol
		if errors.As(err, &wp) {
			// The backend did answer, in the other protocol.
			rep.WrongProtocol = wp
			rep.Diagnosis = append(rep.Diagnosis, Finding{Code: CodeUnreachable, Severity: SeverityError,
				Message: wp.Error(), Hint: wp.Hint()})
			return rep
		}
		rep.Diagnosis = append(rep.Diagnosis, Finding{Code: CodeUnreachable, Severity: SeverityError,
			Message: "no answer from the backend: " + err.Error(),
			Hint:    "check the URL, that the backend is up, and the network path to it; --timeout raises the time limit"})
		return rep
	}
	rep.Response = resp
	if resp.BodyError != "" {
		// A body cut short (a timeout after the headers, a reset, a
		// trickle) may hide what decides the diagnosis: no verdict on it.
		rep.Incomplete = true
		rep.Diagnosis = append(rep.Diagnosis, Finding{Code: CodeResponseIncomplete, Severity: SeverityError,
			Message: fmt.Sprintf("the backend answered HTTP %d, but its body could not be read to the end (%s, after %d bytes): baverify could not check the answer",
				resp.Status, resp.BodyError, resp.BodyBytes),
			Hint: "run again; a backend or proxy that stalls or resets mid-body is the problem to look at (--timeout raises the time limit)"})
		return rep
	}
	rep.StatusMatched = opts.Expect.Match(resp.Status)
	rep.Diagnosis = Diagnose(Facts{
		Token: tok, TokenSent: req.Token != "", OwnAuthorization: req.Token == "" && req.Header.Get("Authorization") != "",
		Response: resp, Expect: opts.Expect,
		Now: rep.Now, LocalClockMoved: opts.LocalClockMoved, Leeway: opts.Leeway, BaseURL: opts.BaseURL,
		BackendLibrary: opts.BackendLibrary,
	})
	rep.OK = rep.StatusMatched
	for _, f := range rep.Diagnosis {
		if f.Severity == SeverityError {
			rep.OK = false
		}
	}
	return rep
}

func send(ctx context.Context, opts Options, req Request, now func() time.Time) (*ResponseInfo, error) {
	if opts.Client == nil {
		return nil, errors.New("no HTTP client")
	}
	hr, err := buildRequest(ctx, req, opts.UserAgent)
	if err != nil {
		return nil, err
	}
	start := now()
	resp, err := opts.Client.Do(hr)
	redirectLimit := false
	if err != nil {
		if ctx.Err() != nil {
			return nil, ctx.Err()
		}
		// net/http returns the last answer (a redirect, body closed) when
		// the redirect limit stops it: the backend answered, with redirects.
		if resp == nil || len(opts.Redirects.List()) < httpclient.MaxRedirects {
			return nil, httpclient.Describe(err)
		}
		redirectLimit = true
	}
	defer resp.Body.Close()
	limit := opts.MaxBody
	if limit <= 0 {
		limit = MaxBody
	}
	var data []byte
	var rerr error
	if !redirectLimit {
		data, rerr = httpclient.ReadBody(resp.Body, limit)
	}
	end := now()
	info := &ResponseInfo{
		Status:     resp.StatusCode,
		StatusText: statusText(resp),
		URL:        resp.Request.URL.String(),
		Headers:    headerMap(resp.Header),
		Body:       Body{Raw: data},
		BodyBytes:  len(data),
		LatencyMs:  end.Sub(start).Milliseconds(),
		Redirects:  opts.Redirects.List(),

		RedirectLimit: redirectLimit,
	}
	switch {
	case errors.Is(rerr, httpclient.ErrTooLarge):
		info.Truncated = true
	case rerr != nil:
		if ctx.Err() != nil {
			return nil, ctx.Err()
		}
		info.Truncated = true
		info.BodyError = httpclient.Describe(rerr).Error()
		if errors.Is(rerr, context.DeadlineExceeded) || errors.Is(rerr, os.ErrDeadlineExceeded) {
			info.BodyError = "timed out while reading the body (--timeout bounds the whole request)"
		}
	}
	info.Body.JSON = !info.Truncated && len(bytes.TrimSpace(data)) > 0 && utf8.Valid(data) && json.Valid(data)
	if d := resp.Header.Get("Date"); d != "" {
		if t, err := http.ParseTime(d); err == nil {
			info.Date = &t
		}
	}
	return info, nil
}

func buildRequest(ctx context.Context, req Request, ua string) (*http.Request, error) {
	var body io.Reader // a nil interface unless there is a body
	if req.Body != nil {
		body = bytes.NewReader(req.Body)
	}
	hr, err := http.NewRequestWithContext(ctx, req.Method, req.URL, body)
	if err != nil {
		return nil, err
	}
	hr.Header = outgoingHeader(req, ua)
	if req.Host != "" {
		hr.Host = req.Host
	}
	return hr, nil
}

// outgoingHeader is the header baverify sends, before redaction.
func outgoingHeader(req Request, ua string) http.Header {
	h := req.Header.Clone()
	if h == nil {
		h = http.Header{}
	}
	if req.Token != "" {
		h.Set("Authorization", "Bearer "+req.Token)
	}
	if h.Get("Accept") == "" {
		h.Set("Accept", "*/*")
	}
	if h.Get("User-Agent") == "" && ua != "" {
		h.Set("User-Agent", ua)
	}
	return h
}

func requestInfo(req Request, opts Options) RequestInfo {
	h := outgoingHeader(req, opts.UserAgent)
	if req.Host != "" {
		h.Set("Host", req.Host)
	}
	if !opts.ShowToken {
		for name, vals := range h {
			if httpclient.CredentialHeader(name) {
				for i, v := range vals {
					vals[i] = RedactHeaderValue(name, v)
				}
			}
		}
	}
	return RequestInfo{Method: req.Method, URL: req.URL, Headers: headerMap(h), BodyBytes: len(req.Body)}
}

// Redact hides a secret. A JWT keeps its first 8 characters: every JWT
// starts with "eyJhbGci" (base64url of `{"alg`), so they give nothing away
// and show that a JWT was sent. Of anything else nothing is shown: a prefix
// of an API key or of base64 "user:password" is a part of the secret.
func Redact(s string) string {
	const keep = 8
	if strings.HasPrefix(s, "eyJ") && len(s) > keep {
		return s[:keep] + "…"
	}
	return "…"
}

// RedactHeaderValue redacts a credential header value. An auth scheme
// stays ("Bearer eyJhbGci…", "Basic …"); of cookies, only the names.
func RedactHeaderValue(name, v string) string {
	if http.CanonicalHeaderKey(name) == "Cookie" {
		var names []string
		for _, part := range strings.Split(v, ";") {
			if n, _, _ := strings.Cut(strings.TrimSpace(part), "="); n != "" {
				names = append(names, n+"=…")
			}
		}
		return strings.Join(names, "; ")
	}
	if scheme, cred, ok := strings.Cut(v, " "); ok && scheme != "" && !strings.ContainsAny(scheme, "=;") {
		return scheme + " " + Redact(strings.TrimSpace(cred))
	}
	return Redact(v)
}

func headerMap(h http.Header) map[string][]string {
	m := make(map[string][]string, len(h))
	for k, v := range h {
		m[http.CanonicalHeaderKey(k)] = append([]string(nil), v...)
	}
	return m
}

// HeaderNames returns the names of a header map, sorted.
func HeaderNames(m map[string][]string) []string {
	names := make([]string, 0, len(m))
	for k := range m {
		names = append(names, k)
	}
	sort.Strings(names)
	return names
}

func statusText(resp *http.Response) string {
	if _, text, ok := strings.Cut(resp.Status, " "); ok && text != "" {
		return text
	}
	return http.StatusText(resp.StatusCode)
}
