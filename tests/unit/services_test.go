package unit

import (
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	appsv1 "k8s.io/api/apps/v1"
	autoscalingv2 "k8s.io/api/autoscaling/v2"
	batchv1 "k8s.io/api/batch/v1"
	corev1 "k8s.io/api/core/v1"
	networkingv1 "k8s.io/api/networking/v1"
	policyv1 "k8s.io/api/policy/v1"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"

	"github.com/stack-charts/stack/tests/policy"
	"github.com/stack-charts/stack/tests/render"
)

// podinfoApp is a minimal valid service app, merged with extra fields.
func podinfoApp(extra map[string]any) map[string]any {
	app := map[string]any{
		"image": map[string]any{"registry": "ghcr.io", "repository": "stefanprodan/podinfo", "tag": "6.9.2"},
		"ports": []any{map[string]any{"name": "http", "containerPort": 9898, "servicePort": 80}},
		"probes": map[string]any{
			"liveness":  map[string]any{"httpGet": map[string]any{"path": "/healthz", "port": "http"}},
			"readiness": map[string]any{"httpGet": map[string]any{"path": "/readyz", "port": "http"}},
		},
	}
	for k, v := range extra {
		app[k] = v
	}
	return app
}

// renderServices renders the services chart (release "shop") with apps and extra top-level values.
func renderServices(t *testing.T, apps map[string]any, extra map[string]any, set ...string) *render.Result {
	t.Helper()
	vals := map[string]any{"apps": apps}
	for k, v := range extra {
		vals[k] = v
	}
	return render.Render(t, chart("services"), render.Options{ReleaseName: "shop", Namespace: "prod", Values: vals, Set: set})
}

func env(c corev1.Container) map[string]corev1.EnvVar {
	out := map[string]corev1.EnvVar{}
	for _, e := range c.Env {
		out[e.Name] = e
	}
	return out
}

func TestAServiceGetsADeploymentServiceAccountPDBAndService(t *testing.T) {
	t.Parallel()
	r := renderServices(t, map[string]any{"users": podinfoApp(nil)}, nil)

	d := render.Get[*appsv1.Deployment](t, r, "shop-users")
	assert.EqualValues(t, 2, *d.Spec.Replicas, "default replicas")
	assert.Equal(t, map[string]string{"app.kubernetes.io/name": "users", "app.kubernetes.io/instance": "shop"}, d.Spec.Selector.MatchLabels)
	assert.Equal(t, "1", d.Spec.Strategy.RollingUpdate.MaxSurge.String())
	assert.Equal(t, "1", d.Spec.Strategy.RollingUpdate.MaxUnavailable.String())
	pod := d.Spec.Template.Spec
	assert.Equal(t, "shop-users", pod.ServiceAccountName)
	assert.False(t, *pod.AutomountServiceAccountToken)
	assert.EqualValues(t, 30, *pod.TerminationGracePeriodSeconds)
	require.Len(t, pod.TopologySpreadConstraints, 2)
	assert.Equal(t, corev1.ScheduleAnyway, pod.TopologySpreadConstraints[0].WhenUnsatisfiable)
	c := pod.Containers[0]
	assert.Equal(t, "ghcr.io/stefanprodan/podinfo:6.9.2", c.Image)
	assert.Equal(t, corev1.PullIfNotPresent, c.ImagePullPolicy)
	assert.EqualValues(t, 10, c.Lifecycle.PreStop.Sleep.Seconds)
	assert.EqualValues(t, 10, c.LivenessProbe.PeriodSeconds, "default probe period")
	assert.EqualValues(t, 3, c.ReadinessProbe.FailureThreshold, "default probe failures")
	assert.Nil(t, c.StartupProbe, "startup probe is off by default")
	assert.True(t, *c.SecurityContext.ReadOnlyRootFilesystem)
	assert.Equal(t, "/tmp", c.VolumeMounts[0].MountPath, "default tmp work volume")
	assert.Equal(t, "64Mi", pod.Volumes[0].EmptyDir.SizeLimit.String())

	svc := render.Get[*corev1.Service](t, r, "shop-users")
	assert.Equal(t, corev1.ServiceTypeClusterIP, svc.Spec.Type)
	require.Len(t, svc.Spec.Ports, 1)
	assert.EqualValues(t, 80, svc.Spec.Ports[0].Port)
	assert.Equal(t, "http", svc.Spec.Ports[0].TargetPort.String())
	assert.Equal(t, corev1.ServiceAffinityNone, svc.Spec.SessionAffinity)

	sa := render.Get[*corev1.ServiceAccount](t, r, "shop-users")
	assert.False(t, *sa.AutomountServiceAccountToken)
	pdb := render.Get[*policyv1.PodDisruptionBudget](t, r, "shop-users")
	assert.Equal(t, "1", pdb.Spec.MinAvailable.String())
}

func TestAWorkerHasNoServiceAndAPortCanStayOffTheService(t *testing.T) {
	t.Parallel()
	r := renderServices(t, map[string]any{
		"mailer": podinfoApp(map[string]any{"type": "worker"}),
		"users": podinfoApp(map[string]any{"ports": []any{
			map[string]any{"name": "http", "containerPort": 9898},
			map[string]any{"name": "metrics", "containerPort": 9797, "expose": false, "protocol": "TCP"},
		}}),
	}, nil)
	assert.True(t, render.Has[*appsv1.Deployment](r, "shop-mailer"))
	assert.False(t, render.Has[*corev1.Service](r, "shop-mailer"), "a worker has no Service")
	svc := render.Get[*corev1.Service](t, r, "shop-users")
	require.Len(t, svc.Spec.Ports, 1, "the metrics port is not exposed")
	assert.EqualValues(t, 9898, svc.Spec.Ports[0].Port, "servicePort defaults to containerPort")
}

