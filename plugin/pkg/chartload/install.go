package chartload

import (
	"encoding/json"
	"fmt"
	"maps"
	"path"
	"slices"
	"sort"
	"strings"
	"sync"

	"helm.sh/helm/v3/pkg/chart"
	"helm.sh/helm/v3/pkg/chartutil"
	"helm.sh/helm/v3/pkg/engine"
	"helm.sh/helm/v3/pkg/release"
	"helm.sh/helm/v3/pkg/releaseutil"
	"sigs.k8s.io/yaml"

	"github.com/stack-charts/stack/plugin/internal/parallel"
)

// DefaultKubeVersion is the Kubernetes version a chart renders for when the caller names none:
// the one default of every render here (the test framework's, `helm stackcheck lint
// --kube-version`'s and a preflight's without a server version). It is pinned, not taken from the
// Helm library's build, so renders do not change with the SDK; it follows the e2e cluster's minor.
const DefaultKubeVersion = "v1.36.0"

// InstallOptions say for which release and cluster a chart renders.
type InstallOptions struct {
	Release, Namespace string
	// KubeVersion ("v1.36.3"; empty: DefaultKubeVersion) and APIVersions ("apps/v1", "monitoring.coreos.com/v1/ServiceMonitor").
	KubeVersion string
	APIVersions []string
	IncludeCRDs bool
}

// Rendered is a chart rendered for a release.
type Rendered struct {
	// Documents are the manifests in Helm's install order (the chart's CRDs first with
	// IncludeCRDs), then the hooks.
	Documents []Document
	// Notes is the chart's own NOTES.txt, rendered.
	Notes string
}

// Render renders ch as a client-side `helm install --dry-run` does (Helm's action.Install with
// ClientOnly): no cluster is contacted. It runs the same SDK steps in the same order (release
// name check, dependency conditions and import-values, values coalesced, kubeVersion range,
// engine, NOTES, SortManifests), except that the values are checked against the charts' JSON
// schemas in the background from Prepare on instead of before the engine: compiling the schemas is
// a third of a render's CPU for an umbrella of seven schemas, and a CLI compiles them on every
// run. A schema error is still reported first, as Helm reports it, whatever the templates do.
func Render(ch *chart.Chart, vals map[string]any, o InstallOptions) (*Rendered, error) {
	return Prepare(ch, vals).Render(o)
}

// Prepared is a chart with its dependencies' conditions, tags and import-values applied for a set
// of values: the first step of a render, and the only one that needs neither the release nor the
// cluster, so a caller can take it while it asks the cluster for its version and APIs.
type Prepared struct {
	ch   *chart.Chart
	vals map[string]any
	err  error // reported by Render, after the checks Helm makes before it
	// schema is the values' check against the charts' JSON schemas, made in the background.
	schema func() error
}

// Prepare applies the dependencies to ch (Helm's ProcessDependenciesWithMerge: subcharts whose
// condition or tags are off are removed from ch, imported values merged into it) and starts
// checking the values against the charts' JSON schemas in the background: the values Helm
// validates (the user's coalesced over the charts' defaults) need neither the release nor the
// cluster, and do not change after this. They are coalesced here into a tree of their own,
// which no template can `set` into.
func Prepare(ch *chart.Chart, vals map[string]any) *Prepared {
	p := &Prepared{ch: ch, vals: vals, err: processDependencies(ch, vals)}
	result := make(chan error, 1)
	p.schema = sync.OnceValue(func() error { return <-result })
	if p.err != nil {
		result <- nil
		return p
	}
	go func() {
		values, err := chartutil.CoalesceValues(ch, vals)
		if err != nil {
			result <- nil // Render's own coalescing reports it, where Helm does
			return
		}
		if err := chartutil.ValidateAgainstSchema(ch, values); err != nil {
			result <- fmt.Errorf("values don't meet the specifications of the schema(s) in the following chart(s):\n%s", err.Error())
			return
		}
		result <- nil
	}()
	return p
}

