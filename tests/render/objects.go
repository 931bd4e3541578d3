package render

import (
	"encoding/json"
	"fmt"

	"k8s.io/apimachinery/pkg/api/meta"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/apimachinery/pkg/runtime/schema"
	"k8s.io/apimachinery/pkg/runtime/serializer"
	"k8s.io/client-go/kubernetes/scheme"
	"sigs.k8s.io/yaml"
)

// Object is one rendered Kubernetes object.
type Object struct {
	// Obj is a typed client-go object (e.g. *appsv1.Deployment) for the built-in kinds, or an
	// *unstructured.Unstructured for custom resources (ServiceMonitor, Certificate...).
	Obj runtime.Object
	// Kind, APIVersion, Name and Namespace as written in the manifest.
	Kind, APIVersion, Name, Namespace string
	// Source is the template that rendered it.
	Source string
	// Hook is true for Helm hooks (e.g. `helm test` pods).
	Hook bool
	// Raw is the object's YAML as rendered.
	Raw string
}

// Meta is the object's metadata (labels, annotations, ...), whether it decoded into a typed
// object or an unstructured one.
func (o Object) Meta() metav1.Object {
	m, err := meta.Accessor(o.Obj)
	if err != nil {
		panic(fmt.Sprintf("%s/%s has no object metadata: %v", o.Kind, o.Name, err)) // every decoded object has
	}
	return m
}

// GVK is the object's group, version and kind.
func (o Object) GVK() schema.GroupVersionKind {
	return schema.FromAPIVersionAndKind(o.APIVersion, o.Kind)
}

// strict rejects unknown fields (and YAMLToJSONStrict duplicate keys), so a misspelt field in a template
// ("sessionAfinity") fails the render test instead of being silently dropped by the API server.
var strict = serializer.NewCodecFactory(scheme.Scheme, serializer.EnableStrict).UniversalDeserializer()

// Decode decodes one YAML document: built-in kinds strictly into typed objects, anything else
// into unstructured.
func Decode(doc string) (Object, error) {
	js, err := yaml.YAMLToJSONStrict([]byte(doc))
	if err != nil {
		return Object{}, fmt.Errorf("invalid YAML: %w", err)
	}
	var meta struct {
		APIVersion string `json:"apiVersion"`
		Kind       string `json:"kind"`
		Metadata   struct {
			Name      string `json:"name"`
			Namespace string `json:"namespace"`
		} `json:"metadata"`
	}
	if err := json.Unmarshal(js, &meta); err != nil {
		return Object{}, fmt.Errorf("document is not an object: %w", err)
	}
	if meta.Kind == "" || meta.APIVersion == "" {
		return Object{}, fmt.Errorf("document has no kind/apiVersion:\n%s", doc)
	}
	o := Object{Kind: meta.Kind, APIVersion: meta.APIVersion, Name: meta.Metadata.Name, Namespace: meta.Metadata.Namespace, Raw: doc}
	if scheme.Scheme.Recognizes(o.GVK()) {
		obj, _, err := strict.Decode(js, nil, nil)
		if err != nil {
			return Object{}, fmt.Errorf("%s %s: %w", meta.Kind, meta.Metadata.Name, err)
		}
		o.Obj = obj
		return o, nil
	}
	u := &unstructured.Unstructured{}
	if err := u.UnmarshalJSON(js); err != nil {
		return Object{}, fmt.Errorf("%s %s: %w", meta.Kind, meta.Metadata.Name, err)
	}
	o.Obj = u
	return o, nil
}
