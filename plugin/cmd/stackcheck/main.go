// Command stackcheck is the `helm stackcheck` plugin: preflight, lint and verify.
package main

import (
	"os"

	"github.com/stack-charts/stack/plugin/internal/cli"
)

func main() { os.Exit(cli.Main(os.Args[1:], os.Stdout, os.Stderr)) }
