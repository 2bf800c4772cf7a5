//go:build !linux

package durable

import "os"

// startWriteback is a no-op where sync_file_range does not exist; the fsync
// at the end of the write does all the work.
func startWriteback(*os.File, int64, int64) {}
