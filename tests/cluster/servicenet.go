package cluster

import (
	"bytes"
	"errors"
	"fmt"
	"net/netip"
	osexec "os/exec"
	"regexp"
	"strings"

	kindexec "sigs.k8s.io/kind/pkg/exec"
)

// serviceRangeFlag is the API server's Service network, as kubeadm writes it into its manifest.
var serviceRangeFlag = regexp.MustCompile(`--service-cluster-ip-range=(\S+)`)

// serviceCIDR is the IPv4 Service range of an API server's manifest (the one an nftables "ip"
// table filters; a dual-stack cluster's IPv6 range is left as it is): "" when it has none.
func serviceCIDR(manifest string) (string, error) {
	m := serviceRangeFlag.FindStringSubmatch(manifest)
	if m == nil {
		return "", errors.New("no --service-cluster-ip-range in the API server's manifest")
	}
	for _, r := range strings.Split(m[1], ",") {
		p, err := netip.ParsePrefix(r)
		if err != nil {
			return "", fmt.Errorf("service range %q: %w", r, err)
		}
		if p.Addr().Is4() {
			return p.String(), nil
		}
	}
	return "", nil
}

// serviceNetworkTable is the nftables table of the rule below, one per node.
const serviceNetworkTable = "stack-service-network"

// serviceNetworkRule is the shell that makes a node refuse, rather than route out, packets for the
// Service network cidr that no Service rule translated: pods' traffic (forward) and the node's own
// (output), in a table of its own whose chains run after kube-proxy's translation (NAT, priority
// -100) and before every filter chain (priority 0: the iptables rules, where the NetworkPolicy
// enforcer accepts the traffic its policies allow before a rule appended there is reached).
// Idempotent: the table is made once.
func serviceNetworkRule(cidr string) string {
	return fmt.Sprintf(`command -v nft >/dev/null || exit %[3]d
nft list table ip %[1]s >/dev/null 2>&1 && exit 0
nft -f - <<'EOF'
table ip %[1]s {
  chain forward { type filter hook forward priority -10; ip daddr %[2]s reject; }
  chain output { type filter hook output priority -10; ip daddr %[2]s reject; }
}
EOF`, serviceNetworkTable, cidr, noNFT)
}

// noNFT is serviceNetworkRule's exit status on a node without the nft command.
const noNFT = 3

// IsolateServiceNetworkE makes every node refuse a connection to a Service address that its
// kube-proxy has not programmed (yet, or any more) instead of sending it to the node's default
// route. In a cloud that address leads nowhere; on a kind node it leads to the host's network, and
// on a host whose outbound connections are intercepted the interceptor answers: a log collector's
// first requests to a Service created a second earlier drew HTTP 404 from it, dropped its blocks as
// rejected and kept the connection (a whole suite's lines lost), where a refusal is retried.
func (c *Cluster) IsolateServiceNetworkE() error {
	nodeList, err := c.Nodes()
	if err != nil {
		return err
	}
	cidr := ""
	for _, n := range nodeList {
		var out bytes.Buffer
		cmd := n.Command("cat", "/etc/kubernetes/manifests/kube-apiserver.yaml")
		cmd.SetStdout(&out)
		if cmd.Run() != nil {
			continue // a worker: no API server
		}
		if cidr, err = serviceCIDR(out.String()); err != nil {
			return fmt.Errorf("%s: %w", n, err)
		}
		break
	}
	if cidr == "" {
		return fmt.Errorf("cluster %s: no control-plane node with an IPv4 Service range found", c.Name)
	}
	for _, n := range nodeList {
		var out bytes.Buffer
		cmd := n.Command("sh", "-c", serviceNetworkRule(cidr))
		cmd.SetStdout(&out)
		cmd.SetStderr(&out)
		if err := cmd.Run(); err != nil {
			var exit *osexec.ExitError
			if re := kindexec.RunErrorForError(err); re != nil && errors.As(re.Inner, &exit) && exit.ExitCode() == noNFT {
				c.logf("%s has no nft command: its connections to Service addresses kube-proxy does not serve leave the node", n)
				return nil
			}
			return fmt.Errorf("%s: refuse the untranslated Service network %s: %w: %s", n, cidr, err, out.String())
		}
	}
	c.logf("nodes refuse connections to Service addresses kube-proxy does not serve (%s), rather than route them out", cidr)
	return nil
}