func TestACronJobCarriesItsScheduleAndJobLimits(t *testing.T) {
	t.Parallel()
	r := renderServices(t, map[string]any{"pipeline": podinfoApp(map[string]any{
		"type": "cronjob", "schedule": "*/5 * * * *", "timeZone": "Europe/Berlin", "suspend": true,
		"successfulJobsHistoryLimit": 5, "failedJobsHistoryLimit": 2, "backoffLimit": 4,
		"activeDeadlineSeconds": 120, "startingDeadlineSeconds": 60, "ttlSecondsAfterFinished": 300,
		"restartPolicy": "Never", "command": []any{"./podcli"}, "args": []any{"check", "http", "localhost"},
	})}, nil)
	cj := render.Get[*batchv1.CronJob](t, r, "shop-pipeline")
	assert.Equal(t, "*/5 * * * *", cj.Spec.Schedule)
	assert.Equal(t, "Europe/Berlin", *cj.Spec.TimeZone)
	assert.Equal(t, batchv1.ForbidConcurrent, cj.Spec.ConcurrencyPolicy, "Forbid by default")
	assert.True(t, *cj.Spec.Suspend)
	assert.EqualValues(t, 5, *cj.Spec.SuccessfulJobsHistoryLimit)
	assert.EqualValues(t, 2, *cj.Spec.FailedJobsHistoryLimit)
	assert.EqualValues(t, 60, *cj.Spec.StartingDeadlineSeconds)
	job := cj.Spec.JobTemplate.Spec
	assert.EqualValues(t, 4, *job.BackoffLimit)
	assert.EqualValues(t, 120, *job.ActiveDeadlineSeconds)
	assert.EqualValues(t, 300, *job.TTLSecondsAfterFinished)
	pod := job.Template.Spec
	assert.Equal(t, corev1.RestartPolicyNever, pod.RestartPolicy)
	c := pod.Containers[0]
	assert.Equal(t, []string{"./podcli"}, c.Command)
	assert.Equal(t, []string{"check", "http", "localhost"}, c.Args)
	assert.Nil(t, c.LivenessProbe, "jobs run no probes")
	assert.Nil(t, c.Lifecycle, "jobs need no preStop delay")
	assert.Empty(t, pod.TopologySpreadConstraints)
	assert.False(t, render.Has[*policyv1.PodDisruptionBudget](r, "shop-pipeline"))
	assert.False(t, render.Has[*corev1.Service](r, "shop-pipeline"))

	r = renderServices(t, map[string]any{"pipeline": podinfoApp(map[string]any{"type": "cronjob", "schedule": "@hourly", "concurrencyPolicy": "Replace"})}, nil)
	assert.Equal(t, batchv1.ReplaceConcurrent, render.Get[*batchv1.CronJob](t, r, "shop-pipeline").Spec.ConcurrencyPolicy)
}

func TestAnHPAReplacesReplicasAndScalesOnCPUAndMemory(t *testing.T) {
	t.Parallel()
	r := renderServices(t, map[string]any{"users": podinfoApp(map[string]any{"hpa": map[string]any{
		"enabled": true, "minReplicas": 3, "maxReplicas": 7, "targetCPUUtilizationPercentage": 60,
		"targetMemoryUtilizationPercentage": 80,
		"behavior":                          map[string]any{"scaleDown": map[string]any{"stabilizationWindowSeconds": 120}},
	}})}, nil)
	d := render.Get[*appsv1.Deployment](t, r, "shop-users")
	assert.Nil(t, d.Spec.Replicas, "the HPA owns replicas")
	hpa := render.Get[*autoscalingv2.HorizontalPodAutoscaler](t, r, "shop-users")
	assert.EqualValues(t, 3, *hpa.Spec.MinReplicas)
	assert.EqualValues(t, 7, hpa.Spec.MaxReplicas)
	assert.Equal(t, "shop-users", hpa.Spec.ScaleTargetRef.Name)
	require.Len(t, hpa.Spec.Metrics, 2)
	assert.EqualValues(t, 60, *hpa.Spec.Metrics[0].Resource.Target.AverageUtilization)
	assert.EqualValues(t, corev1.ResourceMemory, hpa.Spec.Metrics[1].Resource.Name)
	assert.EqualValues(t, 120, *hpa.Spec.Behavior.ScaleDown.StabilizationWindowSeconds)
	assert.True(t, render.Has[*policyv1.PodDisruptionBudget](r, "shop-users"), "minReplicas 3 gets a PDB")

	r = renderServices(t, map[string]any{"users": podinfoApp(map[string]any{"hpa": map[string]any{"enabled": true}})}, nil)
	hpa = render.Get[*autoscalingv2.HorizontalPodAutoscaler](t, r, "shop-users")
	assert.EqualValues(t, 2, *hpa.Spec.MinReplicas, "default min")
	assert.EqualValues(t, 10, hpa.Spec.MaxReplicas, "default max")
	assert.EqualValues(t, 70, *hpa.Spec.Metrics[0].Resource.Target.AverageUtilization, "default CPU target")
}

func TestPodDisruptionBudgets(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		name  string
		app   map[string]any
		want  bool
		check func(*testing.T, *policyv1.PodDisruptionBudget)
	}{
		{"a single replica gets none (it would block drains)", map[string]any{"replicas": 1}, false, nil},
		{"enabled true forces one", map[string]any{"replicas": 1, "pdb": map[string]any{"enabled": true}}, true, nil},
		{"enabled false removes it", map[string]any{"replicas": 3, "pdb": map[string]any{"enabled": false}}, false, nil},
		{"maxUnavailable wins over minAvailable", map[string]any{"replicas": 3, "pdb": map[string]any{"maxUnavailable": 1, "minAvailable": 2}}, true,
			func(t *testing.T, p *policyv1.PodDisruptionBudget) {
				assert.Nil(t, p.Spec.MinAvailable)
				assert.Equal(t, "1", p.Spec.MaxUnavailable.String())
			}},
		{"minAvailable may be a percentage", map[string]any{"replicas": 4, "pdb": map[string]any{"minAvailable": "50%"}}, true,
			func(t *testing.T, p *policyv1.PodDisruptionBudget) {
				assert.Equal(t, "50%", p.Spec.MinAvailable.String())
			}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			r := renderServices(t, map[string]any{"users": podinfoApp(tc.app)}, nil)
			p, err := render.GetE[*policyv1.PodDisruptionBudget](r, "shop-users")
			assert.Equal(t, tc.want, err == nil, "PDB rendered")
			if tc.check != nil && p != nil {
				tc.check(t, p)
			}
		})
	}
}

