package main

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func TestVerdictNamesEverythingMissingInOneLine(t *testing.T) {
	assert.Empty(t, verdict(defaults, machine{cores: 2, memGiB: 24, freeGiB: 50, cold: true}))
	assert.Equal(t, "needs 30 GiB of free disk for a cold build (has 12.0)", verdict(defaults, machine{cores: 2, memGiB: 24, freeGiB: 12, cold: true}))
	assert.Empty(t, verdict(defaults, machine{cores: 2, memGiB: 24, freeGiB: 12}), "a warm run needs less")
	assert.Equal(t, "needs 2 CPU cores (has 1), 8 GiB of memory (has 3.5)", verdict(defaults, machine{cores: 1, memGiB: 3.5, freeGiB: 50}))
}

func TestAMachineWithoutWhatItNeedsFailsAtOnceWithOneLine(t *testing.T) {
	var out, errs strings.Builder
	code := run([]string{"-cache", t.TempDir(), "-cold-disk-gib", "1e9", "-docker", ""}, &out, &errs)
	assert.Equal(t, 1, code)
	assert.Regexp(t, `^make test: this machine needs 1000000000 GiB of free disk for a cold build \(has [0-9.]+\)\n$`, errs.String())

	errs.Reset()
	failing := filepath.Join(t.TempDir(), "docker.sh")
	require.NoError(t, os.WriteFile(failing, []byte("echo starting dockerd; echo 'dockerd did not answer within 60s' >&2; exit 1\n"), 0o755))
	code = run([]string{"-cache", t.TempDir(), "-cold-disk-gib", "0", "-docker", failing}, &out, &errs)
	assert.Equal(t, 1, code)
	assert.Equal(t, "make test: needs a Docker engine, and none answers or could be started: dockerd did not answer within 60s\n", errs.String())
}
