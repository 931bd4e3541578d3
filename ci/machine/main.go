// Command machine checks, before `make test` spends minutes, that this machine can run it: CPU
// cores, memory, free disk (more for a cold build than a warm one) and a Docker engine that
// answers (started by ci/substrate/docker.sh when it does not). It prints one line saying what is
// missing and exits 1, or one line of what it found.
package main

import "os"

func main() { os.Exit(run(os.Args[1:], os.Stdout, os.Stderr)) }
