package unit

import (
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"sort"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"
	"helm.sh/helm/v3/pkg/chart/loader"
	"helm.sh/helm/v3/pkg/chartutil"
	"sigs.k8s.io/yaml"

	"github.com/stack-charts/stack/internal/chartrelease"
)

var allCharts = []string{"common", "services", "gateway", "mysql", "redis", "rabbitmq", "monitoring", "cert-issuer", "stack"}

// The charts' versions cannot drift: a chart changed since its last release (charts/releases.yaml)
// carries a higher SemVer version, and file:// dependencies name their chart's exact version.
func TestEveryChangedChartCarriesANewVersion(t *testing.T) {
	charts, err := chartrelease.Load(filepath.Join(root, "charts"))
	require.NoError(t, err)
	require.Len(t, charts, len(allCharts))
	ledger, err := chartrelease.ReadLedger(filepath.Join(root, "charts"))
	require.NoError(t, err)
	require.Len(t, ledger, len(allCharts), "every chart has a release in charts/releases.yaml")
	require.Empty(t, chartrelease.Check(charts, ledger))
}

// imagesOf lists the images a chart can deploy from its default values (subcharts' values
// coalesced under the umbrella, as Helm does): every map with a repository and a tag or digest,
// as registry/repository:tag (Docker Hub when the registry is empty).
func imagesOf(t *testing.T, name string) []string {
	t.Helper()
	ch, err := loader.Load(chart(name))
	require.NoError(t, err)
	vals, err := chartutil.CoalesceValues(ch, nil)
	require.NoError(t, err)
	seen := map[string]bool{}
	var walk func(any)
	walk = func(v any) {
		switch m := v.(type) {
		case map[string]any:
			repo, _ := m["repository"].(string)
			tag := fmt.Sprint(m["tag"])
			digest, _ := m["digest"].(string)
			if repo != "" && ((m["tag"] != nil && tag != "") || digest != "") {
				reg, _ := m["registry"].(string)
				if reg == "" {
					reg = "docker.io"
				}
				ref := reg + "/" + repo + ":" + tag
				if digest != "" {
					ref = reg + "/" + repo + "@" + digest
				}
				seen[ref] = true
			}
			for _, child := range m {
				walk(child)
			}
		case []any:
			for _, child := range m {
				walk(child)
			}
		}
	}
	walk(map[string]any(vals))
	out := make([]string, 0, len(seen))
	for ref := range seen {
		out = append(out, ref)
	}
	sort.Strings(out)
	return out
}

type chartMeta struct {
	Version     string            `json:"version"`
	AppVersion  string            `json:"appVersion"`
	Type        string            `json:"type"`
	Annotations map[string]string `json:"annotations"`
}

func readMeta(t *testing.T, name string) chartMeta {
	t.Helper()
	b, err := os.ReadFile(filepath.Join(chart(name), "Chart.yaml"))
	require.NoError(t, err)
	var m chartMeta
	require.NoError(t, yaml.Unmarshal(b, &m))
	return m
}

// Artifact Hub's annotations on every chart: the images it deploys (exactly those of its
// values), its license (the repository's LICENSE), links, and the changes of its version.
func TestArtifactHubAnnotationsDescribeEachChart(t *testing.T) {
	license, err := os.ReadFile(filepath.Join(root, "LICENSE"))
	require.NoError(t, err)
	require.Contains(t, string(license), "Apache License\n                           Version 2.0")
	for _, name := range allCharts {
		t.Run(name, func(t *testing.T) {
			m := readMeta(t, name)
			require.Equal(t, "Apache-2.0", m.Annotations["artifacthub.io/license"])
			var links []struct{ Name, URL string }
			require.NoError(t, yaml.Unmarshal([]byte(m.Annotations["artifacthub.io/links"]), &links))
			require.NotEmpty(t, links, "artifacthub.io/links")
			for _, l := range links {
				require.True(t, l.Name != "" && strings.HasPrefix(l.URL, "https://"), "link %+v", l)
			}
			var changes []struct{ Kind, Description string }
			require.NoError(t, yaml.Unmarshal([]byte(m.Annotations["artifacthub.io/changes"]), &changes))
			require.NotEmpty(t, changes, "artifacthub.io/changes: what version %s changed", m.Version)
			for _, c := range changes {
				require.Contains(t, []string{"added", "changed", "deprecated", "removed", "fixed", "security"}, c.Kind, "change %+v", c)
				require.NotEmpty(t, c.Description)
			}
			want := imagesOf(t, name)
			var listed []struct{ Name, Image string }
			require.NoError(t, yaml.Unmarshal([]byte(m.Annotations["artifacthub.io/images"]), &listed))
			got := []string{}
			for _, l := range listed {
				require.NotEmpty(t, l.Name, "image %s has a name", l.Image)
				got = append(got, l.Image)
			}
			sort.Strings(got)
			if len(want) == 0 {
				require.Empty(t, got, "%s deploys no image of its own", name)
				return
			}
			var expected strings.Builder
			for _, ref := range want {
				repo := ref[strings.Index(ref, "/")+1 : strings.LastIndexAny(ref, ":@")]
				fmt.Fprintf(&expected, "    - name: %s\n      image: %s\n", repo[strings.LastIndex(repo, "/")+1:], ref)
			}
			require.Equal(t, want, got, "artifacthub.io/images of charts/%s/Chart.yaml should be:\n  artifacthub.io/images: |\n%s", name, expected.String())
		})
	}
}

