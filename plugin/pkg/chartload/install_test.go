package chartload

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"
	"helm.sh/helm/v3/pkg/action"
	"helm.sh/helm/v3/pkg/chart"
	"helm.sh/helm/v3/pkg/chartutil"
	"helm.sh/helm/v3/pkg/releaseutil"
	"sigs.k8s.io/yaml"

	"github.com/stack-charts/stack/internal/repo"
)

// helmsInstall is what Render replaces: Helm's own client-only install action, its manifest split
// and its hooks appended.
func helmsInstall(t *testing.T, ch *chart.Chart, vals map[string]any, o InstallOptions) *Rendered {
	t.Helper()
	client := action.NewInstall(&action.Configuration{})
	client.DryRun, client.DryRunOption, client.ClientOnly, client.Replace = true, "client", true, true
	client.ReleaseName, client.Namespace, client.IncludeCRDs = o.Release, o.Namespace, o.IncludeCRDs
	kv, err := chartutil.ParseKubeVersion(o.KubeVersion)
	require.NoError(t, err)
	client.KubeVersion = kv
	client.APIVersions = chartutil.VersionSet(o.APIVersions)
	rel, err := client.Run(ch, vals)
	require.NoError(t, err)
	out := &Rendered{Documents: Split(rel.Manifest), Notes: rel.Info.Notes}
	for _, h := range rel.Hooks {
		out.Documents = append(out.Documents, Document{Text: "# Source: " + h.Path + "\n" + h.Manifest, Hook: true, Events: h.Events})
	}
	return out
}

func profileValues(t *testing.T, profile string) map[string]any {
	t.Helper()
	raw, err := os.ReadFile(filepath.Join(repo.Root(), "charts", "stack", "profiles", profile+".yaml"))
	require.NoError(t, err)
	var vals map[string]any
	require.NoError(t, yaml.Unmarshal(raw, &vals))
	return vals
}

// Render is Helm's install action step for step: the same documents in the same order, the same
// hooks and events, the same NOTES, for the umbrella in each profile, with and without the
// monitoring.coreos.com API (whose templates leave stray "---" separators when it is absent).
func TestRenderGivesWhatHelmsInstallActionGives(t *testing.T) {
	dir := filepath.Join(repo.Root(), "charts", "stack")
	for _, profile := range []string{"dev", "prod"} {
		for _, apis := range [][]string{nil, {"monitoring.coreos.com/v1/ServiceMonitor", "monitoring.coreos.com/v1/PodMonitor", "monitoring.coreos.com/v1/PrometheusRule"}} {
			o := InstallOptions{Release: "same", Namespace: "ns", KubeVersion: DefaultKubeVersion, APIVersions: apis, IncludeCRDs: true}
			// Each render gets its own chart: both process the dependencies into it.
			theirsChart, err := Load(dir)
			require.NoError(t, err)
			theirs := helmsInstall(t, theirsChart, profileValues(t, profile), o)
			oursChart, err := Load(dir)
			require.NoError(t, err)
			ours, err := Render(oursChart, profileValues(t, profile), o)
			require.NoError(t, err)
			require.Equal(t, theirs.Notes, ours.Notes, profile)
			require.Equal(t, len(theirs.Documents), len(ours.Documents), profile)
			converted := 0
			for i := range theirs.Documents {
				doc := ours.Documents[i]
				if doc.JSON != nil {
					// The JSON kept is the document's own conversion.
					_, body, _ := strings.Cut(doc.Text, "\n")
					j, err := yaml.YAMLToJSON([]byte(body))
					require.NoError(t, err)
					require.JSONEq(t, string(j), string(doc.JSON), "%s, document %d", profile, i)
					converted++
				}
				doc.JSON = nil
				require.Equal(t, theirs.Documents[i], doc, "%s, document %d", profile, i)
			}
			require.Greater(t, converted, len(ours.Documents)/2, profile)
		}
	}
}

func tinyChart(schema, template string) *chart.Chart {
	return &chart.Chart{
		Metadata:  &chart.Metadata{APIVersion: chart.APIVersionV2, Name: "tiny", Version: "0.1.0", Type: "application"},
		Values:    map[string]any{"replicas": 1},
		Schema:    []byte(schema),
		Templates: []*chart.File{{Name: "templates/cm.yaml", Data: []byte(template)}},
	}
}

