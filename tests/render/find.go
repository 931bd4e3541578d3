package render

import (
	"fmt"
	"reflect"
	"sort"
	"strings"
	"testing"

	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/apimachinery/pkg/runtime"
)

// GetE returns the object of type T (e.g. *appsv1.Deployment) named name.
func GetE[T runtime.Object](r *Result, name string) (T, error) {
	var zero T
	var names []string
	for _, o := range r.Objects {
		if t, ok := o.Obj.(T); ok {
			if o.Name == name {
				return t, nil
			}
			names = append(names, o.Name)
		}
	}
	sort.Strings(names)
	return zero, fmt.Errorf("no %s named %q in the render (have: %s)", typeName[T](), name, strings.Join(names, ", "))
}

// Get is GetE that fails the test.
func Get[T runtime.Object](t testing.TB, r *Result, name string) T {
	t.Helper()
	obj, err := GetE[T](r, name)
	if err != nil {
		t.Fatal(err)
	}
	return obj
}

// All returns every object of type T, in render order.
func All[T runtime.Object](r *Result) []T {
	var out []T
	for _, o := range r.Objects {
		if t, ok := o.Obj.(T); ok {
			out = append(out, t)
		}
	}
	return out
}

// Has reports whether an object of type T named name was rendered.
func Has[T runtime.Object](r *Result, name string) bool {
	_, err := GetE[T](r, name)
	return err == nil
}

// UnstructuredE returns the custom resource of kind named name.
func UnstructuredE(r *Result, kind, name string) (*unstructured.Unstructured, error) {
	for _, o := range r.Objects {
		if u, ok := o.Obj.(*unstructured.Unstructured); ok && o.Kind == kind && o.Name == name {
			return u, nil
		}
	}
	return nil, fmt.Errorf("no %s named %q in the render (kinds: %s)", kind, name, strings.Join(r.Kinds(), ", "))
}

// Unstructured is UnstructuredE that fails the test.
func Unstructured(t testing.TB, r *Result, kind, name string) *unstructured.Unstructured {
	t.Helper()
	u, err := UnstructuredE(r, kind, name)
	if err != nil {
		t.Fatal(err)
	}
	return u
}

// Count returns how many objects of kind were rendered.
func (r *Result) Count(kind string) int {
	n := 0
	for _, o := range r.Objects {
		if o.Kind == kind {
			n++
		}
	}
	return n
}

func typeName[T any]() string {
	return reflect.TypeOf((*T)(nil)).Elem().String()
}
