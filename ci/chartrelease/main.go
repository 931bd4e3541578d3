// Command chartrelease checks the charts' versions against their last release or records a
// release (internal/chartrelease).
package main

import (
	"os"

	"github.com/stack-charts/stack/internal/chartrelease"
)

func main() { os.Exit(chartrelease.Run(os.Args[1:], os.Stdout, os.Stderr)) }
