package check

import corev1 "k8s.io/api/core/v1"

// podRef is one object a pod spec names: a Secret, ConfigMap, ServiceAccount or
// PersistentVolumeClaim, with the key it reads ("" for the whole object) and whether the pod
// starts without it.
type podRef struct {
	kind, name, key string
	optional        bool
}

// podRefs lists every object a pod spec names: Secrets (pull secrets, secretKeyRef, envFrom,
// volumes, projected volumes), ConfigMaps (configMapKeyRef, envFrom, volumes, projected volumes),
// the ServiceAccount (other than default) and PersistentVolumeClaims. The secrets and references
// checks both read it.
func podRefs(spec corev1.PodSpec) []podRef {
	var out []podRef
	add := func(kind, name, key string, optional *bool) {
		if name != "" {
			out = append(out, podRef{kind, name, key, optional != nil && *optional})
		}
	}
	for _, ps := range spec.ImagePullSecrets {
		add("Secret", ps.Name, "", nil)
	}
	if sa := spec.ServiceAccountName; sa != "default" {
		add("ServiceAccount", sa, "", nil)
	}
	for _, c := range append(append([]corev1.Container(nil), spec.InitContainers...), spec.Containers...) {
		for _, e := range c.Env {
			if e.ValueFrom == nil {
				continue
			}
			if r := e.ValueFrom.SecretKeyRef; r != nil {
				add("Secret", r.Name, r.Key, r.Optional)
			}
			if r := e.ValueFrom.ConfigMapKeyRef; r != nil {
				add("ConfigMap", r.Name, r.Key, r.Optional)
			}
		}
		for _, e := range c.EnvFrom {
			if e.SecretRef != nil {
				add("Secret", e.SecretRef.Name, "", e.SecretRef.Optional)
			}
			if e.ConfigMapRef != nil {
				add("ConfigMap", e.ConfigMapRef.Name, "", e.ConfigMapRef.Optional)
			}
		}
	}
	for _, v := range spec.Volumes {
		switch {
		case v.Secret != nil:
			for _, it := range v.Secret.Items {
				add("Secret", v.Secret.SecretName, it.Key, v.Secret.Optional)
			}
			add("Secret", v.Secret.SecretName, "", v.Secret.Optional)
		case v.ConfigMap != nil:
			add("ConfigMap", v.ConfigMap.Name, "", v.ConfigMap.Optional)
		case v.PersistentVolumeClaim != nil:
			add("PersistentVolumeClaim", v.PersistentVolumeClaim.ClaimName, "", nil)
		case v.Projected != nil:
			for _, src := range v.Projected.Sources {
				if s := src.Secret; s != nil {
					for _, it := range s.Items {
						add("Secret", s.Name, it.Key, s.Optional)
					}
					add("Secret", s.Name, "", s.Optional)
				}
				if c := src.ConfigMap; c != nil {
					add("ConfigMap", c.Name, "", c.Optional)
				}
			}
		}
	}
	return out
}
