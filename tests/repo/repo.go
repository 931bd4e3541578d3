// Package repo locates the repository the tests and tools run from, so charts, profiles and ci/
// files are found from any working directory.
package repo

import (
	"path/filepath"
	"runtime"
)

// Root is the repository root (this file lives at tests/repo/repo.go).
func Root() string {
	_, file, _, _ := runtime.Caller(0)
	return filepath.Clean(filepath.Join(filepath.Dir(file), "..", ".."))
}
