// Command up creates (or reuses) the kind cluster and installs the stack into it: `make up`.
package main

import (
	"os"

	"github.com/stack-charts/stack/internal/stackup"
)

func main() { os.Exit(stackup.Main(os.Args[1:], os.Stdout, os.Stderr)) }
