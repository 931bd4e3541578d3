//go:build e2e

package e2e

import (
	"context"
	"errors"
	"fmt"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
	authenticationv1 "k8s.io/api/authentication/v1"
	corev1 "k8s.io/api/core/v1"
	rbacv1 "k8s.io/api/rbac/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/client-go/tools/clientcmd"
	clientcmdapi "k8s.io/client-go/tools/clientcmd/api"
)

// stackcheck builds the plugin's binary once per test.
func stackcheck(t *testing.T) string {
	t.Helper()
	bin := filepath.Join(t.TempDir(), "stackcheck")
	out, err := exec.Command("go", "build", "-o", bin, filepath.Join(root, "plugin", "cmd", "stackcheck")).CombinedOutput()
	require.NoError(t, err, "%s", out)
	return bin
}

func runCheck(t *testing.T, bin string, env []string, args ...string) (int, string, time.Duration) {
	t.Helper()
	cmd := exec.Command(bin, args...)
	cmd.Env = append(append(os.Environ(), "KUBECONFIG="+env0()), env...)
	start := time.Now()
	out, err := cmd.CombinedOutput()
	var ee *exec.ExitError
	if errors.As(err, &ee) {
		return ee.ExitCode(), string(out), time.Since(start)
	}
	require.NoError(t, err)
	return 0, string(out), time.Since(start)
}

