// Package render renders Helm charts in-process with the Helm SDK, exactly as `helm template`
// would, and decodes the result into typed client-go objects.
//
// It is the one place that knows how to turn a chart directory plus values into Kubernetes
// objects: the chart test suites and the stackcheck plugin both import it, so a chart is never
// rendered two different ways. Charts that depend on each other through file:// repositories are
// resolved from disk, so no `helm dependency update` is needed before rendering.
package render

import (
	"fmt"
	"os"
	"sort"
	"strings"
	"sync"

	"helm.sh/helm/v3/pkg/chart"
	"helm.sh/helm/v3/pkg/cli/values"
	"helm.sh/helm/v3/pkg/getter"
	"helm.sh/helm/v3/pkg/release"
	"sigs.k8s.io/yaml"

	"github.com/stack-charts/stack/plugin/pkg/chartload"
)

// DefaultKubeVersion is the Kubernetes version charts are rendered for when Options leaves it
// empty: chartload's, the one default the stackcheck plugin renders with too.
const DefaultKubeVersion = chartload.DefaultKubeVersion

// Options says how to render a chart. The zero value renders the chart's own values as release
// "test" in namespace "default".
type Options struct {
	// ReleaseName is .Release.Name (default "test").
	ReleaseName string
	// Namespace is .Release.Namespace (default "default").
	Namespace string
	// ValuesFiles are merged in order, like repeated -f flags.
	ValuesFiles []string
	// Values are merged after the files, like one -f of an in-memory document.
	Values map[string]any
	// Set, SetString and SetFile are --set, --set-string and --set-file expressions.
	Set       []string
	SetString []string
	SetFile   []string
	// KubeVersion is .Capabilities.KubeVersion (default DefaultKubeVersion).
	KubeVersion string
	// APIVersions are added to .Capabilities.APIVersions, e.g. "monitoring.coreos.com/v1" or
	// "monitoring.coreos.com/v1/ServiceMonitor", to emulate a cluster that serves them.
	APIVersions []string
	// IncludeCRDs renders the charts' crds/ directories too.
	IncludeCRDs bool
	// SkipTests leaves out `helm test` hooks.
	SkipTests bool
}

// Result is one render.
type Result struct {
	// Chart is the loaded chart (with its file:// dependencies attached).
	Chart *chart.Chart
	// Manifests maps a template path ("stack/charts/gateway/templates/service.yaml") to the
	// YAML it rendered (several documents when the template emits several).
	Manifests map[string]string
	// Objects are the decoded objects, in Helm's install order, hooks last.
	Objects []Object
	// Values are the user-supplied values after merging files and --set flags.
	Values map[string]any
	// Notes is the rendered NOTES.txt of the top-level chart.
	Notes string
}

// YAML is the whole render as one multi-document YAML stream in Helm's order, as
// `helm template` prints it.
func (r *Result) YAML() string {
	var b strings.Builder
	for _, o := range r.Objects {
		fmt.Fprintf(&b, "---\n# Source: %s\n%s\n", o.Source, strings.TrimSpace(o.Raw))
	}
	return b.String()
}

// RenderE renders the chart in dir. An error from values, schema validation or a template is
// returned as Helm reports it (so its text names the key at fault).
func RenderE(dir string, opts Options) (*Result, error) {
	ch, err := LoadChart(dir)
	if err != nil {
		return nil, err
	}
	vals, err := MergeValues(opts)
	if err != nil {
		return nil, err
	}
	notify(dir, vals)

	rendered, err := chartload.Render(ch, vals, chartload.InstallOptions{Release: defaultString(opts.ReleaseName, "test"),
		Namespace: defaultString(opts.Namespace, "default"), KubeVersion: opts.KubeVersion,
		APIVersions: opts.APIVersions, IncludeCRDs: opts.IncludeCRDs})
	if err != nil {
		return nil, fmt.Errorf("render chart %s: %w", ch.Name(), err)
	}

	res := &Result{Chart: ch, Manifests: map[string]string{}, Values: vals}
	res.Notes = rendered.Notes
	for _, d := range rendered.Documents {
		if d.Hook && opts.SkipTests && isTestHook(d.Events) {
			continue
		}
		if err := res.add(d.Text, d.Hook); err != nil {
			return nil, err
		}
	}
	return res, nil
}

