package render

import (
	"os"
	"path/filepath"
	"testing"

	"github.com/stretchr/testify/require"
)

func TestSectionFileIsTheSubchartsPartOfAnUmbrellaValuesFile(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	umbrella := filepath.Join(dir, "overlay.yaml")
	require.NoError(t, os.WriteFile(umbrella, []byte("mysql:\n  image: {tag: \"10.11\"}\nredis: {enabled: false}\n"), 0o600))
	path, err := SectionFile(umbrella, "mysql", dir)
	require.NoError(t, err)
	b, err := os.ReadFile(path)
	require.NoError(t, err)
	require.Equal(t, "image:\n  tag: \"10.11\"\n", string(b))
	path, err = SectionFile(umbrella, "rabbitmq", dir)
	require.NoError(t, err)
	b, err = os.ReadFile(path)
	require.NoError(t, err)
	require.Equal(t, "{}\n", string(b), "a chart the file does not mention gets no values")
	_, err = SectionFile(filepath.Join(dir, "missing.yaml"), "mysql", dir)
	require.Error(t, err)
}
