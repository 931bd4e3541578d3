// Command timings prints the table `make test` ends with: each tier's wall time, each e2e suite's,
// and the cold build steps that ran (tools and substrate builds), from $STACK_CACHE/timings.tsv
// and the e2e tier's go test -json log.
package main

import "os"

func main() { os.Exit(run(os.Args[1:], os.Stdout, os.Stderr)) }
