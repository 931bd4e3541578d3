package discord

import (
	"flag"
	"fmt"
	"net/http"
	"os"
	"time"
)

// Main runs the sink: discord-sink [-listen :8080].
func Main() {
	fs := flag.NewFlagSet("discord-sink", flag.ExitOnError)
	listen := fs.String("listen", ":8080", "address to listen on")
	_ = fs.Parse(os.Args[1:])
	srv := &http.Server{Addr: *listen, Handler: NewSink().Handler(), ReadHeaderTimeout: 10 * time.Second}
	fmt.Fprintf(os.Stderr, "discord-sink listening on %s\n", *listen)
	if err := srv.ListenAndServe(); err != nil {
		fmt.Fprintln(os.Stderr, "discord-sink:", err)
		os.Exit(1)
	}
}
