package cli

import (
	"os"
	"path/filepath"
	"testing"

	"github.com/stretchr/testify/require"
	"sigs.k8s.io/yaml"
)

// The Helm 4 manifest (plugin.v1.yaml, apiVersion v1) and the legacy one (plugin.yaml, Helm 3
// and checkouts) describe the same plugin: name, version, usage, flags handling, commands, hooks.
func TestTheTwoPluginManifestsAgree(t *testing.T) {
	read := func(name string) map[string]any {
		b, err := os.ReadFile(filepath.Join("..", "..", name))
		require.NoError(t, err)
		var m map[string]any
		require.NoError(t, yaml.Unmarshal(b, &m))
		return m
	}
	legacy, v1 := read("plugin.yaml"), read("plugin.v1.yaml")
	require.Equal(t, "v1", v1["apiVersion"])
	require.Equal(t, "cli/v1", v1["type"])
	require.Equal(t, "subprocess", v1["runtime"])
	config := v1["config"].(map[string]any)
	runtime := v1["runtimeConfig"].(map[string]any)
	for key, pair := range map[string][2]any{
		"name":            {legacy["name"], v1["name"]},
		"version":         {legacy["version"], v1["version"]},
		"usage":           {legacy["usage"], config["shortHelp"]},
		"description":     {legacy["description"], config["longHelp"]},
		"ignoreFlags":     {legacy["ignoreFlags"], config["ignoreFlags"]},
		"platformCommand": {legacy["platformCommand"], runtime["platformCommand"]},
	} {
		require.NotNil(t, pair[0], key)
		require.Equal(t, pair[0], pair[1], "plugin.yaml's %s and plugin.v1.yaml's differ", key)
	}
	// Helm 4 names a v1 plugin's command after the first word of its usage.
	require.Regexp(t, "^stackcheck ", config["usage"])
	// The hooks run the same scripts on the same platforms (v1 through a shell that expands
	// HELM_PLUGIN_DIR, which Helm 4 leaves alone in a v1 hook's arguments).
	legacyHooks, v1Hooks := legacy["platformHooks"].(map[string]any), runtime["platformHooks"].(map[string]any)
	require.Len(t, v1Hooks, len(legacyHooks))
	for event, hooks := range legacyHooks {
		v1List := v1Hooks[event].([]any)
		require.Len(t, v1List, len(hooks.([]any)), event)
		for i, h := range hooks.([]any) {
			lh, vh := h.(map[string]any), v1List[i].(map[string]any)
			require.Equal(t, lh["os"], vh["os"], "%s hook %d", event, i)
			largs, vargs := lh["args"].([]any), vh["args"].([]any)
			script := filepath.Base(largs[len(largs)-1].(string))
			require.Contains(t, vargs[len(vargs)-1], "scripts/"+script, "%s hook %d runs %s", event, i, script)
			require.Contains(t, vargs[len(vargs)-1], "HELM_PLUGIN_DIR")
		}
	}
}
