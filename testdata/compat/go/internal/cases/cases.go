// Package cases is the loop every Go verifier shares.
//
// stdin: one case a line, {"alg", "jwksUrl", "token", "issuer", "audience"}.
// stdout: one result a line, {"outcome", "error", "version", "with"}:
//
//	ok        the library returned the claims
//	rejected  it returned an error (a Go backend answers 401 on any error;
//	          Go has no exception classes, so the error is the message)
//	crash     it panicked (net/http drops the connection)
//
// version is the library module's, with names the companion module and its
// version ("keyfunc v3.9.2") when the setup has one.
package cases

import (
	"bufio"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"os"
	"runtime/debug"
	"time"
)

// Case is one token to verify.
type Case struct {
	Alg      string `json:"alg"`
	JWKSURL  string `json:"jwksUrl"`
	Token    string `json:"token"`
	Issuer   string `json:"issuer"`
	Audience string `json:"audience"`
}

type result struct {
	Outcome string `json:"outcome"`
	Error   string `json:"error"`
	Version string `json:"version"`
	With    string `json:"with"`
	// Status is what a framework answered (RunHTTP); 0 for a library.
	Status int `json:"status,omitempty"`
}

// Module is a module the verifier links, named for people.
type Module struct {
	Name string // "keyfunc"
	Path string // "github.com/MicahParks/keyfunc/v3"
}

// Run verifies every case of stdin with verify, which returns the token's
// subject. module is the library's module path; companion, when its Path
// is not empty, the module the setup uses beside it.
func Run(module string, companion Module, verify func(ctx context.Context, c Case) (sub string, err error)) {
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
		r := one(c, verify)
		r.Version, r.With = version, with
		if err := out.Encode(r); err != nil {
			fmt.Fprintln(os.Stderr, "cases:", err)
			os.Exit(2)
		}
	}
	if err := sc.Err(); err != nil {
		fmt.Fprintln(os.Stderr, "cases:", err)
		os.Exit(2)
	}
}

func one(c Case, verify func(context.Context, Case) (string, error)) (r result) {
	r = result{Outcome: "ok"}
	defer func() {
		if p := recover(); p != nil {
			r.Outcome, r.Error = "crash", fmt.Sprintf("panic: %v", p)
		}
	}()
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	sub, err := verify(ctx, c)
	switch {
	case err != nil:
		r.Outcome, r.Error = "rejected", err.Error()
	case sub == "":
		r.Outcome, r.Error = "crash", "verified, but the claims have no sub"
	}
	return r
}

// FetchJWKS returns the body of GET url.
func FetchJWKS(ctx context.Context, url string) ([]byte, error) {
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, url, nil)
	if err != nil {
		return nil, err
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		return nil, err
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		return nil, fmt.Errorf("GET %s: %s", url, resp.Status)
	}
	return io.ReadAll(io.LimitReader(resp.Body, 1<<20))
}

func moduleVersion(module string) string {
	if bi, ok := debug.ReadBuildInfo(); ok {
		for _, d := range bi.Deps {
			if d.Path == module {
				return d.Version
			}
		}
	}
	return "unknown"
}
