package render

import (
	"fmt"
	"os"
	"path/filepath"

	"sigs.k8s.io/yaml"
)

// SectionFile writes the values an umbrella values file gives one subchart (its top-level key
// `chart:`) as a values file for that chart installed alone, in dir, and returns its path: a
// profile or an image overlay written for the umbrella, reused for a component's own install.
// A file with no such key gives an empty values file.
func SectionFile(umbrellaValues, chart, dir string) (string, error) {
	raw, err := os.ReadFile(umbrellaValues)
	if err != nil {
		return "", err
	}
	var all map[string]any
	if err := yaml.Unmarshal(raw, &all); err != nil {
		return "", fmt.Errorf("%s: %w", umbrellaValues, err)
	}
	section, _ := all[chart].(map[string]any)
	if section == nil {
		section = map[string]any{}
	}
	out, err := yaml.Marshal(section)
	if err != nil {
		return "", err
	}
	path := filepath.Join(dir, chart+"-"+filepath.Base(umbrellaValues))
	return path, os.WriteFile(path, out, 0o600)
}
