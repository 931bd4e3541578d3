package cluster

import (
	"os"
	"path/filepath"
	"testing"

	"github.com/stretchr/testify/require"
	"sigs.k8s.io/kind/pkg/apis/config/v1alpha4"
)

// The caller's mount directories are used as given: never emptied, only created when missing.
func TestNodeMountsOfTheCallerAreNeverDeleted(t *testing.T) {
	data := t.TempDir()
	keep := filepath.Join(data, "node-0", "precious.txt")
	require.NoError(t, os.MkdirAll(filepath.Dir(keep), 0o755))
	require.NoError(t, os.WriteFile(keep, []byte("mine"), 0o644))
	o := Options{Name: "x", CacheDir: t.TempDir(), Workers: 1,
		NodeMounts: []v1alpha4.Mount{{HostPath: filepath.Join(data, "node-{node}"), ContainerPath: "/data"}}}
	cfg, err := o.config()
	require.NoError(t, err)
	require.Len(t, cfg.Nodes, 2)
	got, err := os.ReadFile(keep)
	require.NoError(t, err, "the caller's file is still there")
	require.Equal(t, "mine", string(got))
	require.DirExists(t, filepath.Join(data, "node-1"), "a missing directory is created")
	require.Equal(t, filepath.Join(data, "node-1"), cfg.Nodes[1].ExtraMounts[0].HostPath)
}

// FreshMounts are the framework's own directories under its cache, emptied at creation.
func TestFreshMountsAreTheFrameworksOwnEmptyDirectories(t *testing.T) {
	cache := t.TempDir()
	o := Options{Name: "x", CacheDir: cache, FreshMounts: []string{"/etc/cni/net.d"}}
	dir := o.freshDir(0, "/etc/cni/net.d")
	require.Equal(t, filepath.Join(cache, "kind", "x", "node-0", "etc-cni-net.d"), dir)
	require.NoError(t, os.MkdirAll(dir, 0o755))
	require.NoError(t, os.WriteFile(filepath.Join(dir, "10-old.conflist"), []byte("{}"), 0o644))
	cfg, err := o.config()
	require.NoError(t, err)
	require.Equal(t, []v1alpha4.Mount{{HostPath: dir, ContainerPath: "/etc/cni/net.d"}}, cfg.Nodes[0].ExtraMounts)
	entries, err := os.ReadDir(dir)
	require.NoError(t, err)
	require.Empty(t, entries, "what a previous cluster left is gone")
}

func TestAClusterNeedsAName(t *testing.T) {
	_, err := GetE(Options{})
	require.ErrorContains(t, err, "Name is required")
}

// Every path PrepareE uses is an option; RepoRoot only supplies defaults.
func TestPreparePathsAreOptionsWithDefaultsFromTheRepository(t *testing.T) {
	t.Setenv("STACK_IMAGES", "")
	o := PrepareOptions{RepoRoot: "/repo", Name: "x", CacheDir: "/cache"}
	o.defaults()
	require.Equal(t, AirGap, o.Mode)
	require.Equal(t, "/cache/substrate", o.SubstrateDir)
	require.Equal(t, "/repo/ci/kind/cluster.yaml", o.ConfigFile)
	require.Equal(t, "/repo/ci/substrate/wrapper", o.DockerWrapperDir)
	require.Equal(t, "/repo/ci/kind/addons", o.AddonsDir)
	require.Equal(t, "/cache/substrate/edge/crds.yaml", o.Addons[2].Manifest, "the Gateway API CRDs before cert-manager, whose Gateway API solver watches them")
	require.Equal(t, "/cache/substrate/addons/cert-manager.yaml", o.Addons[3].Manifest)

	mine := PrepareOptions{Name: "x", Mode: Upstream, ConfigFile: "/mine/kind.yaml", Addons: []Addon{}}
	mine.defaults()
	require.Equal(t, "/mine/kind.yaml", mine.ConfigFile)
	require.Empty(t, mine.DockerWrapperDir, "no repository, no wrapper")
	require.Empty(t, mine.Addons, "an empty list is kept: no add-ons")
}

// Zones label the workers round robin; the control plane keeps its own labels.
func TestWorkersAreLabelledIntoZonesRoundRobin(t *testing.T) {
	o := Options{Name: "x", CacheDir: t.TempDir(), Workers: 4, Zones: []string{"a", "b", "c"}}
	cfg, err := o.config()
	require.NoError(t, err)
	require.Len(t, cfg.Nodes, 5)
	require.Empty(t, cfg.Nodes[0].Labels["topology.kubernetes.io/zone"], "the control plane")
	var zones []string
	for _, n := range cfg.Nodes[1:] {
		zones = append(zones, n.Labels["topology.kubernetes.io/zone"])
	}
	require.Equal(t, []string{"a", "b", "c", "a"}, zones)

	t.Setenv("STACK_KIND_ZONES", "east,west")
	p := PrepareOptions{Name: "x", CacheDir: "/cache"}
	p.defaults()
	require.Equal(t, []string{"east", "west"}, p.Zones)
}
