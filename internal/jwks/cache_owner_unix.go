//go:build unix

package jwks

import (
	"fmt"
	"io/fs"
	"os"
	"syscall"
)

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