// Render renders the prepared chart for a release (see the package's Render).
func (p *Prepared) Render(o InstallOptions) (*Rendered, error) {
	ch, vals := p.ch, p.vals
	if err := chartutil.ValidateReleaseName(o.Release); err != nil {
		return nil, fmt.Errorf("release name %q: %w", o.Release, err)
	}
	if o.KubeVersion == "" {
		o.KubeVersion = DefaultKubeVersion
	}
	kv, err := chartutil.ParseKubeVersion(o.KubeVersion)
	if err != nil {
		return nil, fmt.Errorf("kube version %q: %w", o.KubeVersion, err)
	}
	if p.err != nil {
		return nil, p.err
	}
	caps := chartutil.DefaultCapabilities.Copy()
	caps.KubeVersion = *kv
	caps.APIVersions = append(caps.APIVersions, o.APIVersions...)
	// The values the templates see, made again for a second run of the engine: a template may
	// change them (sprig's set), and coalescing copies the charts' defaults.
	top := func() (chartutil.Values, error) {
		return chartutil.ToRenderValuesWithSchemaValidation(ch, vals, chartutil.ReleaseOptions{
			Name: o.Release, Namespace: o.Namespace, Revision: 1, IsInstall: true,
		}, caps, true)
	}
	out, renderErr := renderResources(ch, top, caps, o.IncludeCRDs)
	if err := p.schema(); err != nil {
		return nil, err
	}
	return out, renderErr
}

// renderResources is action.Configuration.renderResources for a client-only install, on the values
// top gives.
func renderResources(ch *chart.Chart, top func() (chartutil.Values, error), caps *chartutil.Capabilities, includeCRDs bool) (*Rendered, error) {
	vals, err := top()
	if err != nil {
		return nil, err
	}
	if ch.Metadata.KubeVersion != "" && !chartutil.IsCompatibleRange(ch.Metadata.KubeVersion, caps.KubeVersion.String()) {
		return nil, fmt.Errorf("chart requires kubeVersion: %s which is incompatible with Kubernetes %s", ch.Metadata.KubeVersion, caps.KubeVersion.String())
	}
	files, err := renderEngine(ch, vals, top)
	if err != nil {
		return nil, err
	}
	out := &Rendered{}
	// Only the top chart's NOTES.txt, as helm install without --render-subchart-notes.
	for name, text := range files {
		if strings.HasSuffix(name, "NOTES.txt") {
			if name == path.Join(ch.Name(), "templates", "NOTES.txt") {
				out.Notes = text
			}
			delete(files, name)
		}
	}
	hooks, manifests, err := sortManifests(files)
	if err != nil {
		return nil, err
	}
	// The documents of the manifest as Helm stores it ("---\n# Source: <template>\n<document>"
	// each), as Split gives them back from it: a document left with a separator of its own (a
	// template's stray "---") is split again; any other is the document under its source line.
	if includeCRDs {
		var b strings.Builder
		for _, crd := range ch.CRDObjects() {
			fmt.Fprintf(&b, "---\n# Source: %s\n%s\n", crd.Filename, crd.File.Data)
		}
		out.Documents = Split(b.String())
	}
	for _, m := range manifests {
		text := "# Source: " + m.Name + "\n" + m.Content
		if strings.Contains(m.Content, "---") {
			out.Documents = append(out.Documents, Split(text)...)
			continue
		}
		out.Documents = append(out.Documents, Document{Text: strings.TrimSpace(text), JSON: m.json})
	}
	for _, h := range hooks {
		out.Documents = append(out.Documents, Document{Text: "# Source: " + h.Path + "\n" + h.Manifest, Hook: true, Events: h.Events})
	}
	return out, nil
}

// renderEngine is Helm's engine over ch without its repeated partials (withoutRepeatedPartials);
// when that fails, it is run again over ch itself, on values made again, for Helm's own error.
func renderEngine(ch *chart.Chart, vals chartutil.Values, again func() (chartutil.Values, error)) (map[string]string, error) {
	var e engine.Engine
	pruned := withoutRepeatedPartials(ch)
	files, err := e.Render(pruned, vals)
	if err == nil || pruned == ch {
		return files, err
	}
	if vals, err = again(); err != nil {
		return nil, err
	}
	return e.Render(ch, vals)
}

// manifest is a releaseutil.Manifest with its document as JSON (nil when Helm's own sort took
// its file).
type manifest struct {
	releaseutil.Manifest
	json []byte
}

