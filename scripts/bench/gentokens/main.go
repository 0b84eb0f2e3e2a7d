// Command gentokens writes N Better Auth-shaped EdDSA tokens, one per line,
// and the JWKS that verifies them, for scripts/bench.sh. The claims are
// those Better Auth 1.7's jwt plugin puts in a token (the user object, sub,
// iat, exp, iss, aud), with a distinct user per token.
//
//	go run ./scripts/bench/gentokens -n 20000 -out DIR   # DIR/tokens.txt, DIR/jwks.json
package main

import (
	"bufio"
	"crypto/ed25519"
	"crypto/rand"
	"encoding/base64"
	"encoding/json"
	"flag"
	"fmt"
	"os"
	"path/filepath"
)

// Issued is the tokens' iat; bench.sh verifies them at Issued+60.
const Issued = 1795722337

const origin = "http://localhost:3000"

func main() {
	n := flag.Int("n", 20000, "number of tokens")
	out := flag.String("out", ".", "output directory")
	flag.Parse()
	if err := run(*n, *out); err != nil {
		fmt.Fprintln(os.Stderr, "gentokens:", err)
		os.Exit(1)
	}
}

func run(n int, dir string) error {
	pub, priv, err := ed25519.GenerateKey(rand.Reader)
	if err != nil {
		return err
	}
	b64 := base64.RawURLEncoding
	kid := "Nf3dQk1pXw8sVb2LhT6yRzC9mA4eJuG0"
	jwks, _ := json.Marshal(map[string]any{"keys": []any{map[string]string{
		"kty": "OKP", "crv": "Ed25519", "x": b64.EncodeToString(pub), "alg": "EdDSA", "kid": kid}}})
	if err := os.WriteFile(filepath.Join(dir, "jwks.json"), jwks, 0o644); err != nil {
		return err
	}
	f, err := os.Create(filepath.Join(dir, "tokens.txt"))
	if err != nil {
		return err
	}
	defer f.Close()
	w := bufio.NewWriter(f)
	header := b64.EncodeToString([]byte(`{"alg":"EdDSA","kid":"` + kid + `"}`))
	for i := 0; i < n; i++ {
		id := fmt.Sprintf("u%031d", i)
		payload, _ := json.Marshal(map[string]any{
			"iat": Issued, "name": fmt.Sprintf("User %d", i), "email": fmt.Sprintf("user%d@example.com", i),
			"emailVerified": false, "image": nil, "createdAt": "2026-11-26T19:45:00.000Z",
			"updatedAt": "2026-11-26T19:45:00.000Z", "id": id, "sub": id,
			"exp": Issued + 900, "iss": origin, "aud": origin,
		})
		input := header + "." + b64.EncodeToString(payload)
		fmt.Fprintf(w, "%s.%s\n", input, b64.EncodeToString(ed25519.Sign(priv, []byte(input))))
	}
	if err := w.Flush(); err != nil {
		return err
	}
	return f.Close()
}
