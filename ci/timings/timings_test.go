package main

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func TestTheTableHasTiersSuitesAndTheBuildsThatRan(t *testing.T) {
	dir := t.TempDir()
	tsv := filepath.Join(dir, "timings.tsv")
	require.NoError(t, os.WriteFile(tsv, []byte(strings.Join([]string{
		"100\tbuild\tgo build promtool v0.307.3\t444", // before the run: not this run's
		"200\tbuild\tsubstrate: node image\t2",        // cached: checked in 2 s
		"201\tbuild\tgo build prometheus v0.307.3\t300",
		"210\ttier\tlint\t60\tpass",
		"300\ttier\ttest-e2e\t420\tpass",
	}, "\n")+"\n"), 0o644))
	e2e := filepath.Join(dir, "e2e.json")
	require.NoError(t, os.WriteFile(e2e, []byte(`not json: go build output
{"Action":"run","Test":"TestA"}
{"Action":"pass","Test":"TestA/sub","Elapsed":1}
{"Action":"output","Test":"TestA","Output":"    x_test.go:1: [slot] 12.5s held (3 at once)\n"}
{"Action":"pass","Test":"TestA","Elapsed":312.5}
{"Action":"fail","Test":"TestB","Elapsed":99}
`), 0o644))
	var out, errs strings.Builder
	require.Equal(t, 0, run([]string{"-file", tsv, "-e2e", e2e, "-since", "150"}, &out, &errs), errs.String())
	got := out.String()
	assert.NotContains(t, got, "promtool", "an older run's build is not this run's")
	assert.NotContains(t, got, "node image", "a cached step built nothing")
	assert.Contains(t, got, "go build prometheus v0.307.3")
	assert.NotContains(t, got, "TestA/sub")
	assert.Contains(t, got, "(1 cached steps checked)")
	lines := strings.Split(strings.TrimSpace(got), "\n")
	require.Len(t, lines, 8)
	assert.Regexp(t, `^tier\s+lint\s+60\.0\s+pass$`, lines[2])
	assert.Regexp(t, `^tier\s+test-e2e\s+420\.0\s+pass$`, lines[3])
	assert.Regexp(t, `^e2e suite\s+TestB\s+99\.0\s+fail$`, lines[4], "slowest suite first")
	assert.Regexp(t, `^e2e suite\s+TestA\s+12\.5\s+pass$`, lines[5])
	assert.Regexp(t, `^build\s+go build prometheus`, lines[6])

	out.Reset()
	require.Equal(t, 0, run([]string{"-file", filepath.Join(dir, "none.tsv"), "-since", "150"}, &out, &errs))
	assert.Contains(t, out.String(), "nothing built")
}
