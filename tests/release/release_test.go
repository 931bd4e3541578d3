package release

import (
	"testing"
	"time"

	"github.com/stretchr/testify/require"
)

func TestOptionsNameWhatIsMissingAndDefaultTheRest(t *testing.T) {
	_, err := InstallE(t, Options{Namespace: "ns", Name: "r"})
	require.ErrorContains(t, err, "Kubeconfig, Namespace and Name are required")

	o := Options{Kubeconfig: "k", Namespace: "ns", Name: "web"}
	require.NoError(t, o.defaults())
	require.Equal(t, 5*time.Minute, o.Timeout)
	require.Equal(t, "app.kubernetes.io/instance=web", o.Selector)
	h := o.helmOptions()
	require.Equal(t, []string{"--wait", "--timeout", "5m0s"}, h.ExtraArgs["install"])
	require.Equal(t, h.ExtraArgs["install"], h.ExtraArgs["rollback"])
	require.Equal(t, "ns", h.KubectlOptions.Namespace)
}

func TestNamespacesAreTheManifestsOwn(t *testing.T) {
	manifest := `---
# Source: stack/templates/a.yaml
apiVersion: v1
kind: ConfigMap
metadata: {name: a}
---
apiVersion: v1
kind: Namespace
metadata: {name: mon, namespace: ignored}
---
apiVersion: apps/v1
kind: StatefulSet
metadata: {name: prom, namespace: mon}
---
apiVersion: v1
kind: Service
metadata: {name: b, namespace: app}
`
	require.Equal(t, []string{"app", "mon"}, Namespaces(manifest, "app")[0:2], "the release's first, then the others, once each")
	require.Equal(t, []string{"rel", "app", "mon"}, Namespaces(manifest, "rel"))
}

// failedTB is a test that has failed, whose cleanups the test runs itself.
type failedTB struct {
	testing.TB
	cleanups []func()
}

func (f *failedTB) Failed() bool      { return true }
func (f *failedTB) Cleanup(fn func()) { f.cleanups = append(f.cleanups, fn) }

func TestAFailedTestsReleaseCallsOnFailureBeforeItsUninstall(t *testing.T) {
	var got []string
	ft := &failedTB{TB: t}
	_, err := InstallE(ft, Options{Kubeconfig: "/nonexistent/kubeconfig", Namespace: "ns", Name: "r", Chart: "/nonexistent/chart",
		OnFailure: func(namespaces []string) { got = namespaces }})
	require.Error(t, err, "no cluster, no chart")
	require.Nil(t, got, "not before the test ends")
	require.Len(t, ft.cleanups, 1)
	ft.cleanups[0]()
	require.Equal(t, []string{"ns"}, got, "the release's namespace when helm cannot list the manifest's")
}
