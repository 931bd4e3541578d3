package kube

import (
	"context"
	"errors"
	"fmt"
	"sort"
	"strings"

	corev1 "k8s.io/api/core/v1"
	networkingv1 "k8s.io/api/networking/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/labels"
	"k8s.io/client-go/kubernetes"
	"k8s.io/client-go/rest"
)

// A pod is Ready when its containers answer, which says nothing about the NetworkPolicy
// enforcer: it programs a new pod's address asynchronously, after the pod has one. Until it has,
// the peers whose policies admit the pod refuse it (its address is in none of their allow-lists)
// — on a busy node for seconds, long after the pod is Ready. PolicyProgrammed is the signal that
// it is over, read from the enforcer's own state instead of guessed with sleeps or retries.

// ErrNoEnforcer says no NetworkPolicy enforcer the framework can read runs in the cluster.
var ErrNoEnforcer = errors.New("no kube-router pods (kube-system, k8s-app=kube-router): the NetworkPolicy enforcer's state cannot be read")

// EnforcerSelector finds the kube-router pods (one per node) whose state PolicyProgrammed reads.
var EnforcerSelector = struct{ Namespace, Labels string }{"kube-system", "k8s-app=kube-router"}

// PolicyProgrammed is a Condition: kube-router has programmed every running pod of the namespace
// that matches selector and that a NetworkPolicy of its namespace selects — on the pod's node,
// the pod's firewall chain (for its current address) runs through each of those policies, and on
// every node the address is in the enforcer's address sets (what the peers' allow rules match).
// Pods no policy selects need nothing and are not waited for, and no pods at all is done: wait
// for the pods (PodsReady, WorkloadsReady) first. It errors with ErrNoEnforcer when
// the cluster runs no kube-router, rather than passing without having looked.
func PolicyProgrammed(cfg *rest.Config, cs kubernetes.Interface, namespace, selector string) Condition {
	return policyCondition(cfg, cs, namespace, selector, false)
}

// PeerProgrammed is a Condition for client pods that a policy elsewhere admits as a peer (their
// own namespace may have no policy at all): each matching pod that some policy's peer selector
// (podSelector and/or namespaceSelector, in any namespace) names has its current address in every
// node's address sets. A pod no peer selector names needs nothing — a policy that admits every
// source, or an ipBlock, matches it without a set — and is not waited for.
func PeerProgrammed(cfg *rest.Config, cs kubernetes.Interface, namespace, selector string) Condition {
	return policyCondition(cfg, cs, namespace, selector, true)
}

func policyCondition(cfg *rest.Config, cs kubernetes.Interface, namespace, selector string, peer bool) Condition {
	return func(ctx context.Context) (bool, string, error) {
		pods, err := cs.CoreV1().Pods(namespace).List(ctx, metav1.ListOptions{LabelSelector: selector})
		if err != nil {
			return false, "list pods: " + err.Error(), nil
		}
		policies, err := cs.NetworkingV1().NetworkPolicies(namespace).List(ctx, metav1.ListOptions{})
		if err != nil {
			return false, "list NetworkPolicies: " + err.Error(), nil
		}
		var everywhere []networkingv1.NetworkPolicy
		nsLabels := map[string]map[string]string{}
		if peer {
			all, err := cs.NetworkingV1().NetworkPolicies("").List(ctx, metav1.ListOptions{})
			if err != nil {
				return false, "list NetworkPolicies: " + err.Error(), nil
			}
			everywhere = all.Items
			nsList, err := cs.CoreV1().Namespaces().List(ctx, metav1.ListOptions{})
			if err != nil {
				return false, "list namespaces: " + err.Error(), nil
			}
			for _, n := range nsList.Items {
				nsLabels[n.Name] = n.Labels
			}
		}
		nodes, status, err := readEnforcers(ctx, cfg, cs)
		if nodes == nil {
			return false, status, err
		}
		var waiting []string
		checked := 0
		for _, p := range pods.Items {
			if p.DeletionTimestamp != nil || p.Spec.HostNetwork || p.Status.Phase == corev1.PodSucceeded || p.Status.Phase == corev1.PodFailed {
				continue
			}
			selectedBy := selecting(policies.Items, p)
			if len(selectedBy) == 0 && !peer {
				continue
			}
			if peer && !namedAsPeer(everywhere, nsLabels, p) {
				continue
			}
			checked++
			why := ""
			if peer {
				why = inSets(p, nodes)
			} else {
				why = programmed(p, selectedBy, nodes)
			}
			if why != "" {
				waiting = append(waiting, p.Name+" ("+why+")")
			}
		}
		if len(pods.Items) == 0 {
			return true, "no pods match: nothing to program (wait for the pods first)", nil
		}
		sort.Strings(waiting)
		return len(waiting) == 0, fmt.Sprintf("%d/%d programmed; waiting for %s", checked-len(waiting), checked, strings.Join(waiting, ", ")), nil
	}
}

