package cases

import (
	"bufio"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"strings"
	"sync"
	"time"
)

// Server is a framework's app serving one case on a listener.
type Server interface {
	Serve(ln net.Listener) error
	Close() error
}

// RunHTTP measures a framework: for every case, serve(c, record) builds
// the app the way the framework's docs show, with one route GET /me that
// answers the verified subject; the route is called on 127.0.0.1 with the
// token as a Bearer credential, and the outcome is the status the
// framework answers: 200 ok, 401 rejected, anything else crash. record(err)
// is how the app reports the error it handled (only looked at), which
// becomes the result's error ("HTTP 401: body" when none was).
func RunHTTP(module string, companion Module, serve func(c Case, record func(error)) Server) {
	version := moduleVersion(module)
	with := ""
	if companion.Path != "" {
		with = companion.Name + " " + moduleVersion(companion.Path)
	}
	sc := bufio.NewScanner(os.Stdin)
	sc.Buffer(make([]byte, 64*1024), 1<<20)
	out := json.NewEncoder(os.Stdout)
	for sc.Scan() {
		if len(sc.Bytes()) == 0 {
			continue
		}
		var c Case
		if err := json.Unmarshal(sc.Bytes(), &c); err != nil {
			fmt.Fprintln(os.Stderr, "cases:", err)
			os.Exit(2)
		}
		r := oneHTTP(c, serve)
		r.Version, r.With = version, with
		if err := out.Encode(r); err != nil {
			fmt.Fprintln(os.Stderr, "cases:", err)
			os.Exit(2)
		}
	}
}

func oneHTTP(c Case, serve func(Case, func(error)) Server) result {
	var mu sync.Mutex
	var recorded error
	record := func(err error) {
		mu.Lock()
		defer mu.Unlock()
		if recorded == nil {
			recorded = err
		}
	}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return result{Outcome: "crash", Error: "the harness failed: " + err.Error()}
	}
	srv := serve(c, record)
	go func() { _ = srv.Serve(ln) }()
	defer srv.Close()
	ctx, cancel := context.WithTimeout(context.Background(), 15*time.Second)
	defer cancel()
	req, _ := http.NewRequestWithContext(ctx, http.MethodGet, "http://"+ln.Addr().String()+"/me", nil)
	req.Header.Set("Authorization", "Bearer "+c.Token)
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		return result{Outcome: "crash", Error: "no answer: " + err.Error()}
	}
	defer resp.Body.Close()
	body, _ := io.ReadAll(io.LimitReader(resp.Body, 4096))
	r := result{Outcome: "ok", Status: resp.StatusCode}
	mu.Lock()
	defer mu.Unlock()
	switch {
	case resp.StatusCode == http.StatusOK && !strings.Contains(string(body), `"sub"`):
		r.Outcome, r.Error = "crash", "answered 200 without the claims: "+string(body)
	case resp.StatusCode == http.StatusOK:
	default:
		r.Outcome = "crash"
		if resp.StatusCode == http.StatusUnauthorized {
			r.Outcome = "rejected"
		}
		if recorded != nil {
			r.Error = recorded.Error()
		} else {
			r.Error = fmt.Sprintf("HTTP %d: %.200s", resp.StatusCode, body)
		}
	}
	return r
}

// HTTPServer is a net/http server as a Server.
type HTTPServer struct{ *http.Server }

// Serve serves h.
func (s HTTPServer) Serve(ln net.Listener) error { return s.Server.Serve(ln) }
