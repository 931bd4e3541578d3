package check

// Lint is every check of `stackcheck lint`: the chart alone, no cluster.
func Lint() []Check {
	return []Check{PSSRestricted, Resources, Probes, PinnedImages, PDBs{}, NetworkPolicies{}, APILifecycle{}}
}

// Annotations by which a workload declares it needs a Pod Security level below restricted, and
// why (e.g. node-exporter reads the host's /proc and network: hostNetwork, hostPID, hostPath).
// The workload is then checked against that level, and the exemption is reported with its reason.
const (
	ExemptLevelAnnotation  = "stack.dev/pod-security-level"
	ExemptReasonAnnotation = "stack.dev/pod-security-reason"
)
