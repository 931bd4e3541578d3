// Package render turns a chart and its values into the objects a release would create, with the
// Helm SDK and no cluster writes: what every stackcheck check looks at.
package render

import (
	"encoding/json"
	"fmt"
	"regexp"
	"slices"
	"strings"

	"helm.sh/helm/v3/pkg/chart"
	"helm.sh/helm/v3/pkg/release"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/client-go/kubernetes/scheme"
	sigsjson "sigs.k8s.io/json"
	"sigs.k8s.io/yaml"

	"github.com/stack-charts/stack/plugin/internal/parallel"
	"github.com/stack-charts/stack/plugin/pkg/chartload"
)

// Options say what to render and for which cluster.
type Options struct {
	// Chart is the chart's path, or Loaded the chart Load returned (load it before asking a
	// cluster anything: a chart that does not load is bad input whatever the cluster says).
	Chart  string
	Loaded *chart.Chart
	// Prepared, when set, is Loaded with the dependencies already applied for Values
	// (chartload.Prepare, taken while the cluster was asked for its APIs).
	Prepared  *chartload.Prepared
	Values    map[string]any
	Release   string
	Namespace string
	// KubeVersion ("v1.36.3") and APIVersions ("monitoring.coreos.com/v1/ServiceMonitor") are the
	// cluster's (preflight) or the user's (lint). Empty: chartload.DefaultKubeVersion.
	KubeVersion string
	APIVersions []string
}

// Object is one rendered object.
type Object struct {
	*unstructured.Unstructured
	// Source is the template that produced it.
	Source string
	// Hook is true for Helm hooks (e.g. `helm test` pods, pre-install Jobs).
	Hook bool
	// TestHook is true for `helm test` hooks: created only when the user runs `helm test`, so
	// they are the only objects a preflight may leave out. Every other hook runs during
	// install/upgrade under the same admission, quota and RBAC as the release's objects.
	TestHook bool
	// Typed is the object decoded into its Go type as the API server decodes it (case-sensitive
	// field names), for a built-in kind of a render; nil otherwise.
	Typed runtime.Object
}

// ID is Kind/namespace/name (namespace omitted for cluster-scoped objects).
func (o Object) ID() string {
	if o.GetNamespace() == "" {
		return o.GetKind() + "/" + o.GetName()
	}
	return o.GetKind() + "/" + o.GetNamespace() + "/" + o.GetName()
}

// Result is a rendered release.
type Result struct {
	Chart   *chart.Chart
	Objects []Object
	// CRDs are the CustomResourceDefinitions in the chart's (and its dependencies') crds/
	// directories, which Helm installs before the templates' objects (not templated).
	CRDs []Object
}

// BadInputError is a chart or values problem (exit code 2), with Helm's message (which names the
// key at fault for schema and template errors).
type BadInputError struct{ Err error }

func (e *BadInputError) Error() string { return e.Err.Error() }
func (e *BadInputError) Unwrap() error { return e.Err }

// Load loads a chart (and its dependencies) for Render; a chart that does not load is bad input.
func Load(path string) (*chart.Chart, error) {
	ch, err := chartload.Load(path)
	if err != nil {
		return nil, &BadInputError{err}
	}
	return ch, nil
}

// Render renders the chart. An object that does not fit its Kubernetes type (a value of the wrong
// type rendered into a field: `replicas: two`) is bad input naming the object and the field, as
// the API server would refuse it.
func Render(opts Options) (*Result, error) {
	ch := opts.Loaded
	if ch == nil {
		var err error
		if ch, err = Load(opts.Chart); err != nil {
			return nil, err
		}
	}
	prepared := opts.Prepared
	if prepared == nil {
		prepared = chartload.Prepare(ch, opts.Values)
	}
	rendered, err := prepared.Render(chartload.InstallOptions{Release: opts.Release, Namespace: opts.Namespace, KubeVersion: opts.KubeVersion, APIVersions: opts.APIVersions})
	if err != nil {
		return nil, &BadInputError{fmt.Errorf("render %s: %w", ch.Name(), err)}
	}
	res := &Result{Chart: ch}
	objs, err := decodeAll(rendered.Documents)
	if err != nil {
		return nil, err
	}
	res.Objects = objs
	crds := &Result{}
	for _, c := range ch.CRDObjects() {
		for _, d := range chartload.Split(string(c.File.Data)) {
			if err := crds.add("# Source: "+c.Filename+"\n"+d.Text, false); err != nil {
				return nil, err
			}
		}
	}
	res.CRDs = crds.Objects
	return res, nil
}