func TestUsesWiresEnvSecretsClientLabelsAndEgress(t *testing.T) {
	t.Parallel()
	r := renderServices(t, map[string]any{"users": podinfoApp(map[string]any{"uses": []any{"mysql", "redis", "rabbitmq"}})}, nil)
	d := render.Get[*appsv1.Deployment](t, r, "shop-users")
	e := env(d.Spec.Template.Spec.Containers[0])
	assert.Equal(t, "shop-mysql.prod.svc.cluster.local", e["MYSQL_HOST"].Value)
	assert.Equal(t, "3306", e["MYSQL_PORT"].Value)
	assert.Equal(t, "app", e["MYSQL_DATABASE"].Value)
	assert.Equal(t, "app", e["MYSQL_USER"].Value)
	assert.Equal(t, "shop-mysql", e["MYSQL_PASSWORD"].ValueFrom.SecretKeyRef.Name)
	assert.Equal(t, "mysql-password", e["MYSQL_PASSWORD"].ValueFrom.SecretKeyRef.Key)
	assert.Equal(t, "shop-redis.prod.svc.cluster.local:6379", e["REDIS_ADDR"].Value)
	assert.Equal(t, "redis-password", e["REDIS_PASSWORD"].ValueFrom.SecretKeyRef.Key)
	assert.Equal(t, "amqp://$(RABBITMQ_USER):$(RABBITMQ_PASSWORD)@shop-rabbitmq.prod.svc.cluster.local:5672/%2F", e["AMQP_URL"].Value)
	labels := d.Spec.Template.Labels
	for _, dep := range []string{"mysql", "redis", "rabbitmq"} {
		assert.Equal(t, "true", labels["uses.stack.dev/"+dep])
	}
	np := render.Get[*networkingv1.NetworkPolicy](t, r, "shop-users")
	ports := map[int32]string{}
	for _, rule := range np.Spec.Egress {
		for _, p := range rule.Ports {
			if len(rule.To) > 0 && rule.To[0].PodSelector != nil {
				ports[p.Port.IntVal] = rule.To[0].PodSelector.MatchLabels["app.kubernetes.io/name"]
			}
		}
	}
	assert.Equal(t, map[int32]string{3306: "mysql", 6379: "redis", 5672: "rabbitmq"}, ports)
}

func TestGlobalDependencyOverridesReachTheConsumers(t *testing.T) {
	t.Parallel()
	r := renderServices(t, map[string]any{"users": podinfoApp(map[string]any{"uses": []any{"mysql", "rabbitmq"}})}, map[string]any{
		"global": map[string]any{
			"clusterDomain": "corp.internal",
			"dependencies": map[string]any{
				"mysql":    map[string]any{"secretName": "db-creds", "passwordKey": "pw", "username": "shop", "database": "orders", "port": 3307},
				"rabbitmq": map[string]any{"host": "mq.example.org", "vhost": "shop"},
			},
		},
	})
	e := env(render.Get[*appsv1.Deployment](t, r, "shop-users").Spec.Template.Spec.Containers[0])
	assert.Equal(t, "shop-mysql.prod.svc.corp.internal", e["MYSQL_HOST"].Value, "clusterDomain")
	assert.Equal(t, "3307", e["MYSQL_PORT"].Value)
	assert.Equal(t, "db-creds", e["MYSQL_PASSWORD"].ValueFrom.SecretKeyRef.Name)
	assert.Equal(t, "pw", e["MYSQL_PASSWORD"].ValueFrom.SecretKeyRef.Key)
	assert.Equal(t, "shop", e["MYSQL_USER"].Value)
	assert.Equal(t, "orders", e["MYSQL_DATABASE"].Value)
	assert.Equal(t, "mq.example.org", e["RABBITMQ_HOST"].Value)
	assert.Equal(t, "shop", e["RABBITMQ_VHOST"].Value)
}

func TestCallsWiresTheCalleeURLAndBothPolicies(t *testing.T) {
	t.Parallel()
	r := renderServices(t, map[string]any{
		"users":  podinfoApp(nil),
		"orders": podinfoApp(map[string]any{"calls": []any{"users"}}),
	}, nil)
	orders := render.Get[*appsv1.Deployment](t, r, "shop-orders")
	assert.Equal(t, "http://shop-users.prod.svc.cluster.local:80", env(orders.Spec.Template.Spec.Containers[0])["USERS_URL"].Value)
	assert.Equal(t, "true", orders.Spec.Template.Labels["calls.stack.dev/users"])

	usersNP := render.Get[*networkingv1.NetworkPolicy](t, r, "shop-users")
	admitted := false
	for _, rule := range usersNP.Spec.Ingress {
		for _, from := range rule.From {
			if from.PodSelector != nil && from.PodSelector.MatchLabels["calls.stack.dev/users"] == "true" {
				admitted = true
			}
		}
	}
	assert.True(t, admitted, "users admits pods labelled as its callers")
	ordersNP := render.Get[*networkingv1.NetworkPolicy](t, r, "shop-orders")
	last := ordersNP.Spec.Egress[len(ordersNP.Spec.Egress)-1]
	assert.Equal(t, "users", last.To[0].PodSelector.MatchLabels["app.kubernetes.io/name"])
	assert.EqualValues(t, 9898, last.Ports[0].Port.IntVal, "egress to the callee's container port")
}

