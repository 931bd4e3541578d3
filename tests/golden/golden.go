// Package golden compares test output with files under testdata/, rewriting them on request:
// GOLDEN_UPDATE=1 in the environment, or -update when the test binary defines that flag (this
// package defines no flag, so it never clashes with a package that has its own -update).
package golden

import (
	"flag"
	"os"
	"path/filepath"
	"testing"

	"github.com/pmezard/go-difflib/difflib"
)

// Updating reports whether golden files are rewritten instead of compared: GOLDEN_UPDATE is set
// (to anything but "", "0" or "false"), or the test binary has a boolean -update flag that is on.
func Updating() bool {
	if v := os.Getenv("GOLDEN_UPDATE"); v != "" && v != "0" && v != "false" {
		return true
	}
	if f := flag.Lookup("update"); f != nil {
		if g, ok := f.Value.(flag.Getter); ok {
			on, _ := g.Get().(bool)
			return on
		}
	}
	return false
}

// AssertE compares got with the golden file at path (rewriting it when Updating) and returns a
// unified diff as the error when they differ.
func AssertE(path string, got []byte) error {
	if Updating() {
		if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
			return err
		}
		return os.WriteFile(path, got, 0o644)
	}
	want, err := os.ReadFile(path)
	if err != nil {
		return &missingError{path: path, err: err}
	}
	if string(want) == string(got) {
		return nil
	}
	diff, _ := difflib.GetUnifiedDiffString(difflib.UnifiedDiff{
		A: difflib.SplitLines(string(want)), B: difflib.SplitLines(string(got)),
		FromFile: path, ToFile: "rendered", Context: 3,
	})
	return &diffError{path: path, diff: diff}
}

// Assert is AssertE that fails the test.
func Assert(t testing.TB, path string, got []byte) {
	t.Helper()
	if err := AssertE(path, got); err != nil {
		t.Fatal(err)
	}
}

type missingError struct {
	path string
	err  error
}

func (e *missingError) Error() string {
	return "golden file " + e.path + " is missing (run the test with GOLDEN_UPDATE=1 to create it): " + e.err.Error()
}

type diffError struct{ path, diff string }

func (e *diffError) Error() string {
	return "output differs from " + e.path + " (run with GOLDEN_UPDATE=1 if the change is intended):\n" + e.diff
}
