package kube

import (
	"testing"

	"github.com/stretchr/testify/require"
	corev1 "k8s.io/api/core/v1"
	networkingv1 "k8s.io/api/networking/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
)

// Lines as kube-router v1.4 writes them (captured from the e2e cluster).
const enforcerOutput = `*filter
:KUBE-POD-FW-XX5DWMSDSIZKA3X5 - [0:0]
-A KUBE-POD-FW-XX5DWMSDSIZKA3X5 -m comment --comment "rule for stateful firewall for pod" -m conntrack --ctstate RELATED,ESTABLISHED -j ACCEPT
-A KUBE-POD-FW-XX5DWMSDSIZKA3X5 -m comment --comment "run through nw policy deny" -j KUBE-NWPLCY-QP5HGFCITHB6MHUX
-A KUBE-ROUTER-FORWARD -d 10.244.0.237/32 -m comment --comment "rule to jump traffic destined to POD name:p1 namespace: probe-x to chain KUBE-POD-FW-XX5DWMSDSIZKA3X5" -j KUBE-POD-FW-XX5DWMSDSIZKA3X5
-A KUBE-ROUTER-FORWARD -s 10.244.0.237/32 -m comment --comment "rule to jump traffic from POD name:p1 namespace: probe-x to chain KUBE-POD-FW-XX5DWMSDSIZKA3X5" -j KUBE-POD-FW-XX5DWMSDSIZKA3X5
COMMIT
#ipset
create KUBE-DST-HYL63TRRQPJICRJQ hash:ip family inet hashsize 1024 maxelem 65536 timeout 0
add KUBE-DST-HYL63TRRQPJICRJQ 10.244.0.237 timeout 0
add KUBE-DST-PORTS 10.244.0.9,tcp:8080 timeout 0
`

func policedPod(name, ip, node string, labels map[string]string) corev1.Pod {
	return corev1.Pod{ObjectMeta: metav1.ObjectMeta{Name: name, Namespace: "probe-x", Labels: labels},
		Spec: corev1.PodSpec{NodeName: node}, Status: corev1.PodStatus{PodIP: ip}}
}

func TestEnforcerStateSaysWhichPodsArePolicedByWhichPolicies(t *testing.T) {
	st := parseEnforcerState(enforcerOutput)
	require.Equal(t, "KUBE-POD-FW-XX5DWMSDSIZKA3X5", st.podChain[podKey{ip: "10.244.0.237", pod: "p1", namespace: "probe-x"}])
	require.True(t, st.chainPolicies["KUBE-POD-FW-XX5DWMSDSIZKA3X5"]["deny"])
	require.True(t, st.addresses["10.244.0.237"])
	require.True(t, st.addresses["10.244.0.9"], "hash:ip,port entries count by address")

	nodes := map[string]*enforcerState{"n1": st}
	require.Empty(t, programmed(policedPod("p1", "10.244.0.237", "n1", nil), []string{"deny"}, nodes))
	require.Equal(t, "policy allow-web not in its chain", programmed(policedPod("p1", "10.244.0.237", "n1", nil), []string{"deny", "allow-web"}, nodes))
	require.Equal(t, "no address yet", programmed(policedPod("p2", "", "n1", nil), []string{"deny"}, nodes))
	require.Equal(t, "no firewall chain for 10.244.0.240", programmed(policedPod("p2", "10.244.0.240", "n1", nil), []string{"deny"}, nodes),
		"a new pod the enforcer has not seen")
	require.Equal(t, "no firewall chain for 10.244.0.238", programmed(policedPod("p1", "10.244.0.238", "n1", nil), []string{"deny"}, nodes),
		"a pod recreated under the same name with a new address is not programmed by its predecessor's chain")
	nodes["n2"] = parseEnforcerState("#ipset\n")
	require.Equal(t, "address not in the sets of node n2", programmed(policedPod("p1", "10.244.0.237", "n1", nil), []string{"deny"}, nodes))

	policies := []networkingv1.NetworkPolicy{
		{ObjectMeta: metav1.ObjectMeta{Name: "deny"}},
		{ObjectMeta: metav1.ObjectMeta{Name: "web"}, Spec: networkingv1.NetworkPolicySpec{PodSelector: metav1.LabelSelector{MatchLabels: map[string]string{"app": "web"}}}},
	}
	require.Equal(t, []string{"deny", "web"}, selecting(policies, policedPod("w", "", "", map[string]string{"app": "web"})))
	require.Equal(t, []string{"deny"}, selecting(policies, policedPod("o", "", "", map[string]string{"app": "other"})))
}

func TestAPeerIsProgrammedWhenItsAddressIsInEveryNodesSets(t *testing.T) {
	nodes := map[string]*enforcerState{"n1": parseEnforcerState(enforcerOutput), "n2": parseEnforcerState("#ipset\nadd KUBE-SRC-A 10.244.0.237 timeout 0\n")}
	require.Empty(t, inSets(policedPod("c", "10.244.0.237", "n9", nil), nodes), "on another node than both enforcers, by address only")
	require.Equal(t, "address not in the sets of node n2", inSets(policedPod("c", "10.244.0.9", "n1", nil), nodes))
	require.Equal(t, "no address yet", inSets(policedPod("c", "", "n1", nil), nodes))
}

func TestOnlyAPodAPeerSelectorNamesNeedsToBeInTheSets(t *testing.T) {
	rule := func(peers ...networkingv1.NetworkPolicyPeer) networkingv1.NetworkPolicy {
		return networkingv1.NetworkPolicy{ObjectMeta: metav1.ObjectMeta{Name: "np", Namespace: "app"},
			Spec: networkingv1.NetworkPolicySpec{Ingress: []networkingv1.NetworkPolicyIngressRule{{From: peers}}}}
	}
	client := policedPod("c", "10.0.0.9", "n1", map[string]string{"role": "client"})
	client.Namespace = "edge"
	ns := map[string]map[string]string{"edge": {"kubernetes.io/metadata.name": "edge"}, "app": {}}
	sel := func(m map[string]string) *metav1.LabelSelector { return &metav1.LabelSelector{MatchLabels: m} }

	require.False(t, namedAsPeer([]networkingv1.NetworkPolicy{rule()}, ns, client), "a policy admitting every source holds no set for it")
	require.False(t, namedAsPeer([]networkingv1.NetworkPolicy{rule(networkingv1.NetworkPolicyPeer{IPBlock: &networkingv1.IPBlock{CIDR: "0.0.0.0/0"}})}, ns, client))
	require.False(t, namedAsPeer([]networkingv1.NetworkPolicy{rule(networkingv1.NetworkPolicyPeer{PodSelector: sel(map[string]string{"role": "client"})})}, ns, client),
		"a bare podSelector names pods of the policy's own namespace only")
	require.True(t, namedAsPeer([]networkingv1.NetworkPolicy{rule(networkingv1.NetworkPolicyPeer{NamespaceSelector: &metav1.LabelSelector{}})}, ns, client),
		"every namespace")
	require.True(t, namedAsPeer([]networkingv1.NetworkPolicy{rule(networkingv1.NetworkPolicyPeer{NamespaceSelector: sel(map[string]string{"kubernetes.io/metadata.name": "edge"}), PodSelector: sel(map[string]string{"role": "client"})})}, ns, client))
	require.False(t, namedAsPeer([]networkingv1.NetworkPolicy{rule(networkingv1.NetworkPolicyPeer{NamespaceSelector: sel(map[string]string{"kubernetes.io/metadata.name": "edge"}), PodSelector: sel(map[string]string{"role": "other"})})}, ns, client))
}