func TestNodePortServiceWithFixedPortAndSessionAffinity(t *testing.T) {
	t.Parallel()
	r := renderServices(t, map[string]any{"frontend": podinfoApp(map[string]any{
		"ports": []any{map[string]any{"name": "http", "containerPort": 9898, "servicePort": 80, "nodePort": 30080}},
		"service": map[string]any{"type": "NodePort", "sessionAffinity": "ClientIP", "sessionAffinityTimeoutSeconds": 600,
			"annotations": map[string]any{"example.org/team": "web"}},
	})}, nil)
	svc := render.Get[*corev1.Service](t, r, "shop-frontend")
	assert.Equal(t, corev1.ServiceTypeNodePort, svc.Spec.Type)
	assert.EqualValues(t, 30080, svc.Spec.Ports[0].NodePort)
	assert.Equal(t, corev1.ServiceAffinityClientIP, svc.Spec.SessionAffinity)
	assert.EqualValues(t, 600, *svc.Spec.SessionAffinityConfig.ClientIP.TimeoutSeconds)
	assert.Equal(t, "web", svc.Annotations["example.org/team"])
	np := render.Get[*networkingv1.NetworkPolicy](t, r, "shop-frontend")
	open := false
	for _, rule := range np.Spec.Ingress {
		if len(rule.From) == 0 {
			open = true
		}
	}
	assert.True(t, open, "a NodePort service admits traffic from outside the cluster")
}

func TestEnvEnvFromConfigMapsAndSecretsRollPodsOnChange(t *testing.T) {
	t.Parallel()
	apps := map[string]any{"users": podinfoApp(map[string]any{
		"env":        []any{map[string]any{"name": "RELEASE", "value": "{{ .Release.Name }}"}},
		"envFrom":    []any{map[string]any{"secretRef": map[string]any{"name": "{{ .Release.Name }}-external"}}},
		"configMaps": []any{"settings"},
		"secrets":    []any{"api-keys"},
	})}
	top := map[string]any{
		"configMaps": map[string]any{"settings": map[string]any{"LOG_LEVEL": "info", "WORKERS": 4}},
		"secrets":    map[string]any{"api-keys": map[string]any{"STRIPE_KEY": "sk_test_x"}},
	}
	r := renderServices(t, apps, top)
	c := render.Get[*appsv1.Deployment](t, r, "shop-users").Spec.Template.Spec.Containers[0]
	assert.Equal(t, "shop", env(c)["RELEASE"].Value, "env values are templates")
	require.Len(t, c.EnvFrom, 3)
	assert.Equal(t, "shop-settings", c.EnvFrom[0].ConfigMapRef.Name)
	assert.Equal(t, "shop-api-keys", c.EnvFrom[1].SecretRef.Name)
	assert.Equal(t, "shop-external", c.EnvFrom[2].SecretRef.Name)
	cm := render.Get[*corev1.ConfigMap](t, r, "shop-settings")
	assert.Equal(t, "4", cm.Data["WORKERS"])
	sec := render.Get[*corev1.Secret](t, r, "shop-api-keys")
	assert.Equal(t, "sk_test_x", string(sec.Data["STRIPE_KEY"]))

	before := render.Get[*appsv1.Deployment](t, r, "shop-users").Spec.Template.Annotations["checksum/config"]
	top["configMaps"] = map[string]any{"settings": map[string]any{"LOG_LEVEL": "debug", "WORKERS": 4}}
	after := render.Get[*appsv1.Deployment](t, renderServices(t, apps, top), "shop-users").Spec.Template.Annotations["checksum/config"]
	assert.NotEqual(t, before, after, "a ConfigMap change must change the pod template")
}

func TestProbesResourcesAndStrategyAreConfigurable(t *testing.T) {
	t.Parallel()
	r := renderServices(t, map[string]any{"users": podinfoApp(map[string]any{
		"probes": map[string]any{
			"liveness":  map[string]any{"httpGet": map[string]any{"path": "/healthz", "port": "http"}, "periodSeconds": 20, "failureThreshold": 6, "initialDelaySeconds": 3},
			"readiness": map[string]any{"enabled": false},
			"startup":   map[string]any{"enabled": true, "tcpSocket": map[string]any{"port": "http"}, "failureThreshold": 30},
		},
		"resources":                     map[string]any{"requests": map[string]any{"cpu": "250m", "memory": "256Mi"}, "limits": map[string]any{"cpu": "1", "memory": "512Mi"}},
		"strategy":                      map[string]any{"maxSurge": "25%", "maxUnavailable": 0},
		"preStopSleepSeconds":           0,
		"terminationGracePeriodSeconds": 60,
		"replicas":                      4,
	})}, nil)
	d := render.Get[*appsv1.Deployment](t, r, "shop-users")
	assert.EqualValues(t, 4, *d.Spec.Replicas)
	assert.Equal(t, "25%", d.Spec.Strategy.RollingUpdate.MaxSurge.String())
	assert.Equal(t, "0", d.Spec.Strategy.RollingUpdate.MaxUnavailable.String())
	pod := d.Spec.Template.Spec
	assert.EqualValues(t, 60, *pod.TerminationGracePeriodSeconds)
	c := pod.Containers[0]
	assert.EqualValues(t, 20, c.LivenessProbe.PeriodSeconds)
	assert.EqualValues(t, 6, c.LivenessProbe.FailureThreshold)
	assert.EqualValues(t, 3, c.LivenessProbe.InitialDelaySeconds)
	assert.Nil(t, c.ReadinessProbe, "readiness disabled")
	assert.EqualValues(t, 30, c.StartupProbe.FailureThreshold)
	assert.EqualValues(t, 10, c.StartupProbe.PeriodSeconds)
	assert.Equal(t, "250m", c.Resources.Requests.Cpu().String())
	assert.Equal(t, "512Mi", c.Resources.Limits.Memory().String())
	assert.Nil(t, c.Lifecycle, "preStopSleepSeconds 0 removes the hook")
}

