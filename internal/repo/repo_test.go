package repo

import (
	"os"
	"path/filepath"
	"testing"

	"github.com/stretchr/testify/require"
)

func fakeRepo(t *testing.T, module string) string {
	dir := t.TempDir()
	require.NoError(t, os.WriteFile(filepath.Join(dir, "go.mod"), []byte("module "+module+"\n\ngo 1.26\n"), 0o644))
	require.NoError(t, os.MkdirAll(filepath.Join(dir, "tests", "unit"), 0o755))
	return dir
}

// The root is found from the working directory, not from the source file's path (which
// -trimpath and the module cache make meaningless): a copy of the layout elsewhere is found.
func TestRootIsFoundFromTheWorkingDirectory(t *testing.T) {
	t.Setenv("STACK_REPO_ROOT", "")
	dir := fakeRepo(t, Module)
	t.Chdir(filepath.Join(dir, "tests", "unit"))
	got, err := RootE()
	require.NoError(t, err)
	want, _ := filepath.EvalSymlinks(dir)
	gotReal, _ := filepath.EvalSymlinks(got)
	require.Equal(t, want, gotReal)
}

func TestAnotherModulesGoModIsNotTheRoot(t *testing.T) {
	t.Setenv("STACK_REPO_ROOT", "")
	t.Chdir(fakeRepo(t, "example.com/other"))
	_, err := RootE()
	require.ErrorContains(t, err, "set STACK_REPO_ROOT")
}

func TestTheEnvironmentNamesTheRoot(t *testing.T) {
	dir := fakeRepo(t, Module)
	t.Setenv("STACK_REPO_ROOT", dir)
	t.Chdir(t.TempDir())
	got, err := RootE()
	require.NoError(t, err)
	require.Equal(t, dir, got)

	t.Setenv("STACK_REPO_ROOT", t.TempDir())
	_, err = RootE()
	require.ErrorContains(t, err, "no go.mod of "+Module)
}
