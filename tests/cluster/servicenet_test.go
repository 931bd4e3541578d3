package cluster

import (
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"
)

// The node's rule, run by sh against a stand-in nft that records its calls: the table is made
// once, with a reject of the Service network in the forward and output hooks ahead of the filter
// chains, and a node without nft exits with the status that says so.
func TestTheServiceNetworkRuleMakesItsTableOnce(t *testing.T) {
	dir := t.TempDir()
	calls := filepath.Join(dir, "calls")
	made := filepath.Join(dir, "made")
	nft := `#!/bin/sh
echo "nft $*" >>` + calls + `
case "$1" in
  list) [ -e ` + made + ` ] ;;
  -f) cat >>` + calls + ` && touch ` + made + ` ;;
esac
`
	require.NoError(t, os.WriteFile(filepath.Join(dir, "nft"), []byte(nft), 0o755))
	run := func(path string) int {
		cmd := exec.Command("/bin/sh", "-c", serviceNetworkRule("10.96.0.0/16"))
		cmd.Env = []string{"PATH=" + path}
		err := cmd.Run()
		if exit, ok := err.(*exec.ExitError); ok {
			return exit.ExitCode()
		}
		require.NoError(t, err)
		return 0
	}
	require.Equal(t, 0, run(dir+":/usr/bin:/bin"))
	require.Equal(t, 0, run(dir+":/usr/bin:/bin"), "again: nothing to do")
	got, err := os.ReadFile(calls)
	require.NoError(t, err)
	log := string(got)
	require.Equal(t, 2, strings.Count(log, "nft list table ip stack-service-network"), "looked for each time")
	require.Equal(t, 1, strings.Count(log, "nft -f -"), "made once")
	require.Contains(t, log, "chain forward { type filter hook forward priority -10; ip daddr 10.96.0.0/16 reject; }")
	require.Contains(t, log, "chain output { type filter hook output priority -10; ip daddr 10.96.0.0/16 reject; }")
	require.Equal(t, noNFT, run(filepath.Join(dir, "empty")), "no nft on the node")
}

func TestTheServiceRangeIsTheAPIServersIPv4One(t *testing.T) {
	for manifest, want := range map[string]string{
		"    - --service-account-key-file=/etc/kubernetes/pki/sa.pub\n    - --service-cluster-ip-range=10.96.0.0/16\n": "10.96.0.0/16",
		"    - --service-cluster-ip-range=fd00:10:96::/112,10.96.0.0/12\n":                                             "10.96.0.0/12",
		"    - --service-cluster-ip-range=fd00:10:96::/112\n":                                                          "",
	} {
		got, err := serviceCIDR(manifest)
		require.NoError(t, err)
		require.Equal(t, want, got, manifest)
	}
	_, err := serviceCIDR("    - --secure-port=6443\n")
	require.ErrorContains(t, err, "no --service-cluster-ip-range")
	_, err = serviceCIDR("    - --service-cluster-ip-range=10.96.0.0/99\n")
	require.ErrorContains(t, err, `service range "10.96.0.0/99"`)
}