func TestVolumesAndWorkVolumes(t *testing.T) {
	t.Parallel()
	r := renderServices(t, map[string]any{"runner": podinfoApp(map[string]any{
		"type":         "worker",
		"workVolumes":  []any{map[string]any{"name": "scratch", "mountPath": "/scratch", "sizeLimit": "1Gi", "medium": "Memory"}},
		"volumes":      []any{map[string]any{"name": "certs", "secret": map[string]any{"secretName": "ca"}}},
		"volumeMounts": []any{map[string]any{"name": "certs", "mountPath": "/certs", "readOnly": true}},
	})}, nil)
	pod := render.Get[*appsv1.Deployment](t, r, "shop-runner").Spec.Template.Spec
	require.Len(t, pod.Volumes, 2)
	assert.Equal(t, corev1.StorageMediumMemory, pod.Volumes[0].EmptyDir.Medium)
	assert.Equal(t, "1Gi", pod.Volumes[0].EmptyDir.SizeLimit.String())
	assert.Equal(t, "ca", pod.Volumes[1].Secret.SecretName)
	mounts := pod.Containers[0].VolumeMounts
	require.Len(t, mounts, 2)
	assert.Equal(t, "/scratch", mounts[0].MountPath, "the work volume replaces the default /tmp")
	assert.True(t, mounts[1].ReadOnly)
}

func TestMetricsAnnotateAndEmitOperatorObjectsWhenServed(t *testing.T) {
	t.Parallel()
	apps := map[string]any{
		"users": podinfoApp(map[string]any{
			"ports":   []any{map[string]any{"name": "http", "containerPort": 9898}, map[string]any{"name": "metrics", "containerPort": 9797}},
			"metrics": map[string]any{"enabled": true, "port": "metrics", "path": "/metrics", "interval": "15s"},
		}),
		"mailer": podinfoApp(map[string]any{"type": "worker", "metrics": map[string]any{"enabled": true, "port": 9898}}),
	}
	r := renderServices(t, apps, nil)
	ann := render.Get[*appsv1.Deployment](t, r, "shop-users").Spec.Template.Annotations
	assert.Equal(t, "true", ann["prometheus.io/scrape"])
	assert.Equal(t, "9797", ann["prometheus.io/port"], "the port name resolves to its number")
	assert.Zero(t, r.Count("ServiceMonitor"), "no ServiceMonitor when the operator's API is not served")

	r = render.Render(t, chart("services"), render.Options{ReleaseName: "shop", Values: map[string]any{"apps": apps},
		APIVersions: []string{"monitoring.coreos.com/v1/ServiceMonitor", "monitoring.coreos.com/v1/PodMonitor"}})
	sm := render.Unstructured(t, r, "ServiceMonitor", "shop-users")
	eps, _, _ := unstructured.NestedSlice(sm.Object, "spec", "endpoints")
	assert.Equal(t, "15s", eps[0].(map[string]any)["interval"])
	render.Unstructured(t, r, "PodMonitor", "shop-mailer")
}

func TestNetworkPolicyKnobs(t *testing.T) {
	t.Parallel()
	r := renderServices(t, map[string]any{
		"users": podinfoApp(map[string]any{
			"metrics": map[string]any{"enabled": true},
			"networkPolicy": map[string]any{
				"allowGateway": false,
				"ingress":      []any{map[string]any{"from": []any{map[string]any{"podSelector": map[string]any{"matchLabels": map[string]any{"role": "admin"}}}}}},
				"egress":       []any{map[string]any{"to": []any{map[string]any{"ipBlock": map[string]any{"cidr": "203.0.113.0/24"}}}}},
			},
		}),
		"legacy": podinfoApp(map[string]any{"networkPolicy": map[string]any{"enabled": false}}),
	}, map[string]any{"global": map[string]any{"networkPolicy": map[string]any{"dnsNamespace": "dns", "monitoringNamespace": "monitoring"}}})
	assert.False(t, render.Has[*networkingv1.NetworkPolicy](r, "shop-legacy"))
	np := render.Get[*networkingv1.NetworkPolicy](t, r, "shop-users")
	for _, rule := range np.Spec.Ingress {
		for _, from := range rule.From {
			if from.PodSelector != nil {
				assert.NotEqual(t, "gateway", from.PodSelector.MatchLabels["app.kubernetes.io/name"], "allowGateway false")
			}
		}
	}
	last := np.Spec.Ingress[len(np.Spec.Ingress)-1]
	assert.Equal(t, "admin", last.From[0].PodSelector.MatchLabels["role"], "extra ingress appended")
	mon := np.Spec.Ingress[len(np.Spec.Ingress)-2]
	assert.Equal(t, "monitoring", mon.From[0].NamespaceSelector.MatchLabels["kubernetes.io/metadata.name"])
	assert.Equal(t, "dns", np.Spec.Egress[0].To[0].NamespaceSelector.MatchLabels["kubernetes.io/metadata.name"])
	assert.Equal(t, "203.0.113.0/24", np.Spec.Egress[len(np.Spec.Egress)-1].To[0].IPBlock.CIDR)
}

