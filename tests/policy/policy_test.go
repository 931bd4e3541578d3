package policy

import (
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/stack-charts/stack/tests/render"
)

const compliantPod = `apiVersion: v1
kind: Pod
metadata: {name: ok}
spec:
  securityContext: {runAsNonRoot: true, seccompProfile: {type: RuntimeDefault}}
  containers:
    - name: app
      image: example.org/app:1.2.3
      resources: {requests: {cpu: 10m, memory: 16Mi}, limits: {memory: 32Mi}}
      securityContext: {allowPrivilegeEscalation: false, capabilities: {drop: [ALL]}}
`

const badDeployment = `apiVersion: apps/v1
kind: Deployment
metadata: {name: bad}
spec:
  selector: {matchLabels: {a: b}}
  template:
    metadata: {labels: {a: b}}
    spec:
      containers:
        - name: app
          image: example.org/app:latest
          securityContext: {privileged: true}
`

func decode(t *testing.T, docs ...string) []render.Object {
	t.Helper()
	var out []render.Object
	for _, d := range docs {
		o, err := render.Decode(d)
		require.NoError(t, err)
		out = append(out, o)
	}
	return out
}

func TestACompliantPodHasNoFindings(t *testing.T) {
	assert.Empty(t, Check(decode(t, compliantPod), Options{}))
}

func TestABadDeploymentBreaksEveryRule(t *testing.T) {
	got := map[string]bool{}
	for _, f := range Check(decode(t, badDeployment), Options{}) {
		got[f.Rule] = true
	}
	for _, rule := range []string{"pss-restricted", "resources", "probes", "image-pinned"} {
		assert.True(t, got[rule], "expected a %s finding, got %v", rule, got)
	}
}

func TestAnExemptObjectSkipsOnlyPodSecurity(t *testing.T) {
	for _, f := range Check(decode(t, badDeployment), Options{Exempt: []string{"Deployment/bad"}}) {
		assert.NotEqual(t, "pss-restricted", f.Rule, f.String())
	}
}

func TestPinnedImages(t *testing.T) {
	for image, want := range map[string]bool{
		"nginx": false, "nginx:latest": false, "registry:5000/nginx": false,
		"nginx:1.28.0": true, "registry:5000/nginx:1.2": true, "nginx@sha256:" + string(make([]byte, 0)) + "abc": true,
	} {
		assert.Equal(t, want, pinned(image), image)
	}
}
