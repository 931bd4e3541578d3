//go:build e2e

package e2e

import (
	"context"
	"crypto/tls"
	"crypto/x509"
	"fmt"
	"io"
	"net"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/gruntwork-io/terratest/modules/k8s"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	"github.com/stack-charts/stack/tests/cluster"
	"github.com/stack-charts/stack/tests/kube"
)

// nodeAddress is the InternalIP of the cluster's first node (where NodePorts answer).
func nodeAddress(t *testing.T) string {
	t.Helper()
	nodes, err := env.Clientset.CoreV1().Nodes().List(context.Background(), metav1.ListOptions{})
	require.NoError(t, err)
	for _, a := range nodes.Items[0].Status.Addresses {
		if a.Type == corev1.NodeInternalIP {
			return a.Address
		}
	}
	require.FailNow(t, "the node has no InternalIP")
	return ""
}

// The TLS suite: cert-manager (running in the cluster) issues the edge certificate from
// cert-issuer's self-signed CA chain, the gateway serves it on the NodePort edge, and a client
// that trusts only that CA connects, checks the SAN and gets the frontend; clients that do not
// trust the CA, or ask for another name, are refused.
func TestTheEdgeServesACertificateIssuedByTheReleasesCA(t *testing.T) {
	parallel(t)
	needsAddon(t, "cert-manager")
	const domain = "shop.stack.test"
	ns := namespace(t, "tls")
	values := valuesFile(t, "tls.yaml", `global:
  domain: `+domain+`
  edge:
    mode: nodeport
    nodePort: {gateway: 30180, frontend: 30181, gatewayTLS: 30543}
cert-issuer:
  enabled: true
gateway:
  tls: {enabled: true}
`)
	installRelease(t, ns, "tls", withoutBackingServices(t, ns), values)
	progress(t, "tls: cert-manager %s in the cluster issues for cert-issuer", cluster.CertManagerVersion)

	kubectl := k8s.NewKubectlOptions("", env.Cluster.Kubeconfig, ns)
	for _, c := range []string{"stack-cert-issuer-ca", "stack-cert-issuer-edge"} {
		d := kube.Wait(t, kube.WaitOptions{What: "Certificate " + c + " Ready", Timeout: 2 * time.Minute, Interval: 2 * time.Second}, func(context.Context) (bool, string, error) {
			out, err := k8s.RunKubectlAndGetOutputE(t, kubectl, "get", "certificate", c, "-o", `jsonpath={.status.conditions[?(@.type=="Ready")].status}`)
			return err == nil && out == "True", fmt.Sprintf("Ready=%q %v", out, err), nil
		})
		progress(t, "tls: Certificate %s Ready (%s after the install)", c, d.Round(time.Second))
	}

	ca, err := env.Clientset.CoreV1().Secrets(ns).Get(context.Background(), "stack-cert-issuer-ca", metav1.GetOptions{})
	require.NoError(t, err)
	pool := x509.NewCertPool()
	require.True(t, pool.AppendCertsFromPEM(ca.Data["ca.crt"]), "the CA Secret holds a PEM certificate")

	edge := net.JoinHostPort(nodeAddress(t), "30543")
	dial := func(serverName string, roots *x509.CertPool) (*tls.Conn, error) {
		return tls.DialWithDialer(&net.Dialer{Timeout: 5 * time.Second}, "tcp", edge, &tls.Config{ServerName: serverName, RootCAs: roots, MinVersion: tls.VersionTLS12})
	}
	var conn *tls.Conn
	kube.Wait(t, kube.WaitOptions{What: "TLS handshake with the edge at " + edge, Timeout: time.Minute, Interval: 2 * time.Second}, func(context.Context) (bool, string, error) {
		conn, err = dial(domain, pool)
		return err == nil, fmt.Sprint(err), nil
	})
	state := conn.ConnectionState()
	leaf := state.PeerCertificates[0]
	_ = conn.Close()
	progress(t, "tls: %s serves %q (SAN %v) issued by %q, %s", edge, leaf.Subject.CommonName, leaf.DNSNames, leaf.Issuer.CommonName, tls.VersionName(state.Version))
	assert.Equal(t, []string{domain}, leaf.DNSNames)
	assert.Equal(t, "stack development CA", leaf.Issuer.CommonName)
	require.NoError(t, leaf.VerifyHostname(domain))

	// A client trusting only that CA gets the frontend through the gateway over HTTPS.
	client := &http.Client{Timeout: 10 * time.Second, Transport: &http.Transport{TLSClientConfig: &tls.Config{ServerName: domain, RootCAs: pool}}}
	resp, err := client.Get("https://" + edge + "/")
	require.NoError(t, err)
	body, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	assert.Equal(t, http.StatusOK, resp.StatusCode)
	assert.Contains(t, string(body), "stack frontend", "the frontend answered through the TLS edge")

	// Refusals: the system roots do not know the CA; another name is not in the SAN.
	_, err = dial(domain, nil)
	require.Error(t, err, "a client that does not trust the release's CA refuses the certificate")
	assert.True(t, strings.Contains(err.Error(), "unknown authority") || strings.Contains(err.Error(), "not trusted"), err.Error())
	_, err = dial("other.stack.test", pool)
	require.Error(t, err, "the certificate is not valid for another name")
	assert.Contains(t, err.Error(), "other.stack.test")
	progress(t, "tls: an untrusting client and a wrong name are refused")
}
