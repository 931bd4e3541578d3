// Package chartload loads a chart from its directory with every file:// dependency loaded from
// the directory it references, recursively: in a repository of charts the source directories are
// the truth, so a packaged copy under charts/ (left by `helm dependency update`) is replaced and a
// missing one is not an error. Any other dependency (a repository or OCI chart) must be in charts/,
// at every level: a chart is refused without it, as `helm template` refuses it.
package chartload

import (
	"bytes"
	"errors"
	"fmt"
	"io/fs"
	"maps"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"sync"

	"github.com/Masterminds/semver/v3"
	"sigs.k8s.io/yaml"

	"helm.sh/helm/v3/pkg/action"
	"helm.sh/helm/v3/pkg/chart"
	"helm.sh/helm/v3/pkg/chart/loader"
	"helm.sh/helm/v3/pkg/ignore"
)

// Load loads the chart in dir (a directory or a packaged .tgz; file:// dependencies are resolved
// for directories only).
func Load(dir string) (*chart.Chart, error) {
	var ch *chart.Chart
	var err error
	if fi, statErr := os.Stat(dir); statErr == nil && fi.IsDir() && filepath.Ext(dir) != ".tgz" {
		ch, err = loadDir(dir)
	} else if ch, err = loader.Load(dir); err != nil {
		err = fmt.Errorf("load chart %s: %w", dir, err)
	}
	if err != nil {
		return nil, err
	}
	if err := checkDeps(ch); err != nil {
		return nil, fmt.Errorf("load chart %s: %w (run `helm dependency build` or `helm dependency update` first)", dir, err)
	}
	return ch, nil
}

// loadDir loads a chart directory and its file:// dependencies from their directories, those at
// once beside the chart's own files; the packaged copies of those dependencies under charts/
// (charts/NAME-VERSION.tgz, as `helm dependency update` names them, or charts/NAME/) are not read,
// since the sources replace them. Reading them was half of the umbrella's load.
func loadDir(dir string) (*chart.Chart, error) {
	type source struct {
		name string
		ch   *chart.Chart
		err  error
	}
	var sources []*source
	var names []string
	var wg sync.WaitGroup
	if meta, err := readMetadata(dir); err == nil {
		for _, dep := range meta.Dependencies {
			repo, ok := strings.CutPrefix(dep.Repository, "file://")
			if !ok || dep.Name == "" {
				continue
			}
			if !filepath.IsAbs(repo) {
				repo = filepath.Join(dir, repo)
			}
			s := &source{name: dep.Name}
			sources = append(sources, s)
			names = append(names, dep.Name)
			wg.Add(1)
			go func() {
				defer wg.Done()
				if s.ch, s.err = Load(repo); s.err != nil {
					s.err = fmt.Errorf("dependency %s of %s: %w", dep.Name, meta.Name, s.err)
				}
			}()
		}
	}
	ch, err := loadFilesExcept(dir, names)
	wg.Wait()
	if err != nil {
		return nil, fmt.Errorf("load chart %s: %w", dir, err)
	}
	fromSource := map[string]*chart.Chart{}
	for _, s := range sources {
		if s.err != nil {
			return nil, s.err
		}
		fromSource[s.name] = s.ch
	}
	if len(fromSource) == 0 {
		return ch, nil
	}
	var deps []*chart.Chart
	for _, d := range ch.Dependencies() {
		if _, replaced := fromSource[d.Name()]; !replaced {
			deps = append(deps, d)
		}
	}
	ch.SetDependencies(deps...)
	for _, n := range slices.Sorted(maps.Keys(fromSource)) {
		ch.AddDependency(fromSource[n])
	}
	return ch, nil
}

// readMetadata reads a chart directory's Chart.yaml (an error leaves the chart's loader to say
// what is wrong with it).
func readMetadata(dir string) (*chart.Metadata, error) {
	b, err := os.ReadFile(filepath.Join(dir, "Chart.yaml"))
	if err != nil {
		return nil, err
	}
	meta := new(chart.Metadata)
	return meta, yaml.Unmarshal(b, meta)
}

// loadFilesExcept loads a chart directory as Helm's loader.LoadDir does (.helmignore and its
// defaults, a UTF-8 byte order mark dropped), without the packaged copies of the named
// dependencies under charts/. Anything LoadDir treats specially (a symbolic link, an irregular
// or oversized file, a file that cannot be read) hands the directory to LoadDir itself, so its
// result and its errors are Helm's.
func loadFilesExcept(dir string, replaced []string) (*chart.Chart, error) {
	top, err := filepath.Abs(dir)
	if err != nil {
		return loader.LoadDir(dir)
	}
	rules := ignore.Empty()
	if _, err := os.Stat(filepath.Join(top, ignore.HelmIgnore)); err == nil {
		if rules, err = ignore.ParseFile(filepath.Join(top, ignore.HelmIgnore)); err != nil {
			return loader.LoadDir(dir)
		}
	}
	rules.AddDefaults()
	var files []*loader.BufferedFile
	errHelmsCase := errors.New("a case for Helm's loader")
	err = filepath.WalkDir(top, func(path string, d fs.DirEntry, err error) error {
		if err != nil {
			return errHelmsCase
		}
		n := filepath.ToSlash(strings.TrimPrefix(path, top+string(filepath.Separator)))
		if path == top {
			return nil
		}
		if d.Type()&fs.ModeSymlink != 0 {
			return errHelmsCase
		}
		fi, err := d.Info()
		if err != nil {
			return errHelmsCase
		}
		if d.IsDir() {
			if rules.Ignore(n, fi) || isReplacedCopy(n, replaced, true) {
				return filepath.SkipDir
			}
			return nil
		}
		if rules.Ignore(n, fi) || isReplacedCopy(n, replaced, false) {
			return nil
		}
		if !fi.Mode().IsRegular() || fi.Size() > loader.MaxDecompressedFileSize {
			return errHelmsCase
		}
		data, err := os.ReadFile(path)
		if err != nil {
			return errHelmsCase
		}
		files = append(files, &loader.BufferedFile{Name: n, Data: bytes.TrimPrefix(data, []byte{0xEF, 0xBB, 0xBF})})
		return nil
	})
	if err != nil {
		return loader.LoadDir(dir)
	}
	return loader.LoadFiles(files)
}

// isReplacedCopy says whether a chart-relative path is a packaged copy of one of the named
// dependencies: charts/NAME-VERSION.tgz (VERSION a semantic version) or the directory charts/NAME.
func isReplacedCopy(name string, replaced []string, dir bool) bool {
	rest, ok := strings.CutPrefix(name, "charts/")
	if !ok || strings.Contains(rest, "/") {
		return false
	}
	for _, dep := range replaced {
		if dir && rest == dep {
			return true
		}
		if v, ok := strings.CutPrefix(strings.TrimSuffix(rest, ".tgz"), dep+"-"); !dir && ok && strings.HasSuffix(rest, ".tgz") {
			if _, err := semver.StrictNewVersion(v); err == nil {
				return true
			}
		}
	}
	return false
}

// checkDeps refuses a chart, or any of its subcharts, whose Chart.yaml lists a dependency that is
// not loaded (helm's own check, applied at every level).
func checkDeps(ch *chart.Chart) error {
	if err := action.CheckDependencies(ch, ch.Metadata.Dependencies); err != nil {
		return fmt.Errorf("chart %s: %w", ch.Name(), err)
	}
	for _, d := range ch.Dependencies() {
		if err := checkDeps(d); err != nil {
			return err
		}
	}
	return nil
}
