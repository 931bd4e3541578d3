//go:build e2e

// Package e2e installs the charts into a kind cluster and asserts real behaviour. It is behind
// the e2e build tag because it needs Docker, a built substrate (ci/substrate/build.sh) and
// minutes, not seconds: `make test` runs it after the render tier.
package e2e

import (
	"fmt"
	"os"
	"testing"
	"time"

	"github.com/stack-charts/stack/tests/cluster"
	"github.com/stack-charts/stack/tests/repo"
)

var root = repo.Root()

// env is the cluster every suite of this package shares (one per run, reused when healthy).
var env *cluster.Env

var suiteStart = time.Now()

func progress(format string, args ...any) {
	fmt.Printf("[e2e +%6.1fs] %s\n", time.Since(suiteStart).Seconds(), fmt.Sprintf(format, args...))
}

func TestMain(m *testing.M) {
	if err := setup(); err != nil {
		fmt.Fprintf(os.Stderr, "e2e setup failed: %v\n", err)
		os.Exit(1)
	}
	code := m.Run()
	progress("e2e suites finished (exit %d)", code)
	os.Exit(code)
}

func setup() error {
	var err error
	env, err = cluster.PrepareE(cluster.PrepareOptions{RepoRoot: root, Name: "stack-e2e", Recreate: os.Getenv("STACK_RECREATE_CLUSTER") != ""})
	if err != nil {
		return err
	}
	progress("image mode %s; cluster %s ready (created in %s, reused: %v)", env.Mode, env.Cluster.Name, env.Cluster.CreateTime.Round(time.Second), env.Cluster.Reused)
	return nil
}
