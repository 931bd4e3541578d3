package check

import (
	"context"
	"sync"

	authorizationv1 "k8s.io/api/authorization/v1"
	corev1 "k8s.io/api/core/v1"
	networkingv1 "k8s.io/api/networking/v1"
	storagev1 "k8s.io/api/storage/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	"github.com/stack-charts/stack/plugin/internal/kube"
)

// Reads are the cluster reads the checks make that do not depend on the release: each is made
// once per run, by the first check that needs it or earlier by Prefetch (preflight starts them
// while the chart renders, so the checks find most answers waiting). An error is kept and given
// to every check that asks, as the call itself would have given it.
type Reads struct {
	clients *kube.Clients
	mu      sync.Mutex
	calls   map[string]func() (any, error)
}

// NewReads makes the reads of one run against clients.
func NewReads(clients *kube.Clients) *Reads {
	return &Reads{clients: clients, calls: map[string]func() (any, error){}}
}

// Prefetcher is a check that knows, before the release is rendered, which reads it will make:
// Prefetch makes them.
type Prefetcher interface {
	Prefetch(ctx context.Context, r *Reads, release, namespace string)
}

// Prefetch makes, in the background, the reads the checks declare for a release in namespace
// (release "" when its name is not known yet): each check's one after the other, the checks' at
// once.
func (r *Reads) Prefetch(ctx context.Context, checks []Check, release, namespace string) {
	for _, c := range checks {
		if p, ok := c.(Prefetcher); ok {
			go p.Prefetch(ctx, r, release, namespace)
		}
	}
}

// once makes the read named key the first time and gives its answer to every caller.
func once[T any](r *Reads, key string, read func() (T, error)) (T, error) {
	r.mu.Lock()
	call, ok := r.calls[key]
	if !ok {
		call = sync.OnceValues(func() (any, error) { return read() })
		r.calls[key] = call
	}
	r.mu.Unlock()
	v, err := call()
	t, _ := v.(T)
	return t, err
}

// Nodes lists the cluster's nodes.
func (r *Reads) Nodes(ctx context.Context) (*corev1.NodeList, error) {
	return once(r, "nodes", func() (*corev1.NodeList, error) {
		return r.clients.Typed.CoreV1().Nodes().List(ctx, metav1.ListOptions{})
	})
}

// ActivePods lists the pods of every namespace that are neither Succeeded nor Failed (the ones
// that hold their requests on a node).
func (r *Reads) ActivePods(ctx context.Context) (*corev1.PodList, error) {
	return once(r, "pods", func() (*corev1.PodList, error) {
		return r.clients.Typed.CoreV1().Pods("").List(ctx, metav1.ListOptions{FieldSelector: "status.phase!=Succeeded,status.phase!=Failed"})
	})
}

// Services lists the Services of every namespace.
func (r *Reads) Services(ctx context.Context) (*corev1.ServiceList, error) {
	return once(r, "services", func() (*corev1.ServiceList, error) {
		return r.clients.Typed.CoreV1().Services("").List(ctx, metav1.ListOptions{})
	})
}

// StorageClasses lists the cluster's StorageClasses.
func (r *Reads) StorageClasses(ctx context.Context) (*storagev1.StorageClassList, error) {
	return once(r, "storageclasses", func() (*storagev1.StorageClassList, error) {
		return r.clients.Typed.StorageV1().StorageClasses().List(ctx, metav1.ListOptions{})
	})
}

// IngressClasses lists the cluster's IngressClasses.
func (r *Reads) IngressClasses(ctx context.Context) (*networkingv1.IngressClassList, error) {
	return once(r, "ingressclasses", func() (*networkingv1.IngressClassList, error) {
		return r.clients.Typed.NetworkingV1().IngressClasses().List(ctx, metav1.ListOptions{})
	})
}

// Namespace gets a namespace (a NotFound error when it does not exist).
func (r *Reads) Namespace(ctx context.Context, name string) (*corev1.Namespace, error) {
	return once(r, "namespace/"+name, func() (*corev1.Namespace, error) {
		return r.clients.Typed.CoreV1().Namespaces().Get(ctx, name, metav1.GetOptions{})
	})
}

// Rules are the user's rules in a namespace (a SelfSubjectRulesReview).
func (r *Reads) Rules(ctx context.Context, namespace string) ([]authorizationv1.ResourceRule, error) {
	return once(r, "rules/"+namespace, func() ([]authorizationv1.ResourceRule, error) {
		review := &authorizationv1.SelfSubjectRulesReview{Spec: authorizationv1.SelfSubjectRulesReviewSpec{Namespace: namespace}}
		got, err := r.clients.Typed.AuthorizationV1().SelfSubjectRulesReviews().Create(ctx, review, metav1.CreateOptions{})
		if err != nil {
			return nil, err
		}
		return got.Status.ResourceRules, nil
	})
}

// ReleaseExists says whether Helm keeps a record of the release in namespace (an upgrade, not an
// install): one record looked for, where HELM_DRIVER says Helm keeps them. Unknown (an error, or a
// driver outside the cluster's API) is false.
func (r *Reads) ReleaseExists(ctx context.Context, namespace, release string) bool {
	exists, _ := once(r, "release/"+namespace+"/"+release, func() (bool, error) {
		opts := metav1.ListOptions{LabelSelector: "owner=helm,name=" + release, Limit: 1}
		switch helmStorage() {
		case "secrets":
			l, err := r.clients.Typed.CoreV1().Secrets(namespace).List(ctx, opts)
			return err == nil && len(l.Items) > 0, err
		case "configmaps":
			l, err := r.clients.Typed.CoreV1().ConfigMaps(namespace).List(ctx, opts)
			return err == nil && len(l.Items) > 0, err
		}
		return false, nil
	})
	return exists
}
