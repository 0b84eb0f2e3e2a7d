//go:build !unix

package jwks

import "io/fs"

// checkPrivate: ownership and mode bits are a Unix matter; elsewhere the
// user's cache directory is private by default.
func checkPrivate(fs.FileInfo) error { return nil }
