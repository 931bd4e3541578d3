// Command pause is the pod sandbox process of the air-gapped kind node: it holds the pod's
// namespaces open, reaps zombie children (it is PID 1 when a pod shares its process namespace)
// and exits on SIGTERM or SIGINT. It does what registry.k8s.io/pause does, written for this
// project so the node image needs nothing from a registry.
package main

import (
	"os"
	"os/signal"
	"syscall"
)

func main() {
	signals := make(chan os.Signal, 8)
	signal.Notify(signals, syscall.SIGINT, syscall.SIGTERM, syscall.SIGCHLD)
	for s := range signals {
		if s != syscall.SIGCHLD {
			os.Exit(0)
		}
		for {
			var status syscall.WaitStatus
			pid, err := syscall.Wait4(-1, &status, syscall.WNOHANG, nil)
			if pid <= 0 || err != nil {
				break
			}
		}
	}
}
