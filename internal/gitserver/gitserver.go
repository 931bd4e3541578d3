// Package gitserver serves bare Git repositories over HTTP — clone, fetch and push — through
// git's own smart-HTTP program, git-http-backend, run as a CGI: the in-cluster Git source of the
// Argo CD suite (the repository the Application follows, pushed to by the test).
package gitserver

import (
	"fmt"
	"net/http"
	"net/http/cgi"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
)

// Server serves the bare repositories under Root.
type Server struct {
	// Root holds one bare repository per name (<Root>/<name>.git).
	Root string
	// Backend is git-http-backend (Debian: /usr/lib/git-core/git-http-backend).
	Backend string
	// Git is the git command that creates repositories.
	Git string
}

var repoName = regexp.MustCompile(`^[a-z0-9][a-z0-9._-]*$`)

// Create makes <Root>/<name>.git, a bare repository that accepts anonymous pushes
// (http.receivepack; git-http-backend refuses pushes without an authenticated user otherwise),
// with main as its default branch. An existing repository is left as it is.
func (s *Server) Create(name string) error {
	if !repoName.MatchString(name) {
		return fmt.Errorf("repository name %q: want lower-case letters, digits, '.', '_' or '-'", name)
	}
	dir := filepath.Join(s.Root, name+".git")
	if _, err := os.Stat(filepath.Join(dir, "HEAD")); err == nil {
		return nil
	}
	for _, args := range [][]string{
		{"init", "--quiet", "--bare", "--initial-branch=main", dir},
		{"-C", dir, "config", "http.receivepack", "true"},
	} {
		if out, err := exec.Command(s.Git, args...).CombinedOutput(); err != nil {
			return fmt.Errorf("git %s: %w: %s", strings.Join(args, " "), err, out)
		}
	}
	return nil
}

// ServeHTTP answers /healthz itself and hands everything else to git-http-backend.
func (s *Server) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	if r.URL.Path == "/healthz" {
		_, _ = w.Write([]byte("ok\n"))
		return
	}
	h := &cgi.Handler{
		Path: s.Backend,
		Root: "/",
		Env:  []string{"GIT_PROJECT_ROOT=" + s.Root, "GIT_HTTP_EXPORT_ALL=1"},
		// git-http-backend runs git, which needs a HOME it may write its config lookups from.
		InheritEnv: []string{"HOME", "PATH"},
	}
	h.ServeHTTP(w, r)
}

// Git runs git in dir with a throwaway identity and neither the user's nor the system's
// configuration (the tests' commits and pushes), returning its trimmed combined output.
func Git(dir string, args ...string) (string, error) {
	cmd := exec.Command("git", args...)
	cmd.Dir = dir
	cmd.Env = append(os.Environ(), "GIT_CONFIG_GLOBAL=/dev/null", "GIT_CONFIG_NOSYSTEM=1", "GIT_TERMINAL_PROMPT=0",
		"GIT_AUTHOR_NAME=stack e2e", "GIT_AUTHOR_EMAIL=e2e@stack.invalid", "GIT_COMMITTER_NAME=stack e2e", "GIT_COMMITTER_EMAIL=e2e@stack.invalid")
	out, err := cmd.CombinedOutput()
	if err != nil {
		return "", fmt.Errorf("git %s: %w: %s", strings.Join(args, " "), err, out)
	}
	return strings.TrimSpace(string(out)), nil
}