// decodeAll decodes the documents into objects, in their order, and checks each against its
// Go type, spread over the CPUs (a third of a render's CPU for the umbrella went to decoding
// each object from YAML and round-tripping it through its type). The first bad document in
// order is the one reported, as a sequential decode would.
func decodeAll(docs []chartload.Document) ([]Object, error) {
	decoded, err := parallel.Map(docs, 0, func(d chartload.Document) ([]Object, error) {
		r := &Result{}
		if err := r.addDocument(d); err != nil {
			return nil, err
		}
		for j := range r.Objects {
			r.Objects[j].TestHook = slices.Contains(d.Events, release.HookTest)
			typed, err := fitsItsType(r.Objects[j], d.JSON)
			if err != nil {
				return nil, err
			}
			r.Objects[j].Typed = typed
		}
		return r.Objects, nil
	})
	if err != nil {
		return nil, err
	}
	return slices.Concat(decoded...), nil
}

// decodeField is how encoding/json names the field a value did not fit.
var decodeField = regexp.MustCompile(`cannot unmarshal (\w+) into Go struct field \w+\.(\S+) of type (\S+)`)

// fitsItsType decodes a built-in kind into its Go type, as the API server will (sigs.k8s.io/json:
// field names are case-sensitive, as the server reads them), from raw (the document's JSON, as
// the render converted it) or else the object marshalled, and returns it (nil for a kind without
// a Go type here).
func fitsItsType(o Object, raw []byte) (runtime.Object, error) {
	typed, err := scheme.Scheme.New(o.GroupVersionKind())
	if err != nil {
		return nil, nil // not a built-in kind: its CRD's schema is the server's business
	}
	if raw == nil {
		if raw, err = json.Marshal(o.Object); err != nil {
			return nil, &BadInputError{fmt.Errorf("%s (%s): %w", o.ID(), o.Source, err)}
		}
	}
	// A JSON decoder, not the unstructured converter: its errors name the field's path.
	if err := sigsjson.UnmarshalCaseSensitivePreserveInts(raw, typed); err != nil {
		msg := err.Error()
		if m := decodeField.FindStringSubmatch(msg); m != nil {
			msg = fmt.Sprintf("%s is a %s where the API wants %s", m[2], m[1], m[3])
		}
		return nil, &BadInputError{fmt.Errorf("%s (%s): %s", o.ID(), o.Source, msg)}
	}
	return typed, nil
}

func (r *Result) add(doc string, hook bool) error {
	return r.addDocument(chartload.Document{Text: doc, Hook: hook})
}

// addDocument decodes one document: from its JSON when the render made it (the same conversion
// sigs.k8s.io/yaml makes), else from its YAML.
func (r *Result) addDocument(d chartload.Document) error {
	source, doc, hook := "", d.Text, d.Hook
	if first, rest, ok := strings.Cut(doc, "\n"); ok && strings.HasPrefix(first, "# Source: ") {
		source, doc = strings.TrimPrefix(first, "# Source: "), rest
	}
	var m map[string]any
	if d.JSON != nil {
		if err := json.Unmarshal(d.JSON, &m); err != nil {
			return &BadInputError{fmt.Errorf("%s: %w", source, err)}
		}
	} else if err := yaml.Unmarshal([]byte(doc), &m); err != nil {
		return &BadInputError{fmt.Errorf("%s: %w", source, err)}
	}
	if len(m) == 0 {
		return nil
	}
	u := &unstructured.Unstructured{Object: m}
	if u.GetKind() == "" || u.GetAPIVersion() == "" {
		return &BadInputError{fmt.Errorf("%s: an object without apiVersion or kind", source)}
	}
	r.Objects = append(r.Objects, Object{Unstructured: u, Source: source, Hook: hook})
	return nil
}

// Parse splits a release manifest (as Helm stores it) into objects.
func Parse(manifest string) ([]Object, error) {
	r := &Result{}
	for _, d := range chartload.Split(manifest) {
		if err := r.add(d.Text, false); err != nil {
			return nil, err
		}
	}
	return r.Objects, nil
}
