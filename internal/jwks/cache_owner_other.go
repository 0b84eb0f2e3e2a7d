//go:build !unix

package jwks

import (
	"errors"
	"io/fs"
	"os"
)

// errSymlink: the entry's name is a symbolic link (never reported here).
var errSymlink = errors.New("a symbolic link")

// openEntry opens an entry.
func openEntry(path string) (*os.File, error) { return os.Open(path) }

// checkPrivate: ownership and mode bits are a Unix matter; elsewhere the
// user's cache directory is private by default.
func checkPrivate(fs.FileInfo) error { return nil }