// The schemas are checked beside the engine, but a schema error is still the one reported, as
// Helm reports it before any template runs; a template that changes the values (sprig's set)
// does not change what the schemas see.
func TestASchemaErrorIsReportedFirstAndOnTheValuesBeforeTheTemplates(t *testing.T) {
	const schema = `{"type": "object", "properties": {"replicas": {"type": "integer"}}}`
	o := InstallOptions{Release: "r", Namespace: "ns"}

	_, err := Render(tinyChart(schema, `{{ fail "the template fails too" }}`), map[string]any{"replicas": "two"}, o)
	require.ErrorContains(t, err, "values don't meet the specifications of the schema(s)")
	require.ErrorContains(t, err, "replicas")

	_, err = Render(tinyChart(schema, `{{ fail "the template fails" }}`), nil, o)
	require.ErrorContains(t, err, "the template fails")

	// The template sets replicas to a string: the schema saw the integer given.
	out, err := Render(tinyChart(schema, "{{ $_ := set .Values \"replicas\" \"many\" }}apiVersion: v1\nkind: ConfigMap\nmetadata: {name: x}\ndata: {r: {{ .Values.replicas | quote }}}\n"), nil, o)
	require.NoError(t, err)
	require.Len(t, out.Documents, 1)
	require.Contains(t, out.Documents[0].Text, `r: "many"`)
}

func TestABadReleaseNameOrKubeVersionIsRefused(t *testing.T) {
	_, err := Render(tinyChart(`{}`, ""), nil, InstallOptions{Release: "Not_A_Name", Namespace: "ns"})
	require.ErrorContains(t, err, `release name "Not_A_Name"`)
	_, err = Render(tinyChart(`{}`, ""), nil, InstallOptions{Release: "r", Namespace: "ns", KubeVersion: "one"})
	require.ErrorContains(t, err, `kube version "one"`)
	ch := tinyChart(`{}`, "")
	ch.Metadata.KubeVersion = ">=1.99.0"
	_, err = Render(ch, nil, InstallOptions{Release: "r", Namespace: "ns"})
	require.ErrorContains(t, err, "chart requires kubeVersion: >=1.99.0 which is incompatible with Kubernetes v1.36.0")
}

func TestSortManifestsOrdersAsHelmDoes(t *testing.T) {
	files := map[string]string{
		"c/templates/b.yaml": "kind: Service\nmetadata: {name: b}\n---\nkind: Widget\nmetadata: {name: w2}\n---\nkind: Gadget\nmetadata: {name: g}\n",
		"c/templates/a.yaml": "kind: Widget\nmetadata: {name: w1}\n---\n---\nkind: Deployment\nmetadata: {name: d}\n---\n  \n---\nkind: Namespace\nmetadata: {name: n}\n",
		"c/templates/hooks.yaml": "kind: Job\nmetadata: {name: j, annotations: {helm.sh/hook: pre-install}}\n---\n" +
			"kind: ConfigMap\nmetadata: {name: cm, annotations: {helm.sh/hook: pre-install}}\n---\nkind: Service\nmetadata: {name: s2}\n",
		"c/templates/_helpers.tpl": "",
		"c/templates/empty.yaml":   "  \n",
	}
	// YAML 1.1 reads `name: n` as false, which Helm's decoder turns back into "n": the file is
	// left to Helm's function; a head of numbers and strings alike (`name: 7`) too.
	files["c/templates/bool.yaml"] = "kind: ConfigMap\nmetadata: {name: n}\n"
	files["c/templates/number.yaml"] = "kind: ConfigMap\nmetadata: {name: 7, annotations: {a: 1}}\n"
	theirHooks, theirs, err := releaseutil.SortManifests(files, nil, releaseutil.InstallOrder)
	require.NoError(t, err)
	ourHooks, ours, err := sortManifests(files)
	require.NoError(t, err)
	require.Len(t, ours, len(theirs))
	withJSON := 0
	for i, m := range ours {
		require.Equal(t, theirs[i], m.Manifest, "manifest %d", i)
		if m.json != nil {
			j, err := yaml.YAMLToJSON([]byte(m.Content))
			require.NoError(t, err)
			require.JSONEq(t, string(j), string(m.json))
			withJSON++
		}
	}
	// b.yaml's three documents; a.yaml's `name: n`, the hooks' file and bool/number.yaml went to Helm.
	require.Equal(t, 3, withJSON)
	require.Equal(t, theirHooks, ourHooks)

	// A document Helm cannot parse: its error, naming the first such file in order.
	files["c/templates/bad.yaml"] = "kind: [\n"
	files["c/templates/worse.yaml"] = "kind: {\n"
	_, _, theirErr := releaseutil.SortManifests(files, nil, releaseutil.InstallOrder)
	_, _, err = sortManifests(files)
	require.EqualError(t, err, theirErr.Error())
}
