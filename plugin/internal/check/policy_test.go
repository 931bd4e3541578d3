package check

import (
	"os"
	"path/filepath"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

const unprobed = `
apiVersion: batch/v1
kind: Job
metadata: {name: shop-migrate, namespace: prod}
spec:
  template:
    spec:
      restartPolicy: Never
      securityContext: {runAsNonRoot: true, runAsUser: 1000, seccompProfile: {type: RuntimeDefault}}
      containers:
        - name: m
          image: example/migrate:latest
          securityContext: {allowPrivilegeEscalation: false, capabilities: {drop: [ALL]}}
---
apiVersion: apps/v1
kind: Deployment
metadata:
  name: shop-web
  namespace: prod
  annotations: {stack.dev/lint-exempt: "probes, pinned-images", stack.dev/lint-exempt-reason: "a vendor image we do not build"}
spec:
  selector: {matchLabels: {app: web}}
  template:
    metadata: {labels: {app: web}}
    spec:
      securityContext: {runAsNonRoot: true, runAsUser: 1000, seccompProfile: {type: RuntimeDefault}}
      containers:
        - name: web
          image: example/web:latest
          resources: {requests: {cpu: 10m, memory: 16Mi}, limits: {memory: 32Mi}}
          securityContext: {allowPrivilegeEscalation: false, capabilities: {drop: [ALL]}}
`

func writePolicy(t *testing.T, text string) string {
	t.Helper()
	p := filepath.Join(t.TempDir(), "stackcheck.yaml")
	require.NoError(t, os.WriteFile(p, []byte(text), 0o644))
	return p
}

// Issue 17: lint severities and per-object exemptions, by annotation and by a config file, each
// exemption reported with its reason.
func TestLintPolicyExemptsAndGradesFindings(t *testing.T) {
	e := newEnv(t, unprobed, "v1.36.3", nil)
	results := Run(t.Context(), Lint(), e.Env)

	// No policy: the annotation alone exempts shop-web from probes and pinned-images (reported),
	// the Job's unpinned image and missing resources fail.
	rs := (&Policy{}).Apply(results, e.Objects)
	assert.Contains(t, rs, Result{Check: "probes", Status: Pass, Object: "Deployment/prod/shop-web", Message: "exempt (annotation stack.dev/lint-exempt): a vendor image we do not build"})
	assert.Contains(t, rs, Result{Check: "pinned-images", Status: Pass, Object: "Deployment/prod/shop-web", Message: "exempt (annotation stack.dev/lint-exempt): a vendor image we do not build"})
	fails := map[string]int{}
	for _, r := range only(rs, Fail) {
		fails[r.Check+" "+r.Object]++
	}
	assert.Equal(t, 2, fails["resources Job/prod/shop-migrate"])
	assert.Equal(t, 1, fails["pinned-images Job/prod/shop-migrate"])
	assert.Zero(t, fails["probes Deployment/prod/shop-web"], "exempted")

	// A config: the Job exempt from resources (glob), pinned images only a warning, network
	// policies only information.
	p, err := LoadPolicy(writePolicy(t, `
severity: {pinned-images: warning, network-policy: info}
exemptions:
  - {check: resources, object: "Job/*/shop-*", reason: "one-shot migration, sized by the platform team"}
`), Lint())
	require.NoError(t, err)
	rs = p.Apply(results, e.Objects)
	assert.Contains(t, rs, Result{Check: "resources", Status: Pass, Object: "Job/prod/shop-migrate", Message: "exempt (config): one-shot migration, sized by the platform team"})
	assert.Empty(t, only(rs, Fail), "%v", only(rs, Fail))
	warns := only(rs, Warn)
	require.Len(t, warns, 1)
	assert.Equal(t, "pinned-images", warns[0].Check)
	for _, r := range rs {
		if r.Check == "network-policy" {
			assert.Equal(t, Pass, r.Status)
			assert.Regexp(t, `^info: `, r.Message)
		}
	}
}

func TestAnExemptionWithoutAReasonExemptsNothing(t *testing.T) {
	e := newEnv(t, `
apiVersion: apps/v1
kind: Deployment
metadata: {name: shop-web, namespace: prod, annotations: {stack.dev/lint-exempt: probes}}
spec:
  selector: {matchLabels: {app: web}}
  template:
    metadata: {labels: {app: web}}
    spec:
      containers: [{name: web, image: example/web:1.0}]
`, "v1.36.3", nil)
	rs := (&Policy{}).Apply(Run(t.Context(), []Check{Probes}, e.Env), e.Objects)
	var msgs []string
	for _, r := range only(rs, Fail) {
		msgs = append(msgs, r.Message)
	}
	assert.Contains(t, msgs, `container "web": no livenessProbe`, "not exempted")
	assert.Contains(t, msgs, "stack.dev/lint-exempt: probes without a reason: an exemption says why (stack.dev/lint-exempt-reason)")
}

func TestAPolicyFileNamesKnownChecksAndGivesReasons(t *testing.T) {
	for text, want := range map[string]string{
		"severity: {probe: warning}":                              "severity.probe: no such check",
		"severity: {probes: low}":                                 `severity.probes: "low" is not error, warning or info`,
		"exemptions: [{check: probes, object: 'Job/*/x'}]":        "exemptions[0].reason: an exemption says why",
		"exemptions: [{check: probes, reason: x}]":                "exemptions[0].object: name the objects",
		"exemptions: [{check: probs, object: 'x', reason: y}]":    `exemptions[0].check: "probs" is no such check`,
		"severities: {probes: warning}":                           `unknown field "severities"`,
		"exemptions: [{check: probes, object: '[', reason: why}]": "exemptions[0].object",
	} {
		_, err := LoadPolicy(writePolicy(t, text), Lint())
		require.Error(t, err, text)
		assert.Contains(t, err.Error(), want, text)
	}
}