func TestSchedulingAndPodMetadataKnobs(t *testing.T) {
	t.Parallel()
	r := renderServices(t, map[string]any{"users": podinfoApp(map[string]any{
		"nodeSelector":      map[string]any{"pool": "web"},
		"tolerations":       []any{map[string]any{"key": "dedicated", "operator": "Equal", "value": "web", "effect": "NoSchedule"}},
		"affinity":          map[string]any{"nodeAffinity": map[string]any{"requiredDuringSchedulingIgnoredDuringExecution": map[string]any{"nodeSelectorTerms": []any{map[string]any{"matchExpressions": []any{map[string]any{"key": "arch", "operator": "In", "values": []any{"amd64"}}}}}}}},
		"priorityClassName": "high",
		"podAnnotations":    map[string]any{"example.org/owner": "web"},
		"podLabels":         map[string]any{"tier": "api"},
		"topologySpread":    map[string]any{"maxSkew": 2, "whenUnsatisfiable": "DoNotSchedule", "topologyKeys": []any{"topology.kubernetes.io/zone"}},
	}), "solo": podinfoApp(map[string]any{"topologySpread": map[string]any{"enabled": false}})}, nil)
	pod := render.Get[*appsv1.Deployment](t, r, "shop-users").Spec.Template
	assert.Equal(t, "web", pod.Spec.NodeSelector["pool"])
	assert.Equal(t, "dedicated", pod.Spec.Tolerations[0].Key)
	assert.NotNil(t, pod.Spec.Affinity.NodeAffinity)
	assert.Equal(t, "high", pod.Spec.PriorityClassName)
	assert.Equal(t, "web", pod.Annotations["example.org/owner"])
	assert.Equal(t, "api", pod.Labels["tier"])
	require.Len(t, pod.Spec.TopologySpreadConstraints, 1)
	tsc := pod.Spec.TopologySpreadConstraints[0]
	assert.EqualValues(t, 2, tsc.MaxSkew)
	assert.Equal(t, corev1.DoNotSchedule, tsc.WhenUnsatisfiable)
	assert.Equal(t, []string{"pod-template-hash"}, tsc.MatchLabelKeys, "spread is computed per rollout revision")
	assert.Empty(t, render.Get[*appsv1.Deployment](t, r, "shop-solo").Spec.Template.Spec.TopologySpreadConstraints)
}

func TestSecurityContextsMergeOverTheRestrictedDefaults(t *testing.T) {
	t.Parallel()
	r := renderServices(t, map[string]any{"users": podinfoApp(map[string]any{
		"podSecurityContext": map[string]any{"runAsUser": 1000, "fsGroup": 1000},
		"securityContext":    map[string]any{"readOnlyRootFilesystem": false},
	})}, nil)
	pod := render.Get[*appsv1.Deployment](t, r, "shop-users").Spec.Template.Spec
	assert.EqualValues(t, 1000, *pod.SecurityContext.RunAsUser)
	assert.True(t, *pod.SecurityContext.RunAsNonRoot, "defaults kept")
	assert.Equal(t, corev1.SeccompProfileTypeRuntimeDefault, pod.SecurityContext.SeccompProfile.Type)
	c := pod.Containers[0].SecurityContext
	assert.False(t, *c.ReadOnlyRootFilesystem)
	assert.Equal(t, []corev1.Capability{"ALL"}, c.Capabilities.Drop, "defaults kept")
}

func TestAPrivilegedWorkerIsTheOneDocumentedException(t *testing.T) {
	t.Parallel()
	r := renderServices(t, map[string]any{"runner": podinfoApp(map[string]any{"type": "worker", "privileged": true})}, nil)
	c := render.Get[*appsv1.Deployment](t, r, "shop-runner").Spec.Template.Spec.Containers[0]
	assert.True(t, *c.SecurityContext.Privileged)
	assert.EqualValues(t, 0, *c.SecurityContext.RunAsUser)
}

func TestServiceAccountKnobs(t *testing.T) {
	t.Parallel()
	r := renderServices(t, map[string]any{
		"users":  podinfoApp(map[string]any{"serviceAccount": map[string]any{"create": false, "name": "shared"}}),
		"orders": podinfoApp(map[string]any{"serviceAccount": map[string]any{"name": "orders-sa", "automountToken": true, "annotations": map[string]any{"iam.example.org/role": "orders"}}}),
	}, nil)
	assert.Equal(t, "shared", render.Get[*appsv1.Deployment](t, r, "shop-users").Spec.Template.Spec.ServiceAccountName)
	assert.False(t, render.Has[*corev1.ServiceAccount](r, "shared"), "create false renders no ServiceAccount")
	sa := render.Get[*corev1.ServiceAccount](t, r, "orders-sa")
	assert.True(t, *sa.AutomountServiceAccountToken)
	assert.Equal(t, "orders", sa.Annotations["iam.example.org/role"])
	assert.True(t, *render.Get[*appsv1.Deployment](t, r, "shop-orders").Spec.Template.Spec.AutomountServiceAccountToken)
}

func TestImagesRegistriesPullPolicyAndSecrets(t *testing.T) {
	t.Parallel()
	r := renderServices(t, map[string]any{
		"users":  podinfoApp(map[string]any{"imagePullSecrets": []any{"team-pull"}}),
		"orders": podinfoApp(map[string]any{"image": map[string]any{"repository": "stefanprodan/podinfo", "tag": "6.9.2", "digest": "sha256:" + strings.Repeat("a", 64), "pullPolicy": "Always"}}),
		"off":    podinfoApp(map[string]any{"enabled": false}),
	}, map[string]any{"global": map[string]any{
		"imageRegistry": "registry.local:5000", "imagePullPolicy": "Never",
		"imagePullSecrets": []any{"global-pull", map[string]any{"name": "other-pull"}},
		"labels":           map[string]any{"team": "shop"},
	}})
	users := render.Get[*appsv1.Deployment](t, r, "shop-users")
	c := users.Spec.Template.Spec.Containers[0]
	assert.Equal(t, "registry.local:5000/stefanprodan/podinfo:6.9.2", c.Image)
	assert.Equal(t, corev1.PullNever, c.ImagePullPolicy, "global pull policy")
	var secrets []string
	for _, s := range users.Spec.Template.Spec.ImagePullSecrets {
		secrets = append(secrets, s.Name)
	}
	assert.Equal(t, []string{"global-pull", "other-pull", "team-pull"}, secrets)
	oc := render.Get[*appsv1.Deployment](t, r, "shop-orders").Spec.Template.Spec.Containers[0]
	assert.Equal(t, "registry.local:5000/stefanprodan/podinfo@sha256:"+strings.Repeat("a", 64), oc.Image, "a digest wins over the tag")
	assert.Equal(t, corev1.PullAlways, oc.ImagePullPolicy)
	assert.False(t, render.Has[*appsv1.Deployment](r, "shop-off"), "enabled false")
	for _, o := range r.Objects {
		assert.Contains(t, o.Raw, "team: shop", "%s %s carries global.labels", o.Kind, o.Name)
	}
}

