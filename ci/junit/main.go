// Command junit turns `go test -json` events (stdin) into a JUnit XML report (-out) and echoes the
// test output lines matching -filter to stdout, so a terminal still shows progress. It exits 1 when
// a test failed. `make test-e2e` pipes the e2e suites through it.
package main

import "os"

func main() { os.Exit(run(os.Args[1:], os.Stdin, os.Stdout, os.Stderr)) }
