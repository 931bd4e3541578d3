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