// The failure cases, each against the live cluster with its exit code: no default
// StorageClass, a node port taken by another Service, a ServiceAccount limited to one namespace's
// Role, a context that does not exist, an API server that is not there.
func TestPreflightFailureCasesAgainstTheLiveCluster(t *testing.T) {
	bin := stackcheck(t)
	ns := namespace(t, "pfail")
	ctx := context.Background()
	cs := env.Clientset
	umbrella := filepath.Join(root, "charts", "stack")
	base := []string{"preflight", "shop", umbrella, "-n", ns, "-f", filepath.Join(umbrella, "profiles", "dev.yaml")}
	if env.Overlay != "" {
		base = append(base, "-f", env.Overlay)
	}

	// A healthy cluster: everything passes (the namespace exists with PSS restricted).
	code, out, took := runCheck(t, bin, nil, base...)
	t.Logf("preflight of the umbrella (dev profile) in %s:\n%s", took.Round(time.Millisecond), out)
	require.Equal(t, 0, code, out)

	// No default StorageClass: the PVCs would stay Pending.
	sc, err := cs.StorageV1().StorageClasses().Get(ctx, "standard", metav1.GetOptions{})
	require.NoError(t, err)
	setDefault := func(v string) {
		sc, err := cs.StorageV1().StorageClasses().Get(ctx, "standard", metav1.GetOptions{})
		require.NoError(t, err)
		sc.Annotations["storageclass.kubernetes.io/is-default-class"] = v
		_, err = cs.StorageV1().StorageClasses().Update(ctx, sc, metav1.UpdateOptions{})
		require.NoError(t, err)
	}
	t.Cleanup(func() { setDefault(sc.Annotations["storageclass.kubernetes.io/is-default-class"]) })
	setDefault("false")
	code, out, _ = runCheck(t, bin, nil, append(base, "--only", "storage")...)
	require.Equal(t, 3, code, out)
	require.Contains(t, out, "names no StorageClass and the cluster has no default one")
	setDefault("true")
	progress(t, "plugin: no default StorageClass -> storage FAIL, exit %d", code)

	// A Service elsewhere holds node port 30080.
	holder := &corev1.Service{ObjectMeta: metav1.ObjectMeta{Name: "holder"}, Spec: corev1.ServiceSpec{Type: corev1.ServiceTypeNodePort,
		Selector: map[string]string{"app": "none"}, Ports: []corev1.ServicePort{{Port: 80, NodePort: 30080}}}}
	other := namespace(t, "holder")
	_, err = cs.CoreV1().Services(other).Create(ctx, holder, metav1.CreateOptions{})
	require.NoError(t, err)
	code, out, _ = runCheck(t, bin, nil, append(base, "--only", "node-ports", "--set", "gateway.service.type=NodePort", "--set", "gateway.service.nodePort=30080")...)
	require.Equal(t, 3, code, out)
	require.Contains(t, out, fmt.Sprintf("node port 30080 is taken by Service %s/holder", other))
	progress(t, "plugin: node port 30080 taken -> node-ports FAIL, exit %d", code)

	// Capacity against the node as it is: a pod asking more CPU than any node has, and a pod
	// selecting a node label no node carries (this suite runs alone, before the parallel ones).
	code, out, _ = runCheck(t, bin, nil, append(base, "--only", "capacity", "--set", "services.apps.users.resources.requests.cpu=64")...)
	require.Equal(t, 3, code, out)
	require.Contains(t, out, "shop-users")
	require.Contains(t, out, "fit no node")
	code, out, _ = runCheck(t, bin, nil, append(base, "--only", "capacity", "--set", "services.apps.users.nodeSelector.pool=gpu")...)
	require.Equal(t, 3, code, out)
	require.Contains(t, out, "does not match the nodeSelector")
	progress(t, "plugin: a pod larger than any node, and one selecting no node -> capacity FAIL, exit %d", code)

	// A ServiceAccount whose Role only allows ConfigMaps and Secrets in the namespace.
	_, err = cs.CoreV1().ServiceAccounts(ns).Create(ctx, &corev1.ServiceAccount{ObjectMeta: metav1.ObjectMeta{Name: "deployer"}}, metav1.CreateOptions{})
	require.NoError(t, err)
	_, err = cs.RbacV1().Roles(ns).Create(ctx, &rbacv1.Role{ObjectMeta: metav1.ObjectMeta{Name: "deployer"}, Rules: []rbacv1.PolicyRule{
		{APIGroups: []string{""}, Resources: []string{"configmaps", "secrets", "namespaces"}, Verbs: []string{"get", "list", "create", "patch"}}}}, metav1.CreateOptions{})
	require.NoError(t, err)
	_, err = cs.RbacV1().RoleBindings(ns).Create(ctx, &rbacv1.RoleBinding{ObjectMeta: metav1.ObjectMeta{Name: "deployer"},
		RoleRef:  rbacv1.RoleRef{APIGroup: "rbac.authorization.k8s.io", Kind: "Role", Name: "deployer"},
		Subjects: []rbacv1.Subject{{Kind: "ServiceAccount", Name: "deployer", Namespace: ns}}}, metav1.CreateOptions{})
	require.NoError(t, err)
	tok, err := cs.CoreV1().ServiceAccounts(ns).CreateToken(ctx, "deployer", &authenticationv1.TokenRequest{}, metav1.CreateOptions{})
	require.NoError(t, err)
	admin, err := clientcmd.LoadFromFile(env0())
	require.NoError(t, err)
	cluster := admin.Clusters[admin.Contexts[admin.CurrentContext].Cluster]
	limited := clientcmdapi.NewConfig()
	limited.Clusters["kind"] = cluster
	limited.AuthInfos["deployer"] = &clientcmdapi.AuthInfo{Token: tok.Status.Token}
	limited.Contexts["deployer"] = &clientcmdapi.Context{Cluster: "kind", AuthInfo: "deployer", Namespace: ns}
	limited.CurrentContext = "deployer"
	kc := filepath.Join(t.TempDir(), "deployer.kubeconfig")
	require.NoError(t, clientcmd.WriteToFile(*limited, kc))
	code, out, _ = runCheck(t, bin, []string{"KUBECONFIG=" + kc}, append(base, "--only", "rbac")...)
	require.Equal(t, 3, code, out)
	for _, forbidden := range []string{"deployments.apps", "statefulsets.apps", "services", "networkpolicies.networking.k8s.io", "cronjobs.batch"} {
		require.Contains(t, out, "you may not create "+forbidden+" in namespace "+ns, out)
	}
	require.NotContains(t, out, "you may not create configmaps", "what the Role allows is not listed")
	// Helm writes its release record, then updates it: the Role's secrets without update fail too.
	require.Contains(t, out, "you may not update secrets in namespace "+ns+", where Helm keeps the release's records", out)
	progress(t, "plugin: a namespace-only Role -> rbac FAIL listing what is forbidden, exit %d", code)

	// Could not run: a context that does not exist; an API server that refuses; one that never answers.
	code, out, took = runCheck(t, bin, nil, "preflight", umbrella, "--kube-context", "no-such-context", "--timeout", "10s")
	require.Equal(t, 1, code, out)
	require.Contains(t, out, `context "no-such-context" does not exist`)
	code, out, took = runCheck(t, bin, []string{"HELM_KUBEAPISERVER=https://127.0.0.1:1", "HELM_KUBETOKEN=x"}, "preflight", umbrella, "--timeout", "10s")
	require.Equal(t, 1, code, out)
	require.Contains(t, out, "cannot reach the cluster at https://127.0.0.1:1")
	hang, err := net.Listen("tcp", "127.0.0.1:0")
	require.NoError(t, err)
	defer hang.Close()
	go func() {
		for {
			c, err := hang.Accept()
			if err != nil {
				return
			}
			defer c.Close() // accept and never answer
		}
	}()
	code, out, took = runCheck(t, bin, []string{"HELM_KUBEAPISERVER=https://" + hang.Addr().String(), "HELM_KUBETOKEN=x", "HELM_KUBEINSECURE_SKIP_TLS_VERIFY=true"}, "preflight", umbrella, "--timeout", "3s")
	require.Equal(t, 1, code, out)
	require.Less(t, took, 10*time.Second, "the --timeout bounds a server that never answers")
	require.True(t, strings.Contains(out, "cannot reach the cluster"), out)
	progress(t, "plugin: no such context / refused / silent API server -> exit 1 (the silent one after %s with --timeout 3s): %s", took.Round(100*time.Millisecond), strings.TrimSpace(out))
}