// appVersion is the version of what a chart runs: its main image's tag (a "v" prefix and a
// variant suffix such as -management aside); charts with no image of their own say why.
func TestAppVersionIsTheMainImagesTag(t *testing.T) {
	main := map[string][]string{
		"gateway":    {"image"},
		"mysql":      {"image", "mysql"},
		"redis":      {"image"},
		"rabbitmq":   {"image"},
		"monitoring": {"images", "prometheus"},
	}
	for name, path := range main {
		ch, err := loader.Load(chart(name))
		require.NoError(t, err)
		v := any(ch.Values)
		for _, k := range path {
			v = v.(map[string]any)[k]
		}
		tag := strings.TrimPrefix(fmt.Sprint(v.(map[string]any)["tag"]), "v")
		app := readMeta(t, name).AppVersion
		require.True(t, tag == app || strings.HasPrefix(tag, app+"-"), "charts/%s: appVersion %q but %s.tag is %q", name, app, strings.Join(path, "."), tag)
	}
	// The umbrella's appVersion is the suite's version; services runs the users' images and
	// cert-issuer none (its appVersion is the cert-manager release it is tested against), and
	// common is a library.
	m := readMeta(t, "stack")
	require.Equal(t, m.Version, m.AppVersion, "the umbrella's appVersion is its version")
	require.Equal(t, "library", readMeta(t, "common").Type)
}

// `make package` (ci/package.sh) with no key of the user's: every chart packaged with its
// dependencies and signed with a development key made once, each verified by `helm verify`; a
// tampered archive fails verification.
func TestMakePackageSignsAndVerifiesEveryChart(t *testing.T) {
	cache, out := t.TempDir(), t.TempDir()
	cmd := exec.Command(filepath.Join(root, "ci", "package.sh"))
	cmd.Env = append(os.Environ(), "STACK_CACHE="+cache, "PACKAGE_DIR="+out)
	log, err := cmd.CombinedOutput()
	require.NoError(t, err, "%s", log)
	require.Contains(t, string(log), "signing with the development key")
	require.Contains(t, string(log), fmt.Sprintf("%d charts packaged, signed and verified", len(allCharts)))
	sums, err := os.ReadFile(filepath.Join(out, "SHA256SUMS"))
	require.NoError(t, err)
	for _, name := range allCharts {
		pkg := fmt.Sprintf("%s-%s.tgz", name, readMeta(t, name).Version)
		require.FileExists(t, filepath.Join(out, pkg+".prov"))
		require.Contains(t, string(sums), pkg)
	}
	umbrella := filepath.Join(out, "stack-"+readMeta(t, "stack").Version+".tgz")
	ok, err := exec.Command("helm", "verify", umbrella, "--keyring", filepath.Join(out, "pubring.gpg")).CombinedOutput()
	require.NoError(t, err, "%s", ok)
	require.Contains(t, string(ok), "Signed by: stack development key")
	f, err := os.OpenFile(umbrella, os.O_APPEND|os.O_WRONLY, 0)
	require.NoError(t, err)
	_, err = f.Write([]byte("tampered"))
	require.NoError(t, err)
	require.NoError(t, f.Close())
	bad, err := exec.Command("helm", "verify", umbrella, "--keyring", filepath.Join(out, "pubring.gpg")).CombinedOutput()
	require.Error(t, err, "helm verify passed a tampered archive: %s", bad)
	require.Contains(t, string(bad), "sha256 sum does not match")
}
