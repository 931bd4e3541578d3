// Package golden compares test output with files under testdata/, rewriting them when the tests
// run with -update.
package golden

import (
	"flag"
	"os"
	"path/filepath"
	"testing"

	"github.com/pmezard/go-difflib/difflib"
)

var update = flag.Bool("update", false, "rewrite golden files with the current output")

// AssertE compares got with the golden file at path (rewriting it under -update) and returns a
// unified diff as the error when they differ.
func AssertE(path string, got []byte) error {
	if *update {
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
	return "golden file " + e.path + " is missing (run the test with -update to create it): " + e.err.Error()
}

type diffError struct{ path, diff string }

func (e *diffError) Error() string {
	return "output differs from " + e.path + " (run with -update if the change is intended):\n" + e.diff
}
