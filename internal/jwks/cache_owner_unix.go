//go:build unix

package jwks

import (
	"errors"
	"fmt"
	"io/fs"
	"os"
	"syscall"
)

// errSymlink: the entry's name is a symbolic link.
var errSymlink = errors.New("a symbolic link")

// openEntry opens an entry without following a symbolic link in its name.
func openEntry(path string) (*os.File, error) {
	f, err := os.OpenFile(path, os.O_RDONLY|syscall.O_NOFOLLOW, 0)
	if errors.Is(err, syscall.ELOOP) {
		return nil, errSymlink
	}
	return f, err
}

// checkPrivate refuses a cache file or directory that another user owns or
// could have written: its keys would be trusted as if fetched.
func checkPrivate(fi fs.FileInfo) error {
	if st, ok := fi.Sys().(*syscall.Stat_t); ok && int(st.Uid) != os.Geteuid() {
		return fmt.Errorf("owned by uid %d, not this user", st.Uid)
	}
	if fi.Mode().Perm()&0o022 != 0 {
		return fmt.Errorf("writable by others (mode %v)", fi.Mode().Perm())
	}
	return nil
}