// readEnforcers reads every node's kube-router state (nil, with a status or an error, when it
// cannot).
func readEnforcers(ctx context.Context, cfg *rest.Config, cs kubernetes.Interface) (map[string]*enforcerState, string, error) {
	enforcers, err := cs.CoreV1().Pods(EnforcerSelector.Namespace).List(ctx, metav1.ListOptions{LabelSelector: EnforcerSelector.Labels})
	if err != nil {
		return nil, "list enforcer pods: " + err.Error(), nil
	}
	if len(enforcers.Items) == 0 {
		return nil, "", ErrNoEnforcer
	}
	nodes := map[string]*enforcerState{}
	for _, e := range enforcers.Items {
		if e.Status.Phase != corev1.PodRunning {
			return nil, fmt.Sprintf("enforcer %s is %s", e.Name, e.Status.Phase), nil
		}
		res, err := Exec(ctx, cfg, cs, e.Namespace, e.Name, "", "sh", "-c", "iptables-save && echo '#ipset' && ipset save")
		if err != nil || res.ExitCode != 0 {
			return nil, fmt.Sprintf("read enforcer %s: %v %s", e.Name, err, strings.TrimSpace(res.Stderr)), nil
		}
		nodes[e.Spec.NodeName] = parseEnforcerState(res.Stdout)
	}
	return nodes, "", nil
}

// selecting are the names of the policies whose podSelector selects the pod.
func selecting(policies []networkingv1.NetworkPolicy, p corev1.Pod) []string {
	var out []string
	for _, np := range policies {
		sel, err := metav1.LabelSelectorAsSelector(&np.Spec.PodSelector)
		if err == nil && sel.Matches(labels.Set(p.Labels)) {
			out = append(out, np.Name)
		}
	}
	return out
}

// namedAsPeer reports whether a peer selector of some policy (pod and/or namespace selector; not
// an ipBlock) matches the pod: only then do the enforcer's address sets hold its address.
func namedAsPeer(policies []networkingv1.NetworkPolicy, nsLabels map[string]map[string]string, p corev1.Pod) bool {
	matches := func(sel *metav1.LabelSelector, set map[string]string) bool {
		s, err := metav1.LabelSelectorAsSelector(sel)
		return err == nil && s.Matches(labels.Set(set))
	}
	for _, np := range policies {
		var peers []networkingv1.NetworkPolicyPeer
		for _, r := range np.Spec.Ingress {
			peers = append(peers, r.From...)
		}
		for _, r := range np.Spec.Egress {
			peers = append(peers, r.To...)
		}
		for _, peer := range peers {
			if peer.IPBlock != nil {
				continue
			}
			inNamespace := p.Namespace == np.Namespace
			if peer.NamespaceSelector != nil {
				inNamespace = matches(peer.NamespaceSelector, nsLabels[p.Namespace])
			}
			if inNamespace && (peer.PodSelector == nil || matches(peer.PodSelector, p.Labels)) {
				return true
			}
		}
	}
	return false
}