func TestDefaultsApplyToEveryAppAndAnAppOverridesThem(t *testing.T) {
	t.Parallel()
	r := renderServices(t, map[string]any{
		"users":  podinfoApp(nil),
		"orders": podinfoApp(map[string]any{"replicas": 5, "hpa": map[string]any{"enabled": false}}),
	}, map[string]any{"defaults": map[string]any{"replicas": 3, "hpa": map[string]any{"enabled": true, "minReplicas": 3}}})
	assert.Nil(t, render.Get[*appsv1.Deployment](t, r, "shop-users").Spec.Replicas, "defaults.hpa applies")
	assert.EqualValues(t, 5, *render.Get[*appsv1.Deployment](t, r, "shop-orders").Spec.Replicas, "an explicit false overrides a default true")
}

func TestProbesCanBeSwitchedOffForEveryApp(t *testing.T) {
	t.Parallel()
	r := renderServices(t, map[string]any{"users": podinfoApp(nil)}, map[string]any{"defaults": map[string]any{"probes": map[string]any{
		"liveness": map[string]any{"enabled": false}, "readiness": map[string]any{"enabled": false}}}})
	c := render.Get[*appsv1.Deployment](t, r, "shop-users").Spec.Template.Spec.Containers[0]
	assert.Nil(t, c.LivenessProbe, "defaults.probes.liveness.enabled false wins over the app's handler")
	assert.Nil(t, c.ReadinessProbe)
}

// Issue 22: init containers (a migration before the app starts, with the app's wiring env), native
// sidecars and lifecycle hooks per app — restricted like the app, resources required.
func TestInitContainersSidecarsAndLifecycle(t *testing.T) {
	t.Parallel()
	small := map[string]any{"requests": map[string]any{"cpu": "10m", "memory": "16Mi"}, "limits": map[string]any{"memory": "32Mi"}}
	apps := map[string]any{
		"users": podinfoApp(nil),
		"orders": podinfoApp(map[string]any{
			"uses": []any{"mysql"}, "calls": []any{"users"},
			"env": []any{map[string]any{"name": "LOG_LEVEL", "value": "debug"}},
			"initContainers": []any{map[string]any{"name": "migrate", "command": []any{"/app/migrate", "up"},
				"env": []any{map[string]any{"name": "MIGRATIONS", "value": "/migrations"}}, "resources": small,
				"volumeMounts": []any{map[string]any{"name": "migrations", "mountPath": "/migrations"}}}},
			"sidecars": []any{map[string]any{"name": "proxy", "image": map[string]any{"repository": "example/proxy", "tag": "1.4.0"},
				"ports": []any{map[string]any{"name": "admin", "containerPort": 15000}}, "resources": small,
				"readinessProbe": map[string]any{"tcpSocket": map[string]any{"port": 15000}},
				"livenessProbe":  map[string]any{"tcpSocket": map[string]any{"port": 15000}}}},
			"lifecycle": map[string]any{"preStop": map[string]any{"exec": map[string]any{"command": []any{"/app/drain"}}}},
			"volumes":   []any{map[string]any{"name": "migrations", "configMap": map[string]any{"name": "shop-migrations"}}},
		}),
	}
	r := renderServices(t, apps, nil)
	pod := render.Get[*appsv1.Deployment](t, r, "shop-orders").Spec.Template.Spec
	require.Len(t, pod.InitContainers, 2, "the sidecar first, then the migration")
	proxy, migrate := pod.InitContainers[0], pod.InitContainers[1]

	assert.Equal(t, "proxy", proxy.Name)
	assert.Equal(t, corev1.ContainerRestartPolicyAlways, *proxy.RestartPolicy, "a native sidecar")
	assert.Equal(t, "example/proxy:1.4.0", proxy.Image)
	assert.Empty(t, proxy.Env, "a sidecar has its own env only")
	assert.NotNil(t, proxy.ReadinessProbe)
	assert.EqualValues(t, 15000, proxy.Ports[0].ContainerPort)

	assert.Equal(t, "migrate", migrate.Name)
	assert.Nil(t, migrate.RestartPolicy, "runs to completion")
	assert.Equal(t, pod.Containers[0].Image, migrate.Image, "the app's image by default")
	e := env(migrate)
	assert.Equal(t, "shop-mysql.prod.svc.cluster.local", e["MYSQL_HOST"].Value, "the app's wiring")
	assert.Equal(t, "shop-mysql", e["MYSQL_PASSWORD"].ValueFrom.SecretKeyRef.Name)
	assert.Contains(t, e["USERS_URL"].Value, "shop-users")
	assert.Equal(t, "debug", e["LOG_LEVEL"].Value, "the app's env")
	assert.Equal(t, "/migrations", e["MIGRATIONS"].Value, "then its own")
	assert.Equal(t, []string{"tmp", "migrations"}, []string{migrate.VolumeMounts[0].Name, migrate.VolumeMounts[1].Name})
	for _, c := range pod.InitContainers {
		assert.True(t, *c.SecurityContext.RunAsNonRoot && !*c.SecurityContext.AllowPrivilegeEscalation && *c.SecurityContext.ReadOnlyRootFilesystem, c.Name)
		assert.Equal(t, "16Mi", c.Resources.Requests.Memory().String(), c.Name)
	}
	assert.Equal(t, []string{"/app/drain"}, pod.Containers[0].Lifecycle.PreStop.Exec.Command, "lifecycle replaces the preStop sleep")
	assert.Empty(t, policy.Check(r.Objects, policy.Options{}), "still PSS restricted, resources, probes and pinned images everywhere")

	// Without them nothing changes: the default preStop sleep stays.
	plain := render.Get[*appsv1.Deployment](t, renderServices(t, map[string]any{"users": podinfoApp(nil)}, nil), "shop-users").Spec.Template.Spec
	assert.Empty(t, plain.InitContainers)
	assert.NotNil(t, plain.Containers[0].Lifecycle.PreStop.Sleep)
}

