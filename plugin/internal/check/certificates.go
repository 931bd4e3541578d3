package check

import (
	"context"
	"fmt"

	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/apimachinery/pkg/runtime/schema"
)

var certificateGVR = schema.GroupVersionResource{Group: "cert-manager.io", Version: "v1", Resource: "certificates"}

// CertificatesReady: the release's cert-manager Certificates are Ready.
type CertificatesReady struct{}

func (CertificatesReady) Name() string { return "certificates" }

func (CertificatesReady) Description() string {
	return "every cert-manager Certificate of the release is Ready"
}

func (CertificatesReady) Run(ctx context.Context, env *Env) []Result {
	var out []Result
	for _, o := range env.Objects {
		if o.GetKind() != "Certificate" {
			continue
		}
		c, err := env.Clients.Dynamic.Resource(certificateGVR).Namespace(namespaceOf(env, o)).Get(ctx, o.GetName(), metav1.GetOptions{})
		if err != nil {
			out = append(out, Result{Status: Fail, Object: o.ID(), Message: err.Error()})
			continue
		}
		status, msg := condition(c, "Ready")
		if status == "True" {
			out = append(out, Result{Status: Pass, Object: o.ID(), Message: "Ready: " + msg})
		} else {
			out = append(out, Result{Status: Fail, Object: o.ID(), Message: fmt.Sprintf("not Ready (%s): %s", status, msg), Hint: "kubectl describe certificate, certificaterequest and the issuer"})
		}
	}
	return out
}

func condition(u *unstructured.Unstructured, typ string) (string, string) {
	conds, _, _ := unstructured.NestedSlice(u.Object, "status", "conditions")
	for _, c := range conds {
		m, _ := c.(map[string]any)
		if m["type"] == typ {
			return fmt.Sprint(m["status"]), fmt.Sprint(m["message"])
		}
	}
	return "Unknown", "no " + typ + " condition yet"
}
