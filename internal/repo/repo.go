// Package repo locates this repository's root, so its tests and tools find charts, profiles and
// ci/ files from any working directory. It is this repository's own helper, not part of the test
// framework (another chart repository passes its own paths to the framework's options).
package repo

import (
	"bufio"
	"fmt"
	"os"
	"path/filepath"
	"strings"
)

// Module is the module path whose go.mod marks the root.
const Module = "github.com/stack-charts/stack"

// Root is the repository root: $STACK_REPO_ROOT when set, else the nearest directory at or above
// the working directory whose go.mod declares Module (go test runs in the package's directory, go
// run in the caller's). It does not read the source file's path, which -trimpath and the module
// cache make meaningless. It panics with what to do when neither finds the root.
func Root() string {
	root, err := RootE()
	if err != nil {
		panic(err)
	}
	return root
}

// RootE is Root returning the error.
func RootE() (string, error) {
	if d := os.Getenv("STACK_REPO_ROOT"); d != "" {
		if !declares(filepath.Join(d, "go.mod")) {
			return "", fmt.Errorf("STACK_REPO_ROOT=%s: no go.mod of %s there", d, Module)
		}
		return filepath.Clean(d), nil
	}
	wd, err := os.Getwd()
	if err != nil {
		return "", err
	}
	for dir := wd; ; dir = filepath.Dir(dir) {
		if declares(filepath.Join(dir, "go.mod")) {
			return dir, nil
		}
		if filepath.Dir(dir) == dir {
			return "", fmt.Errorf("no go.mod of %s at or above %s: run from inside the repository or set STACK_REPO_ROOT", Module, wd)
		}
	}
}

// declares reports whether the go.mod at path is Module's.
func declares(path string) bool {
	f, err := os.Open(path)
	if err != nil {
		return false
	}
	defer f.Close()
	s := bufio.NewScanner(f)
	for s.Scan() {
		if line := strings.TrimSpace(s.Text()); strings.HasPrefix(line, "module ") {
			return strings.Trim(strings.TrimSpace(strings.TrimPrefix(line, "module ")), `"`) == Module
		}
	}
	return false
}
