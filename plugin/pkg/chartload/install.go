package chartload

import (
	"fmt"
	"sort"

	"helm.sh/helm/v3/pkg/action"
	"helm.sh/helm/v3/pkg/chart"
	"helm.sh/helm/v3/pkg/chartutil"
	"helm.sh/helm/v3/pkg/release"
	"helm.sh/helm/v3/pkg/releaseutil"
)

// DefaultKubeVersion is the Kubernetes version a chart renders for when the caller names none:
// the one default of every render here (the test framework's, `helm stackcheck lint
// --kube-version`'s and a preflight's without a server version). It is pinned, not taken from the
// Helm library's build, so renders do not change with the SDK; it follows the e2e cluster's minor.
const DefaultKubeVersion = "v1.36.0"

// InstallOptions say for which release and cluster a chart renders.
type InstallOptions struct {
	Release, Namespace string
	// KubeVersion ("v1.36.3"; empty: DefaultKubeVersion) and APIVersions ("apps/v1", "monitoring.coreos.com/v1/ServiceMonitor").
	KubeVersion string
	APIVersions []string
	IncludeCRDs bool
}

// Install renders ch as a client-side `helm install --dry-run` would: no cluster is contacted.
func Install(ch *chart.Chart, vals map[string]any, o InstallOptions) (*release.Release, error) {
	client := action.NewInstall(&action.Configuration{})
	client.DryRun = true
	client.DryRunOption = "client"
	client.ClientOnly = true
	client.Replace = true
	client.ReleaseName = o.Release
	client.Namespace = o.Namespace
	client.IncludeCRDs = o.IncludeCRDs
	if o.KubeVersion == "" {
		o.KubeVersion = DefaultKubeVersion
	}
	kv, err := chartutil.ParseKubeVersion(o.KubeVersion)
	if err != nil {
		return nil, fmt.Errorf("kube version %q: %w", o.KubeVersion, err)
	}
	client.KubeVersion = kv
	client.APIVersions = chartutil.VersionSet(o.APIVersions)
	return client.Run(ch, vals)
}

// Document is one rendered manifest, "# Source: <template>" first.
type Document struct {
	Text   string
	Hook   bool
	Events []release.HookEvent
}

// Documents lists a release's manifests in Helm's install order, then its hooks.
func Documents(rel *release.Release) []Document {
	docs := releaseutil.SplitManifests(rel.Manifest)
	keys := make([]string, 0, len(docs))
	for k := range docs {
		keys = append(keys, k)
	}
	sort.Sort(releaseutil.BySplitManifestsOrder(keys))
	out := make([]Document, 0, len(keys)+len(rel.Hooks))
	for _, k := range keys {
		out = append(out, Document{Text: docs[k]})
	}
	for _, h := range rel.Hooks {
		out = append(out, Document{Text: "# Source: " + h.Path + "\n" + h.Manifest, Hook: true, Events: h.Events})
	}
	return out
}