// add decodes one "# Source: path\n<yaml>" document into the result.
func (r *Result) add(doc string, hook bool) error {
	source, body := splitSource(doc)
	if strings.TrimSpace(body) == "" {
		return nil
	}
	obj, err := Decode(body)
	if err != nil {
		return fmt.Errorf("decode %s: %w", source, err)
	}
	obj.Source, obj.Hook = source, hook
	r.Objects = append(r.Objects, obj)
	if prev, ok := r.Manifests[source]; ok {
		r.Manifests[source] = prev + "---\n" + body
	} else {
		r.Manifests[source] = body
	}
	return nil
}

func splitSource(doc string) (source, body string) {
	doc = strings.TrimLeft(doc, "-\n")
	if rest, ok := strings.CutPrefix(doc, "# Source: "); ok {
		line, after, _ := strings.Cut(rest, "\n")
		return strings.TrimSpace(line), after
	}
	return "", doc
}

func isTestHook(events []release.HookEvent) bool {
	for _, e := range events {
		if e == release.HookTest {
			return true
		}
	}
	return false
}

// MergeValues merges the values files, the in-memory values and the --set flags of opts the way
// the helm CLI does.
func MergeValues(opts Options) (map[string]any, error) {
	files := append([]string(nil), opts.ValuesFiles...)
	if len(opts.Values) > 0 {
		tmp, err := writeTempValues(opts.Values)
		if err != nil {
			return nil, err
		}
		defer os.Remove(tmp)
		files = append(files, tmp)
	}
	vo := values.Options{ValueFiles: files, Values: opts.Set, StringValues: opts.SetString, FileValues: opts.SetFile}
	vals, err := vo.MergeValues(getter.Providers{})
	if err != nil {
		return nil, fmt.Errorf("values: %w", err)
	}
	return vals, nil
}

// LoadChart loads the chart in dir with every file:// dependency loaded, recursively, from the
// directory it references (see plugin/pkg/chartload, shared with helm stackcheck). A packaged copy
// of such a dependency under charts/ is replaced: a stale package would silently test old templates.
func LoadChart(dir string) (*chart.Chart, error) { return chartload.Load(dir) }

func writeTempValues(v map[string]any) (string, error) {
	b, err := yaml.Marshal(v)
	if err != nil {
		return "", fmt.Errorf("values: %w", err)
	}
	f, err := os.CreateTemp("", "render-values-*.yaml")
	if err != nil {
		return "", err
	}
	defer f.Close()
	if _, err := f.Write(b); err != nil {
		return "", err
	}
	return f.Name(), nil
}

func defaultString(s, d string) string {
	if s == "" {
		return d
	}
	return s
}

// Observer is told about every render's chart directory and user-supplied values. Suites use it
// to prove every documented knob is exercised by some test.
type Observer func(chartDir string, userValues map[string]any)

var (
	observersMu sync.Mutex
	observers   []Observer
)

// Observe registers an Observer for all later renders in this process.
func Observe(o Observer) {
	observersMu.Lock()
	defer observersMu.Unlock()
	observers = append(observers, o)
}

func notify(dir string, vals map[string]any) {
	observersMu.Lock()
	defer observersMu.Unlock()
	for _, o := range observers {
		o(dir, vals)
	}
}

// Kinds lists the distinct kinds of a result, sorted; handy in failure messages.
func (r *Result) Kinds() []string {
	seen := map[string]bool{}
	for _, o := range r.Objects {
		seen[o.Kind] = true
	}
	out := make([]string, 0, len(seen))
	for k := range seen {
		out = append(out, k)
	}
	sort.Strings(out)
	return out
}
