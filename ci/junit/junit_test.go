package main

import (
	"bytes"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func TestJUnitFromGoTestJSON(t *testing.T) {
	in := strings.Join([]string{
		`{"Action":"run","Package":"p","Test":"TestA"}`,
		`{"Action":"output","Package":"p","Test":"TestA","Output":"[e2e +1.0s] progress\n"}`,
		`{"Action":"output","Package":"p","Test":"TestA","Output":"noise\n"}`,
		`{"Action":"pass","Package":"p","Test":"TestA","Elapsed":1.5}`,
		`{"Action":"output","Package":"p","Test":"TestB","Output":"    b_test.go:9: want 2, got 3\n"}`,
		`{"Action":"fail","Package":"p","Test":"TestB","Elapsed":0.2}`,
		`{"Action":"output","Package":"p","Test":"TestC","Output":"    c_test.go:3: no cluster\n"}`,
		`{"Action":"skip","Package":"p","Test":"TestC","Elapsed":0}`,
		`{"Action":"fail","Package":"p","Elapsed":2.1}`,
		`not json: a build error`,
	}, "\n")
	out := filepath.Join(t.TempDir(), "r.xml")
	var stdout, stderr bytes.Buffer
	code := run([]string{"-out", out, "-filter", `^(\[e2e|    [a-z]+_test.go)`}, strings.NewReader(in), &stdout, &stderr)
	assert.Equal(t, 1, code, "a failed test fails the run")
	assert.Contains(t, stdout.String(), "[e2e +1.0s] progress")
	assert.NotContains(t, stdout.String(), "noise", "filtered")
	assert.Contains(t, stdout.String(), "not json: a build error", "non-JSON lines pass through")
	x, err := os.ReadFile(out)
	require.NoError(t, err)
	for _, want := range []string{`<testsuite name="p" tests="3" failures="1" skipped="1" time="2.100">`, `<testcase name="TestA" classname="p" time="1.500">`,
		`<failure message="FAIL TestB">`, `want 2, got 3`, `<skipped message="c_test.go:3: no cluster">`} {
		assert.Contains(t, string(x), want)
	}
	assert.Equal(t, 2, run(nil, strings.NewReader(""), &stdout, &stderr), "-out is required")
}
