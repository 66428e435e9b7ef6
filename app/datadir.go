package main

import (
	"os"
	"path/filepath"
	"runtime"
)

// defaultDataDir is where Shardlab keeps its database, keys and certificates unless told otherwise:
// $SHARDLAB_DATA, else $XDG_DATA_HOME/shardlab (~/.local/share/shardlab) on Linux and the BSDs, else the
// platform's per-user config directory.
func defaultDataDir() string {
	if d := os.Getenv("SHARDLAB_DATA"); d != "" {
		return d
	}
	if runtime.GOOS != "darwin" && runtime.GOOS != "windows" {
		if d := os.Getenv("XDG_DATA_HOME"); d != "" {
			return filepath.Join(d, "shardlab")
		}
		if home, err := os.UserHomeDir(); err == nil {
			return filepath.Join(home, ".local", "share", "shardlab")
		}
	}
	if d, err := os.UserConfigDir(); err == nil {
		return filepath.Join(d, "Shardlab")
	}
	return "shardlab-data"
}

// databasePath is the engine's file inside a data directory.
func databasePath(dir string) string { return filepath.Join(dir, "shardlab.db") }

// bucketsDir is where the Firehose API's S3 bucket ARNs land: one folder per bucket.
func bucketsDir(dir string) string { return filepath.Join(dir, "s3") }
