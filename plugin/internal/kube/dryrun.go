package kube

import (
	"context"

	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/apimachinery/pkg/runtime/schema"
	"k8s.io/apimachinery/pkg/types"
	"k8s.io/client-go/kubernetes/scheme"
	"k8s.io/client-go/rest"
)

// DryRunner sends an object to the API server as a dry-run (dryRun=All: validation and admission,
// nothing persisted) and says only whether the server took it: the object the server would have
// stored is not needed, and not decoding it is most of a dry-run's cost to the client.
type DryRunner interface {
	// Create creates obj (JSON, or protobuf: ContentType) in namespace ("" for a cluster-scoped
	// resource).
	Create(ctx context.Context, gvr schema.GroupVersionResource, namespace string, obj Body) error
	// Apply server-side applies obj (JSON, a subset of YAML) as name, taking the fields from any
	// other manager (force), as an upgrade changes them.
	Apply(ctx context.Context, gvr schema.GroupVersionResource, namespace, name string, obj []byte) error
}

// Body is an object encoded for a request.
type Body struct {
	Data []byte
	// ContentType is runtime.ContentTypeJSON or runtime.ContentTypeProtobuf.
	ContentType string
}

// FieldManager is the manager the dry-runs name.
const FieldManager = "stackcheck"

// restDryRunner sends the requests through a REST client and reads only the status: a refusal is
// the server's Status, as client-go's typed and dynamic clients return it (apierrors).
type restDryRunner struct{ rest rest.Interface }

// NewDryRunner returns the DryRunner of a REST config (its host, credentials and transport).
func NewDryRunner(cfg *rest.Config) (DryRunner, error) {
	c := rest.CopyConfig(cfg)
	c.GroupVersion = &schema.GroupVersion{}
	c.APIPath = ""
	// A refusal's Status comes back as protobuf for a protobuf request, else as JSON.
	c.AcceptContentTypes = runtime.ContentTypeProtobuf + "," + runtime.ContentTypeJSON
	// Decodes the server's Status of a refusal into the error client-go gives.
	c.NegotiatedSerializer = scheme.Codecs.WithoutConversion()
	rc, err := rest.UnversionedRESTClientFor(c)
	if err != nil {
		return nil, err
	}
	return restDryRunner{rc}, nil
}

func (r restDryRunner) request(req *rest.Request, gvr schema.GroupVersionResource, namespace string) *rest.Request {
	if gvr.Group == "" {
		req = req.AbsPath("/api", gvr.Version)
	} else {
		req = req.AbsPath("/apis", gvr.Group, gvr.Version)
	}
	return req.NamespaceIfScoped(namespace, namespace != "").Resource(gvr.Resource).
		Param("dryRun", metav1.DryRunAll).Param("fieldManager", FieldManager)
}

func (r restDryRunner) Create(ctx context.Context, gvr schema.GroupVersionResource, namespace string, obj Body) error {
	return r.request(r.rest.Post(), gvr, namespace).SetHeader("Content-Type", obj.ContentType).Body(obj.Data).Do(ctx).Error()
}

func (r restDryRunner) Apply(ctx context.Context, gvr schema.GroupVersionResource, namespace, name string, obj []byte) error {
	return r.request(r.rest.Patch(types.ApplyPatchType), gvr, namespace).Name(name).Param("force", "true").Body(obj).Do(ctx).Error()
}
