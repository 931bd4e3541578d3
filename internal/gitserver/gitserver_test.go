package gitserver

import (
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"
)

func git(t *testing.T, dir string, args ...string) string {
	t.Helper()
	out, err := Git(dir, args...)
	require.NoError(t, err)
	return out
}

func TestAPushedCommitIsWhatTheNextCloneHas(t *testing.T) {
	t.Parallel()
	backend := "/usr/lib/git-core/git-http-backend"
	if _, err := os.Stat(backend); err != nil {
		t.Skipf("no %s on this machine (Debian's git package): %v", backend, err)
	}
	s := &Server{Root: t.TempDir(), Backend: backend, Git: "git"}
	require.NoError(t, s.Create("stack"))
	require.NoError(t, s.Create("stack"), "creating it again keeps it")
	require.ErrorContains(t, s.Create("../escape"), `repository name "../escape"`)
	srv := httptest.NewServer(s)
	defer srv.Close()
	url := srv.URL + "/stack.git"

	work := t.TempDir()
	git(t, work, "init", "--quiet", "--initial-branch=main")
	require.NoError(t, os.WriteFile(filepath.Join(work, "values.yaml"), []byte("replicas: 1\n"), 0o644))
	git(t, work, "add", ".")
	git(t, work, "commit", "--quiet", "-m", "A")
	git(t, work, "push", "--quiet", url, "main")
	require.NoError(t, os.WriteFile(filepath.Join(work, "values.yaml"), []byte("replicas: 2\n"), 0o644))
	git(t, work, "commit", "--quiet", "-am", "B")
	git(t, work, "push", "--quiet", url, "main")
	head := git(t, work, "rev-parse", "HEAD")

	clone := filepath.Join(t.TempDir(), "clone")
	git(t, t.TempDir(), "clone", "--quiet", url, clone)
	require.Equal(t, head, git(t, clone, "rev-parse", "HEAD"))
	b, err := os.ReadFile(filepath.Join(clone, "values.yaml"))
	require.NoError(t, err)
	require.Equal(t, "replicas: 2\n", string(b))
	require.Equal(t, head, strings.Fields(git(t, work, "ls-remote", url, "refs/heads/main"))[0])
}
