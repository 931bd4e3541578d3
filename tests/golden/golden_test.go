package golden

import (
	"flag"
	"os"
	"path/filepath"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// A package with its own -update flag (as many have) imports golden without a "flag redefined"
// panic: golden registers no flag, it reads this one.
var update = flag.Bool("update", false, "this package's own flag")

func TestAssertComparesAndExplains(t *testing.T) {
	path := filepath.Join(t.TempDir(), "out.yaml")
	err := AssertE(path, []byte("a: 1\n"))
	require.Error(t, err)
	assert.Contains(t, err.Error(), "is missing (run the test with GOLDEN_UPDATE=1")

	require.NoError(t, os.WriteFile(path, []byte("a: 1\nb: 2\n"), 0o644))
	assert.NoError(t, AssertE(path, []byte("a: 1\nb: 2\n")))
	err = AssertE(path, []byte("a: 1\nb: 3\n"))
	require.Error(t, err)
	assert.Contains(t, err.Error(), "-b: 2")
	assert.Contains(t, err.Error(), "+b: 3")
}

func TestUpdatingFollowsTheEnvironmentOrTheCallersFlag(t *testing.T) {
	path := filepath.Join(t.TempDir(), "out.yaml")
	require.False(t, *update)
	assert.False(t, Updating())

	t.Setenv("GOLDEN_UPDATE", "1")
	require.NoError(t, AssertE(path, []byte("written: true\n")))
	got, err := os.ReadFile(path)
	require.NoError(t, err)
	assert.Equal(t, "written: true\n", string(got))

	t.Setenv("GOLDEN_UPDATE", "0")
	require.Error(t, AssertE(path, []byte("other: 1\n")), "0 compares")
	require.NoError(t, flag.Set("update", "true"))
	t.Cleanup(func() { _ = flag.Set("update", "false") })
	require.NoError(t, AssertE(path, []byte("other: 1\n")), "the caller's -update rewrites")
}
