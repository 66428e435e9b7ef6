//go:build unix

package replay

import (
	"os"
	"syscall"
)

// fileID is a file's device and inode: what tells a rotated file from the new one that took its name.
func fileID(info os.FileInfo) (dev, ino uint64) {
	if st, ok := info.Sys().(*syscall.Stat_t); ok {
		return uint64(st.Dev), st.Ino
	}
	return 0, 0
}