// Issue 22: a one-shot Job per app (a migration), as a Helm hook or a plain Job of the release.
func TestAJobAppRunsOnceAsAHookOrAPlainJob(t *testing.T) {
	t.Parallel()
	migrate := func(extra map[string]any) map[string]any {
		a := podinfoApp(map[string]any{"type": "job", "uses": []any{"mysql"}, "command": []any{"/app/migrate", "up"}, "backoffLimit": 4})
		delete(a, "ports")
		delete(a, "probes")
		for k, v := range extra {
			a[k] = v
		}
		return a
	}
	r := renderServices(t, map[string]any{"migrate": migrate(map[string]any{"job": map[string]any{"hook": "post-install,pre-upgrade", "weight": -5}})}, nil)
	j := render.Get[*batchv1.Job](t, r, "shop-migrate")
	assert.Equal(t, map[string]string{"helm.sh/hook": "post-install,pre-upgrade", "helm.sh/hook-weight": "-5",
		"helm.sh/hook-delete-policy": "before-hook-creation,hook-succeeded"}, j.Annotations)
	assert.EqualValues(t, 4, *j.Spec.BackoffLimit)
	pod := j.Spec.Template.Spec
	assert.Equal(t, corev1.RestartPolicyOnFailure, pod.RestartPolicy)
	assert.Equal(t, "shop-mysql.prod.svc.cluster.local", env(pod.Containers[0])["MYSQL_HOST"].Value, "the app's wiring")
	assert.Nil(t, pod.Containers[0].LivenessProbe, "runs to completion: no probes")
	assert.Nil(t, pod.Containers[0].Lifecycle, "nor a preStop sleep")
	assert.Empty(t, pod.TopologySpreadConstraints)
	assert.False(t, render.Has[*appsv1.Deployment](r, "shop-migrate"), "no Deployment")
	assert.False(t, render.Has[*corev1.Service](r, "shop-migrate"), "no Service")
	assert.False(t, render.Has[*policyv1.PodDisruptionBudget](r, "shop-migrate"), "no PDB")
	assert.Empty(t, policy.Check(r.Objects, policy.Options{}))

	plain := render.Get[*batchv1.Job](t, renderServices(t, map[string]any{"migrate": migrate(nil)}, nil), "shop-migrate")
	assert.Empty(t, plain.Annotations, "no hook: a plain Job of the release")
	kept := render.Get[*batchv1.Job](t, renderServices(t, map[string]any{"migrate": migrate(map[string]any{"job": map[string]any{"hook": "pre-upgrade", "deletePolicy": "before-hook-creation"}})}, nil), "shop-migrate")
	assert.Equal(t, "before-hook-creation", kept.Annotations["helm.sh/hook-delete-policy"], "a successful run kept for inspection")
}

// Issue 22: a PVC per app, kept on uninstall by default; one claim shared by the app's pods.
func TestAnAppsOwnPersistentVolumeClaim(t *testing.T) {
	t.Parallel()
	r := renderServices(t, map[string]any{"uploads": podinfoApp(map[string]any{"replicas": 1,
		"persistence": map[string]any{"enabled": true, "mountPath": "/var/uploads", "size": "5Gi", "storageClassName": "fast"}})}, nil)
	pvc := render.Get[*corev1.PersistentVolumeClaim](t, r, "shop-uploads-data")
	assert.Equal(t, "5Gi", pvc.Spec.Resources.Requests.Storage().String())
	assert.Equal(t, "fast", *pvc.Spec.StorageClassName)
	assert.Equal(t, []corev1.PersistentVolumeAccessMode{corev1.ReadWriteOnce}, pvc.Spec.AccessModes)
	assert.Equal(t, "keep", pvc.Annotations["helm.sh/resource-policy"], "the data outlives helm uninstall")
	assert.Equal(t, "Prune=false,Delete=false", pvc.Annotations["argocd.argoproj.io/sync-options"], "and an Argo CD prune")
	pod := render.Get[*appsv1.Deployment](t, r, "shop-uploads").Spec.Template.Spec
	assert.Equal(t, "shop-uploads-data", pod.Volumes[0].PersistentVolumeClaim.ClaimName)
	assert.Contains(t, pod.Containers[0].VolumeMounts, corev1.VolumeMount{Name: "data", MountPath: "/var/uploads"})

	// An existing claim is used, not created; several pods need a claim they can share.
	r = renderServices(t, map[string]any{"uploads": podinfoApp(map[string]any{"replicas": 3,
		"persistence": map[string]any{"enabled": true, "existingClaim": "nfs-uploads", "accessModes": []any{"ReadWriteMany"}, "resourcePolicy": ""}})}, nil)
	assert.Zero(t, r.Count("PersistentVolumeClaim"))
	assert.Equal(t, "nfs-uploads", render.Get[*appsv1.Deployment](t, r, "shop-uploads").Spec.Template.Spec.Volumes[0].PersistentVolumeClaim.ClaimName)
	gone := renderServices(t, map[string]any{"uploads": podinfoApp(map[string]any{"replicas": 1, "persistence": map[string]any{"enabled": true, "resourcePolicy": ""}})}, nil)
	assert.Empty(t, render.Get[*corev1.PersistentVolumeClaim](t, gone, "shop-uploads-data").Annotations, "resourcePolicy empty: it goes with the release")
}
