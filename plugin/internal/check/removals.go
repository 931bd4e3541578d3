package check

import (
	"fmt"
	"strings"

	"k8s.io/apimachinery/pkg/runtime/schema"
)

// removal is an API version taken out of Kubernetes or a common add-on for good. k8s.io/api only
// carries lifecycle data for the types it still has, so a version whose Go types are gone
// (PodSecurityPolicy, autoscaling/v2beta1 and v2beta2, every v1beta1 of 1.22, ...) would pass the
// lifecycle check silently without this table.
type removal struct {
	group, version string
	// kinds it held (empty: every kind of the group version).
	kinds []string
	// major, minor: the Kubernetes release that stopped serving it; 0 for an add-on's version,
	// which no supported release of the add-on serves (addon names the add-on and its release).
	major, minor int
	addon        string
	// use is the replacement ("" when there is none).
	use string
}

// removals: Kubernetes from the Deprecated API Migration Guide
// (https://kubernetes.io/docs/reference/using-api/deprecation-guide/); cert-manager from
// "Migrating Deprecated API Resources" (https://cert-manager.io/docs/releases/upgrading/remove-deprecated-apis/:
// no longer served in 1.6, removed in 1.7).
var removals = []removal{
	{group: "extensions", version: "v1beta1", kinds: []string{"DaemonSet", "Deployment", "ReplicaSet"}, major: 1, minor: 16, use: "apps/v1"},
	{group: "extensions", version: "v1beta1", kinds: []string{"NetworkPolicy"}, major: 1, minor: 16, use: "networking.k8s.io/v1"},
	{group: "extensions", version: "v1beta1", kinds: []string{"PodSecurityPolicy"}, major: 1, minor: 16, use: "Pod Security Admission (namespace labels)"},
	{group: "apps", version: "v1beta1", kinds: []string{"Deployment", "StatefulSet", "ReplicaSet"}, major: 1, minor: 16, use: "apps/v1"},
	{group: "apps", version: "v1beta2", kinds: []string{"DaemonSet", "Deployment", "StatefulSet", "ReplicaSet"}, major: 1, minor: 16, use: "apps/v1"},
	{group: "admissionregistration.k8s.io", version: "v1beta1", kinds: []string{"MutatingWebhookConfiguration", "ValidatingWebhookConfiguration"}, major: 1, minor: 22, use: "admissionregistration.k8s.io/v1"},
	{group: "apiextensions.k8s.io", version: "v1beta1", kinds: []string{"CustomResourceDefinition"}, major: 1, minor: 22, use: "apiextensions.k8s.io/v1"},
	{group: "apiregistration.k8s.io", version: "v1beta1", kinds: []string{"APIService"}, major: 1, minor: 22, use: "apiregistration.k8s.io/v1"},
	{group: "authentication.k8s.io", version: "v1beta1", kinds: []string{"TokenReview"}, major: 1, minor: 22, use: "authentication.k8s.io/v1"},
	{group: "authorization.k8s.io", version: "v1beta1", kinds: []string{"LocalSubjectAccessReview", "SelfSubjectAccessReview", "SubjectAccessReview"}, major: 1, minor: 22, use: "authorization.k8s.io/v1"},
	{group: "certificates.k8s.io", version: "v1beta1", kinds: []string{"CertificateSigningRequest"}, major: 1, minor: 22, use: "certificates.k8s.io/v1"},
	{group: "coordination.k8s.io", version: "v1beta1", kinds: []string{"Lease"}, major: 1, minor: 22, use: "coordination.k8s.io/v1"},
	{group: "extensions", version: "v1beta1", kinds: []string{"Ingress"}, major: 1, minor: 22, use: "networking.k8s.io/v1"},
	{group: "networking.k8s.io", version: "v1beta1", kinds: []string{"Ingress", "IngressClass"}, major: 1, minor: 22, use: "networking.k8s.io/v1"},
	{group: "rbac.authorization.k8s.io", version: "v1beta1", kinds: []string{"ClusterRole", "ClusterRoleBinding", "Role", "RoleBinding"}, major: 1, minor: 22, use: "rbac.authorization.k8s.io/v1"},
	{group: "scheduling.k8s.io", version: "v1beta1", kinds: []string{"PriorityClass"}, major: 1, minor: 22, use: "scheduling.k8s.io/v1"},
	{group: "storage.k8s.io", version: "v1beta1", kinds: []string{"CSIDriver", "CSINode", "StorageClass", "VolumeAttachment"}, major: 1, minor: 22, use: "storage.k8s.io/v1"},
	{group: "batch", version: "v1beta1", kinds: []string{"CronJob"}, major: 1, minor: 25, use: "batch/v1"},
	{group: "discovery.k8s.io", version: "v1beta1", kinds: []string{"EndpointSlice"}, major: 1, minor: 25, use: "discovery.k8s.io/v1"},
	{group: "events.k8s.io", version: "v1beta1", kinds: []string{"Event"}, major: 1, minor: 25, use: "events.k8s.io/v1"},
	{group: "autoscaling", version: "v2beta1", kinds: []string{"HorizontalPodAutoscaler"}, major: 1, minor: 25, use: "autoscaling/v2"},
	{group: "policy", version: "v1beta1", kinds: []string{"PodDisruptionBudget"}, major: 1, minor: 25, use: "policy/v1"},
	{group: "policy", version: "v1beta1", kinds: []string{"PodSecurityPolicy"}, major: 1, minor: 25, use: "Pod Security Admission (namespace labels)"},
	{group: "node.k8s.io", version: "v1beta1", kinds: []string{"RuntimeClass"}, major: 1, minor: 25, use: "node.k8s.io/v1"},
	{group: "flowcontrol.apiserver.k8s.io", version: "v1beta1", kinds: []string{"FlowSchema", "PriorityLevelConfiguration"}, major: 1, minor: 26, use: "flowcontrol.apiserver.k8s.io/v1"},
	{group: "autoscaling", version: "v2beta2", kinds: []string{"HorizontalPodAutoscaler"}, major: 1, minor: 26, use: "autoscaling/v2"},
	{group: "storage.k8s.io", version: "v1beta1", kinds: []string{"CSIStorageCapacity"}, major: 1, minor: 27, use: "storage.k8s.io/v1"},
	{group: "flowcontrol.apiserver.k8s.io", version: "v1beta2", kinds: []string{"FlowSchema", "PriorityLevelConfiguration"}, major: 1, minor: 29, use: "flowcontrol.apiserver.k8s.io/v1"},
	{group: "flowcontrol.apiserver.k8s.io", version: "v1beta3", kinds: []string{"FlowSchema", "PriorityLevelConfiguration"}, major: 1, minor: 32, use: "flowcontrol.apiserver.k8s.io/v1"},
	{group: "cert-manager.io", version: "v1alpha2", addon: "cert-manager 1.6", use: "cert-manager.io/v1"},
	{group: "cert-manager.io", version: "v1alpha3", addon: "cert-manager 1.6", use: "cert-manager.io/v1"},
	{group: "cert-manager.io", version: "v1beta1", addon: "cert-manager 1.6", use: "cert-manager.io/v1"},
	{group: "acme.cert-manager.io", version: "v1alpha2", addon: "cert-manager 1.6", use: "acme.cert-manager.io/v1"},
	{group: "acme.cert-manager.io", version: "v1alpha3", addon: "cert-manager 1.6", use: "acme.cert-manager.io/v1"},
	{group: "acme.cert-manager.io", version: "v1beta1", addon: "cert-manager 1.6", use: "acme.cert-manager.io/v1"},
}