// programmed says what is missing for the pod ("" when nothing is).
func programmed(p corev1.Pod, policies []string, nodes map[string]*enforcerState) string {
	ip := p.Status.PodIP
	if ip == "" {
		return "no address yet"
	}
	own, ok := nodes[p.Spec.NodeName]
	if !ok {
		return "no enforcer on node " + p.Spec.NodeName
	}
	chain := own.podChain[podKey{ip: ip, pod: p.Name, namespace: p.Namespace}]
	if chain == "" {
		return "no firewall chain for " + ip
	}
	for _, np := range policies {
		if !own.chainPolicies[chain][np] {
			return "policy " + np + " not in its chain"
		}
	}
	return inSets(p, nodes)
}

// inSets says on which node the pod's address is in no address set ("" when it is on all).
func inSets(p corev1.Pod, nodes map[string]*enforcerState) string {
	ip := p.Status.PodIP
	if ip == "" {
		return "no address yet"
	}
	names := make([]string, 0, len(nodes))
	for node := range nodes {
		names = append(names, node)
	}
	sort.Strings(names)
	for _, node := range names {
		if !nodes[node].addresses[ip] {
			return "address not in the sets of node " + node
		}
	}
	return ""
}

type podKey struct{ ip, pod, namespace string }

// enforcerState is what one node's kube-router has programmed: each pod's firewall chain (by
// address, name and namespace), the policies each chain runs through, and the addresses in its
// ipsets.
type enforcerState struct {
	podChain      map[podKey]string
	chainPolicies map[string]map[string]bool
	addresses     map[string]bool
}

// parseEnforcerState reads `iptables-save`, a "#ipset" line and `ipset save`. The rules it reads:
//
//	-A KUBE-ROUTER-FORWARD -d 10.244.0.7/32 -m comment --comment "rule to jump traffic destined to POD name:web-0 namespace: shop to chain KUBE-POD-FW-X" -j KUBE-POD-FW-X
//	-A KUBE-POD-FW-X -m comment --comment "run through nw policy web" -j KUBE-NWPLCY-Y
//	add KUBE-DST-Z 10.244.0.7 timeout 0
func parseEnforcerState(out string) *enforcerState {
	st := &enforcerState{podChain: map[podKey]string{}, chainPolicies: map[string]map[string]bool{}, addresses: map[string]bool{}}
	rules, sets, _ := strings.Cut("\n"+out, "\n#ipset\n")
	const jump, policy = "rule to jump traffic destined to POD name:", `--comment "run through nw policy `
	for _, line := range strings.Split(rules, "\n") {
		f := strings.Fields(line)
		if len(f) < 4 || f[0] != "-A" {
			continue
		}
		if i := strings.Index(line, jump); i >= 0 && f[2] == "-d" {
			// name:<pod> namespace: <ns> to chain <chain>"
			rest := strings.Fields(strings.NewReplacer(`"`, " ").Replace(line[i+len(jump):]))
			if len(rest) >= 6 && rest[1] == "namespace:" && rest[3] == "to" {
				st.podChain[podKey{ip: strings.TrimSuffix(f[3], "/32"), pod: rest[0], namespace: rest[2]}] = rest[5]
			}
			continue
		}
		if i := strings.Index(line, policy); i >= 0 {
			name, _, _ := strings.Cut(line[i+len(policy):], `"`)
			if st.chainPolicies[f[1]] == nil {
				st.chainPolicies[f[1]] = map[string]bool{}
			}
			st.chainPolicies[f[1]][name] = true
		}
	}
	for _, line := range strings.Split(sets, "\n") {
		f := strings.Fields(line)
		if len(f) >= 3 && f[0] == "add" {
			addr, _, _ := strings.Cut(f[2], ",") // hash:ip,port entries: 10.244.0.7,tcp:8080
			st.addresses[addr] = true
		}
	}
	return st
}
