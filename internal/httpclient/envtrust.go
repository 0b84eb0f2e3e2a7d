package httpclient

import (
	"os"
	"path/filepath"
	"slices"
	"strings"
)

// EnvTrust describes the trust roots that SSL_CERT_FILE and SSL_CERT_DIR
// give Go's TLS on Unix (crypto/x509 reads them instead of the system
// files): the variables' values and the contents of the files they name,
// as bytes to hash, or nil when neither is set. The JWKS cache is keyed by
// it, so that keys fetched while trusting an environment CA are never used
// by a run that does not trust it. getenv is the run's environment.
func EnvTrust(getenv func(string) string) []byte {
	file, dirs := getenv("SSL_CERT_FILE"), getenv("SSL_CERT_DIR")
	if file == "" && dirs == "" {
		return nil
	}
	var b strings.Builder
	if file != "" {
		b.WriteString("SSL_CERT_FILE=" + file + "\n")
		b.WriteString(fileDigest(file))
	}
	if dirs != "" {
		b.WriteString("SSL_CERT_DIR=" + dirs + "\n")
		for _, dir := range strings.Split(dirs, ":") {
			entries, err := os.ReadDir(dir)
			if err != nil {
				b.WriteString(dir + ": unreadable\n")
				continue
			}
			names := make([]string, 0, len(entries))
			for _, e := range entries {
				names = append(names, e.Name())
			}
			slices.Sort(names)
			for _, name := range names {
				b.WriteString(name + "\n")
				b.WriteString(fileDigest(filepath.Join(dir, name)))
			}
		}
	}
	return []byte(b.String())
}

// fileDigest is a file's contents (certificates are public) or a marker
// when it cannot be read, followed by a separator.
func fileDigest(path string) string {
	data, err := os.ReadFile(path)
	if err != nil {
		return "unreadable\n"
	}
	return string(data) + "\n--\n"
}
