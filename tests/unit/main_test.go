// Package unit holds the render tier of the chart tests: every chart rendered in-process with the
// Helm SDK, no cluster. It runs in seconds, so it runs first and on every change. Every test calls
// t.Parallel() (renders are CPU-bound and independent: 48 s serial, 29 s on 2 cores).
package unit

import (
	"flag"
	"fmt"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"sync"
	"testing"

	"sigs.k8s.io/yaml"

	"github.com/stack-charts/stack/internal/repo"
	"github.com/stack-charts/stack/tests/render"
)

// -update rewrites the golden files (tests/golden reads it; GOLDEN_UPDATE=1 works too).
var _ = flag.Bool("update", false, "rewrite the golden files under testdata/")

// root is the repository root, so tests run from any directory.
var root = repo.Root()

// chart returns the directory of a chart under charts/.
func chart(name string) string { return filepath.Join(root, "charts", name) }

// profile returns the path of a value profile of the umbrella.
func profile(name string) string { return filepath.Join(chart("stack"), "profiles", name+".yaml") }

// knobCharts are the charts whose every values.yaml leaf must be set by some test.
var knobCharts = []string{"services", "gateway", "mysql", "redis", "rabbitmq", "monitoring", "cert-issuer", "stack"}

// subcharts are the umbrella's subcharts whose values it forwards.
var subcharts = []string{"gateway", "services", "mysql", "redis", "rabbitmq", "monitoring", "cert-issuer"}

var (
	exercisedMu sync.Mutex
	exercised   = map[string]map[string]bool{} // chart -> leaf paths set by some render
)

func TestMain(m *testing.M) {
	render.Observe(recordKnobs)
	code := m.Run()
	if code == 0 && flag.Lookup("test.run").Value.String() == "" && !testing.Short() {
		if missing := unexercisedKnobs(); len(missing) > 0 {
			fmt.Fprintf(os.Stderr, "FAIL: %d values.yaml knobs are not set by any test:\n  %s\n", len(missing), strings.Join(missing, "\n  "))
			code = 1
		} else {
			fmt.Println("every values.yaml knob of", strings.Join(knobCharts, ", "), "is set by at least one test")
		}
	}
	os.Exit(code)
}

// recordKnobs maps the user values of a render onto the charts they configure.
func recordKnobs(dir string, vals map[string]any) {
	exercisedMu.Lock()
	defer exercisedMu.Unlock()
	name := filepath.Base(dir)
	for _, p := range leaves("", vals) {
		for chartName, path := range mapPath(name, p) {
			if exercised[chartName] == nil {
				exercised[chartName] = map[string]bool{}
			}
			exercised[chartName][path] = true
		}
	}
}

// mapPath says which chart paths a user value path sets: the umbrella forwards gateway.* and
// services.* to the subcharts and global.* to all; an app's fields are the `defaults` fields.
func mapPath(chartName, p string) map[string]string {
	out := map[string]string{chartName: p}
	if chartName == "stack" {
		for _, sub := range subcharts {
			if rest, ok := strings.CutPrefix(p, sub+"."); ok {
				for k, v := range mapPath(sub, rest) {
					out[k] = v
				}
			}
			if strings.HasPrefix(p, "global.") {
				out[sub] = p
			}
		}
	}
	if chartName == "services" {
		if rest, ok := strings.CutPrefix(p, "apps."); ok {
			if _, field, ok := strings.Cut(rest, "."); ok {
				out["services#app"] = "defaults." + field
			}
		}
	}
	return out
}

// leaves flattens a values tree into dotted paths; lists, scalars and empty maps are leaves.
func leaves(prefix string, v any) []string {
	m, ok := v.(map[string]any)
	if !ok || len(m) == 0 {
		if prefix == "" {
			return nil
		}
		return []string{prefix}
	}
	var out []string
	for k, sub := range m {
		p := k
		if prefix != "" {
			p = prefix + "." + k
		}
		out = append(out, leaves(p, sub)...)
	}
	return out
}

func unexercisedKnobs() []string {
	var missing []string
	for _, c := range knobCharts {
		b, err := os.ReadFile(filepath.Join(chart(c), "values.yaml"))
		if err != nil {
			return []string{err.Error()}
		}
		var vals map[string]any
		if err := yaml.Unmarshal(b, &vals); err != nil {
			return []string{err.Error()}
		}
		for _, knob := range leaves("", vals) {
			if c == "stack" && subchartSetting(knob) {
				continue
			}
			if !covered(exercised[c], knob) && !covered(exercised[c+"#app"], knob) {
				missing = append(missing, c+": "+knob)
			}
		}
	}
	sort.Strings(missing)
	return missing
}

// subchartSetting reports whether an umbrella values path configures a subchart (the demo apps
// and routes): those are values of subchart knobs, checked against the subcharts' own
// values.yaml. The umbrella's own knobs are global.*, tests.* and each subchart's enabled switch.
func subchartSetting(knob string) bool {
	for _, sub := range subcharts {
		if strings.HasPrefix(knob, sub+".") && knob != sub+".enabled" {
			return true
		}
	}
	return false
}

func covered(set map[string]bool, knob string) bool {
	for p := range set {
		if p == knob || strings.HasPrefix(p, knob+".") {
			return true
		}
	}
	return false
}

// devOpts renders the umbrella with the dev profile plus extra values.
func devOpts(extra map[string]any, set ...string) render.Options {
	return render.Options{ValuesFiles: []string{profile("dev")}, Values: extra, Set: set}
}