// removedAPI is the removal row of gvk, if any.
func removedAPI(gvk schema.GroupVersionKind) (removal, bool) {
	for _, r := range removals {
		if r.group != gvk.Group || r.version != gvk.Version {
			continue
		}
		if len(r.kinds) == 0 {
			return r, true
		}
		for _, k := range r.kinds {
			if k == gvk.Kind {
				return r, true
			}
		}
	}
	return removal{}, false
}

// result says what the removal means for Kubernetes major.minor: a failure when it is gone there
// (an add-on's row: always), ok false when that release still serves it.
func (r removal) result(id string, gvk schema.GroupVersionKind, major, minor int) (Result, bool) {
	hint := "no replacement: remove it"
	switch {
	case strings.Contains(r.use, "/") && !strings.Contains(r.use, " "):
		hint = "use " + r.use + " " + gvk.Kind // a group version: the same kind there
	case r.use != "":
		hint = "use " + r.use
	}
	if r.addon != "" {
		return Result{Status: Fail, Object: id, Message: fmt.Sprintf("%s %s is not served since %s", gvk.GroupVersion(), gvk.Kind, r.addon), Hint: hint}, true
	}
	if major > r.major || (major == r.major && minor >= r.minor) {
		return Result{Status: Fail, Object: id, Message: fmt.Sprintf("%s %s was removed in Kubernetes %d.%d", gvk.GroupVersion(), gvk.Kind, r.major, r.minor), Hint: hint}, true
	}
	return Result{}, false
}
