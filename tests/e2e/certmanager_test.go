//go:build e2e

package e2e

import (
	"context"
	"crypto/x509"
	"encoding/pem"
	"fmt"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/apimachinery/pkg/runtime/schema"
	"k8s.io/client-go/dynamic"

	"github.com/stack-charts/stack/tests/cluster"
	"github.com/stack-charts/stack/tests/kube"
)

// cert-manager (built from its Go module by the substrate) is up: its webhook admits a
// self-signed Issuer and a Certificate, the controller issues it, and the Secret holds a
// certificate for the requested name.
func TestSmokeCertManagerIssuesASelfSignedCertificate(t *testing.T) {
	parallel(t)
	needsAddon(t, "cert-manager")
	ns := namespace(t, "certs")
	cfg, err := env.Cluster.RESTConfigE()
	require.NoError(t, err)
	dyn, err := dynamic.NewForConfig(cfg)
	require.NoError(t, err)
	ctx := context.Background()
	issuers := dyn.Resource(schema.GroupVersionResource{Group: "cert-manager.io", Version: "v1", Resource: "issuers"}).Namespace(ns)
	certs := dyn.Resource(schema.GroupVersionResource{Group: "cert-manager.io", Version: "v1", Resource: "certificates"}).Namespace(ns)
	issuer := &unstructured.Unstructured{Object: map[string]any{"apiVersion": "cert-manager.io/v1", "kind": "Issuer",
		"metadata": map[string]any{"name": "selfsigned"}, "spec": map[string]any{"selfSigned": map[string]any{}}}}
	// The webhook may need a moment after its pod is Ready (the CA is injected asynchronously).
	kube.Wait(t, kube.WaitOptions{What: "the cert-manager webhook admits an Issuer", Timeout: 2 * time.Minute, Interval: 2 * time.Second}, func(ctx context.Context) (bool, string, error) {
		_, err := issuers.Create(ctx, issuer, metav1.CreateOptions{})
		if err != nil {
			return false, err.Error(), nil
		}
		return true, "", nil
	})
	cert := &unstructured.Unstructured{Object: map[string]any{"apiVersion": "cert-manager.io/v1", "kind": "Certificate",
		"metadata": map[string]any{"name": "edge"},
		"spec": map[string]any{"secretName": "edge-tls", "dnsNames": []any{"shop.example.test"},
			"issuerRef": map[string]any{"name": "selfsigned", "kind": "Issuer"}}}}
	_, err = certs.Create(ctx, cert, metav1.CreateOptions{})
	require.NoError(t, err)
	took := kube.Wait(t, kube.WaitOptions{What: "Certificate edge Ready", Timeout: 2 * time.Minute, Interval: time.Second}, func(ctx context.Context) (bool, string, error) {
		c, err := certs.Get(ctx, "edge", metav1.GetOptions{})
		if err != nil {
			return false, err.Error(), nil
		}
		conds, _, _ := unstructured.NestedSlice(c.Object, "status", "conditions")
		for _, x := range conds {
			m := x.(map[string]any)
			if m["type"] == "Ready" {
				return m["status"] == "True", fmt.Sprintf("Ready=%v: %v", m["status"], m["message"]), nil
			}
		}
		return false, "no Ready condition yet", nil
	})
	sec, err := env.Clientset.CoreV1().Secrets(ns).Get(ctx, "edge-tls", metav1.GetOptions{})
	require.NoError(t, err)
	block, _ := pem.Decode(sec.Data["tls.crt"])
	require.NotNil(t, block, "tls.crt is PEM")
	crt, err := x509.ParseCertificate(block.Bytes)
	require.NoError(t, err)
	require.Equal(t, []string{"shop.example.test"}, crt.DNSNames)
	progress(t, "cert-manager %s issued a certificate for %v in %s", cluster.CertManagerVersion, crt.DNSNames, took.Round(100*time.Millisecond))
}
