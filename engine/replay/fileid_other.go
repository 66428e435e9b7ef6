//go:build !unix

package replay

import "os"

// fileID has no inode to offer here: rotation is then seen only as a file that shrank (and read from its start).
func fileID(os.FileInfo) (dev, ino uint64) { return 0, 0 }
