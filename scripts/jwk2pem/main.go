// Command jwk2pem writes the public key of a JWKS member as PEM, so that the
// start-up benchmark can give the same key to tools that cannot read a JWKS.
//
//	go run ./scripts/jwk2pem testdata/real/EdDSA/jwks.json > key.pem
package main

import (
	"crypto/x509"
	"encoding/pem"
	"fmt"
	"os"

	"github.com/baverify/baverify/internal/jwks"
)

func main() {
	if len(os.Args) != 2 {
		fmt.Fprintln(os.Stderr, "usage: jwk2pem JWKS-FILE")
		os.Exit(2)
	}
	doc, err := jwks.ReadFile(os.Args[1])
	if err == nil {
		var set *jwks.Set
		if set, err = jwks.Parse(doc.Body); err == nil {
			if len(set.Keys) == 0 || set.Keys[0].Public == nil {
				err = fmt.Errorf("the first key is not usable")
			} else {
				var der []byte
				if der, err = x509.MarshalPKIXPublicKey(set.Keys[0].Public); err == nil {
					err = pem.Encode(os.Stdout, &pem.Block{Type: "PUBLIC KEY", Bytes: der})
				}
			}
		}
	}
	if err != nil {
		fmt.Fprintln(os.Stderr, "jwk2pem:", err)
		os.Exit(1)
	}
}
