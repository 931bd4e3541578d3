// Command git-server serves bare Git repositories over HTTP for the Argo CD e2e suite.
package main

import "github.com/stack-charts/stack/internal/gitserver"

func main() { gitserver.Main() }
