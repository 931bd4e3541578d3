package golden

import (
	"os"
	"path/filepath"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func TestAssertComparesAndExplains(t *testing.T) {
	path := filepath.Join(t.TempDir(), "out.yaml")
	err := AssertE(path, []byte("a: 1\n"))
	require.Error(t, err)
	assert.Contains(t, err.Error(), "is missing (run the test with -update")

	require.NoError(t, os.WriteFile(path, []byte("a: 1\nb: 2\n"), 0o644))
	assert.NoError(t, AssertE(path, []byte("a: 1\nb: 2\n")))
	err = AssertE(path, []byte("a: 1\nb: 3\n"))
	require.Error(t, err)
	assert.Contains(t, err.Error(), "-b: 2")
	assert.Contains(t, err.Error(), "+b: 3")
}
