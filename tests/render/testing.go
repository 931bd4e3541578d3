package render

import (
	"strings"
	"testing"
)

// Render is RenderE that fails the test.
func Render(t testing.TB, dir string, opts Options) *Result {
	t.Helper()
	r, err := RenderE(dir, opts)
	if err != nil {
		t.Fatalf("render %s: %v", dir, err)
	}
	return r
}

// FailsE renders and returns nil when the render fails with an error containing every one of
// want; otherwise an error saying what happened instead.
func FailsE(dir string, opts Options, want ...string) error {
	_, err := RenderE(dir, opts)
	if err == nil {
		return &unexpectedSuccess{want: want}
	}
	for _, w := range want {
		if !strings.Contains(err.Error(), w) {
			return &wrongError{want: w, got: err.Error()}
		}
	}
	return nil
}

// Fails asserts that the render fails with a message containing every one of want (typically
// the values key at fault and what is wrong with it).
func Fails(t testing.TB, dir string, opts Options, want ...string) {
	t.Helper()
	if err := FailsE(dir, opts, want...); err != nil {
		t.Fatal(err)
	}
}

type unexpectedSuccess struct{ want []string }

func (e *unexpectedSuccess) Error() string {
	return "expected the render to fail with " + strings.Join(quoteAll(e.want), " and ") + ", but it succeeded"
}

type wrongError struct{ want, got string }

func (e *wrongError) Error() string {
	return "expected the render error to contain " + quote(e.want) + ", got:\n" + e.got
}

func quote(s string) string { return "\"" + s + "\"" }

func quoteAll(ss []string) []string {
	out := make([]string, len(ss))
	for i, s := range ss {
		out[i] = quote(s)
	}
	return out
}
