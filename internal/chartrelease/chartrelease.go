// Package chartrelease keeps the charts' versions from drifting: a ledger (charts/releases.yaml)
// records, for each chart, the version last released and a digest of its sources at that
// release. A chart whose sources changed since must carry a higher SemVer version (the check
// chart-testing's version-increment check makes against a target branch, here against the last
// release, so it needs no git history), and a chart's file:// dependencies must name the exact
// version of the chart they point at, so that a bumped dependency bumps its dependents.
package chartrelease

import (
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"sort"
	"strings"

	"github.com/Masterminds/semver/v3"
	"sigs.k8s.io/yaml"
)

// Release is one chart's entry in the ledger.
type Release struct {
	Version string `json:"version"`
	Digest  string `json:"digest"`
}

// Ledger maps a chart's name to its last release.
type Ledger map[string]Release

// LedgerFile is the ledger's name in the charts directory.
const LedgerFile = "releases.yaml"

const ledgerHeader = `# The last released version of each chart and the digest of its sources at that release
# (internal/chartrelease). Written by ` + "`make release-record`" + ` after a release is pushed, never by hand: a chart
# whose sources differ from its digest must carry a higher version than the one recorded here.
`

// Chart is what the checks read of a chart directory.
type Chart struct {
	Name    string
	Dir     string
	Version string
	Deps    []Dependency
	Digest  string
}

// Dependency is one entry of a Chart.yaml's dependencies.
type Dependency struct {
	Name       string `json:"name"`
	Version    string `json:"version"`
	Repository string `json:"repository"`
}

// Load reads every chart under chartsDir (each directory with a Chart.yaml).
func Load(chartsDir string) (map[string]Chart, error) {
	entries, err := os.ReadDir(chartsDir)
	if err != nil {
		return nil, err
	}
	out := map[string]Chart{}
	for _, e := range entries {
		dir := filepath.Join(chartsDir, e.Name())
		b, err := os.ReadFile(filepath.Join(dir, "Chart.yaml"))
		if !e.IsDir() || errors.Is(err, fs.ErrNotExist) {
			continue
		}
		if err != nil {
			return nil, err
		}
		var meta struct {
			Name         string       `json:"name"`
			Version      string       `json:"version"`
			Dependencies []Dependency `json:"dependencies"`
		}
		if err := yaml.Unmarshal(b, &meta); err != nil {
			return nil, fmt.Errorf("%s/Chart.yaml: %w", dir, err)
		}
		digest, err := Digest(dir)
		if err != nil {
			return nil, err
		}
		out[meta.Name] = Chart{Name: meta.Name, Dir: dir, Version: meta.Version, Deps: meta.Dependencies, Digest: digest}
	}
	return out, nil
}

// Digest is a sha256 over a chart directory's files (paths and bytes, in path order), leaving out
// what `helm dependency update` writes there (charts/, Chart.lock) and packaged archives.
func Digest(dir string) (string, error) {
	var files []string
	err := filepath.WalkDir(dir, func(p string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		rel, _ := filepath.Rel(dir, p)
		if d.IsDir() {
			if rel == "charts" {
				return filepath.SkipDir
			}
			return nil
		}
		if rel == "Chart.lock" || strings.HasSuffix(rel, ".tgz") {
			return nil
		}
		files = append(files, filepath.ToSlash(rel))
		return nil
	})
	if err != nil {
		return "", err
	}
	sort.Strings(files)
	h := sha256.New()
	for _, f := range files {
		b, err := os.ReadFile(filepath.Join(dir, filepath.FromSlash(f)))
		if err != nil {
			return "", err
		}
		fmt.Fprintf(h, "%s\x00%d\x00", f, len(b))
		h.Write(b)
	}
	return "sha256:" + hex.EncodeToString(h.Sum(nil)), nil
}

// ReadLedger reads chartsDir's ledger (an absent ledger is empty: nothing released yet).
func ReadLedger(chartsDir string) (Ledger, error) {
	b, err := os.ReadFile(filepath.Join(chartsDir, LedgerFile))
	if errors.Is(err, fs.ErrNotExist) {
		return Ledger{}, nil
	}
	if err != nil {
		return nil, err
	}
	l := Ledger{}
	if err := yaml.UnmarshalStrict(b, &l); err != nil {
		return nil, fmt.Errorf("%s: %w", LedgerFile, err)
	}
	return l, nil
}

// Check returns one problem per chart that drifted: sources changed without a version bump, a
// version lower than the released one, a version that is not SemVer, or a file:// dependency
// whose version is not the exact version of the chart it points at.
func Check(charts map[string]Chart, ledger Ledger) []string {
	var problems []string
	names := make([]string, 0, len(charts))
	for n := range charts {
		names = append(names, n)
	}
	sort.Strings(names)
	for _, n := range names {
		c := charts[n]
		v, err := semver.StrictNewVersion(c.Version)
		if err != nil {
			problems = append(problems, fmt.Sprintf("%s: version %q is not SemVer 2 (%v)", n, c.Version, err))
			continue
		}
		if r, ok := ledger[n]; ok {
			released, err := semver.StrictNewVersion(r.Version)
			switch {
			case err != nil:
				problems = append(problems, fmt.Sprintf("%s: the ledger's version %q is not SemVer 2", n, r.Version))
			case v.Equal(released) && c.Digest != r.Digest:
				problems = append(problems, fmt.Sprintf("%s: changed since its release %s (sources %s, released %s): bump version in %s/Chart.yaml and say what changed in its artifacthub.io/changes annotation",
					n, r.Version, short(c.Digest), short(r.Digest), c.Dir))
			case v.LessThan(released):
				problems = append(problems, fmt.Sprintf("%s: version %s is lower than its release %s", n, c.Version, r.Version))
			}
		}
		for _, d := range c.Deps {
			if !strings.HasPrefix(d.Repository, "file://") {
				continue
			}
			target, ok := charts[d.Name]
			if !ok {
				problems = append(problems, fmt.Sprintf("%s: dependency %s (%s) is not a chart of this directory", n, d.Name, d.Repository))
				continue
			}
			if d.Version != target.Version {
				problems = append(problems, fmt.Sprintf("%s: dependency %s has version %q, the chart is %s: name its exact version so that its bump bumps %s",
					n, d.Name, d.Version, target.Version, n))
			}
		}
	}
	return problems
}

// Record writes the ledger for the charts as they are now (after a release).
func Record(chartsDir string, charts map[string]Chart) error {
	l := Ledger{}
	for n, c := range charts {
		l[n] = Release{Version: c.Version, Digest: c.Digest}
	}
	b, err := yaml.Marshal(l)
	if err != nil {
		return err
	}
	return os.WriteFile(filepath.Join(chartsDir, LedgerFile), append([]byte(ledgerHeader), b...), 0o644)
}

func short(d string) string {
	d = strings.TrimPrefix(d, "sha256:")
	if len(d) > 12 {
		return d[:12]
	}
	return d
}
