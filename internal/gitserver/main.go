package gitserver

import (
	"flag"
	"fmt"
	"net/http"
	"os"
	"strings"
	"time"
)

// Main runs the server: git-server [-listen :8080] [-root /srv/git] [-repos a,b]
// [-backend /usr/lib/git-core/git-http-backend].
func Main() {
	fs := flag.NewFlagSet("git-server", flag.ExitOnError)
	listen := fs.String("listen", ":8080", "address to listen on")
	root := fs.String("root", "/srv/git", "directory of the bare repositories")
	repos := fs.String("repos", "", "comma-separated repositories to create at start (<root>/<name>.git)")
	backend := fs.String("backend", "/usr/lib/git-core/git-http-backend", "git's smart-HTTP CGI program")
	_ = fs.Parse(os.Args[1:])
	s := &Server{Root: *root, Backend: *backend, Git: "git"}
	for _, name := range strings.Split(*repos, ",") {
		if name = strings.TrimSpace(name); name == "" {
			continue
		}
		if err := s.Create(name); err != nil {
			fmt.Fprintln(os.Stderr, "git-server:", err)
			os.Exit(1)
		}
		fmt.Fprintf(os.Stderr, "git-server: serving %s/%s.git\n", *root, name)
	}
	srv := &http.Server{Addr: *listen, Handler: s, ReadHeaderTimeout: 10 * time.Second}
	fmt.Fprintf(os.Stderr, "git-server listening on %s\n", *listen)
	if err := srv.ListenAndServe(); err != nil {
		fmt.Fprintln(os.Stderr, "git-server:", err)
		os.Exit(1)
	}
}