// sortManifests is releaseutil.SortManifests(files, nil, releaseutil.InstallOrder) over the
// CPUs, a file at a time (sortFile), and the files' results, in the order of their paths as Helm
// takes them, sorted by kind as Helm sorts them: a stable sort of the documents in path and file
// order, as Helm's own.
func sortManifests(files map[string]string) ([]*release.Hook, []manifest, error) {
	paths := slices.Sorted(maps.Keys(files))
	type part struct {
		hooks     []*release.Hook
		manifests []manifest
	}
	// The first file's error in order is Helm's.
	parts, err := parallel.Map(paths, 0, func(p string) (part, error) {
		h, m, err := sortFile(p, files[p])
		return part{h, m}, err
	})
	if err != nil {
		return nil, nil, err
	}
	var hooks []*release.Hook
	var manifests []manifest
	for _, p := range parts {
		hooks = append(hooks, p.hooks...)
		manifests = append(manifests, p.manifests...)
	}
	// Helm's order by kind: the install order's kinds first, by their place in it; other kinds
	// after them, alphabetically; equal kinds keep their order.
	rank := make(map[string]int, len(releaseutil.InstallOrder))
	for i, k := range releaseutil.InstallOrder {
		rank[k] = i
	}
	less := func(a, b string) bool {
		ra, aok := rank[a]
		rb, bok := rank[b]
		switch {
		case !aok && !bok:
			return a < b
		case !aok:
			return false
		case !bok:
			return true
		}
		return ra < rb
	}
	sort.SliceStable(manifests, func(i, j int) bool { return less(manifests[i].Head.Kind, manifests[j].Head.Kind) })
	sort.SliceStable(hooks, func(i, j int) bool { return less(hooks[i].Kind, hooks[j].Kind) })
	return hooks, manifests, nil
}

// sortFile is releaseutil.SortManifests of one file, parsing each document once: Helm parses a
// document's YAML for its head (kind, name, annotations) and the caller parsed it again for the
// object, two thirds of the post-engine CPU for the umbrella. Each document is converted to JSON
// here, its head read from that JSON, and the JSON kept for the caller. A file whose documents
// Helm would read differently is left to Helm's own function: a hook (its events, weight and
// policies are Helm's business), a document that does not parse (Helm's error), or a head that is
// not all strings (Helm's YAML decoder turns `name: 1` into "1"; JSON refuses it).
func sortFile(file, content string) ([]*release.Hook, []manifest, error) {
	helms := func() ([]*release.Hook, []manifest, error) {
		hooks, ms, err := releaseutil.SortManifests(map[string]string{file: content}, nil, releaseutil.InstallOrder)
		out := make([]manifest, len(ms))
		for i, m := range ms {
			out[i] = manifest{Manifest: m}
		}
		return hooks, out, err
	}
	if strings.HasPrefix(path.Base(file), "_") || strings.TrimSpace(content) == "" {
		return nil, nil, nil
	}
	docs := releaseutil.SplitManifests(content)
	keys := slices.Collect(maps.Keys(docs))
	sort.Sort(releaseutil.BySplitManifestsOrder(keys))
	out := make([]manifest, 0, len(keys))
	for _, k := range keys {
		doc := docs[k]
		j, err := yaml.YAMLToJSON([]byte(doc))
		if err != nil {
			return helms()
		}
		var head releaseutil.SimpleHead
		if err := json.Unmarshal(j, &head); err != nil {
			return helms()
		}
		if head.Metadata != nil {
			if _, hook := head.Metadata.Annotations[release.HookAnnotation]; hook {
				return helms()
			}
		}
		out = append(out, manifest{Manifest: releaseutil.Manifest{Name: file, Content: doc, Head: &head}, json: j})
	}
	return nil, out, nil
}

// Document is one rendered manifest, "# Source: <template>" first.
type Document struct {
	Text string
	// JSON is the document (Text without its source line) as JSON, when the render converted it
	// already (most documents); nil otherwise.
	JSON   []byte
	Hook   bool
	Events []release.HookEvent
}

// Split splits a manifest of "---"-separated documents (a release's, as Helm stores it, or a
// chart's crds/ file) in its order.
func Split(manifest string) []Document {
	docs := releaseutil.SplitManifests(manifest)
	keys := make([]string, 0, len(docs))
	for k := range docs {
		keys = append(keys, k)
	}
	sort.Sort(releaseutil.BySplitManifestsOrder(keys))
	out := make([]Document, 0, len(keys))
	for _, k := range keys {
		out = append(out, Document{Text: docs[k]})
	}
	return out
}
