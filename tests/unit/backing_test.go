package unit

import (
	"fmt"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	appsv1 "k8s.io/api/apps/v1"
	batchv1 "k8s.io/api/batch/v1"
	corev1 "k8s.io/api/core/v1"
	networkingv1 "k8s.io/api/networking/v1"
	policyv1 "k8s.io/api/policy/v1"
	rbacv1 "k8s.io/api/rbac/v1"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"

	"github.com/stack-charts/stack/tests/policy"
	"github.com/stack-charts/stack/tests/render"
)

// The backing services: mysql, redis and rabbitmq, each rendered alone (release "shop", so the
// wiring convention names them shop-mysql, shop-redis, shop-rabbitmq) and inside the umbrella.

func creds(chartName string) map[string]any {
	switch chartName {
	case "mysql":
		return map[string]any{"auth": map[string]any{"rootPassword": "r00t", "password": "app-pw", "exporterPassword": "exp-pw"}}
	case "redis":
		return map[string]any{"auth": map[string]any{"password": "cache-pw"}}
	default:
		return map[string]any{"auth": map[string]any{"password": "mq-pw", "erlangCookie": "cookiecookiecookiecookie"}}
	}
}

// backingValues are a backing chart's credentials with vals over them (auth merged key by key).
func backingValues(chartName string, vals map[string]any) map[string]any {
	v := creds(chartName)
	for k, x := range vals {
		if m, ok := x.(map[string]any); ok && k == "auth" {
			for ak, av := range m {
				v["auth"].(map[string]any)[ak] = av
			}
			continue
		}
		v[k] = x
	}
	return v
}

// renderBacking renders a backing chart with credentials, vals merged over them.
func renderBacking(t *testing.T, chartName string, vals map[string]any, opts ...func(*render.Options)) *render.Result {
	t.Helper()
	o := render.Options{ReleaseName: "shop", Namespace: "prod", Values: backingValues(chartName, vals)}
	for _, f := range opts {
		f(&o)
	}
	return render.Render(t, chart(chartName), o)
}

func container(t *testing.T, spec corev1.PodSpec, name string) corev1.Container {
	t.Helper()
	for _, c := range append(append([]corev1.Container(nil), spec.InitContainers...), spec.Containers...) {
		if c.Name == name {
			return c
		}
	}
	require.Failf(t, "no container", "container %q not in the pod", name)
	return corev1.Container{}
}

func envOf(c corev1.Container) map[string]corev1.EnvVar {
	out := map[string]corev1.EnvVar{}
	for _, e := range c.Env {
		out[e.Name] = e
	}
	return out
}

func secretRef(t *testing.T, c corev1.Container, env string) (string, string) {
	t.Helper()
	e, ok := envOf(c)[env]
	require.True(t, ok, "env %s in container %s", env, c.Name)
	require.NotNil(t, e.ValueFrom, "env %s comes from a Secret", env)
	return e.ValueFrom.SecretKeyRef.Name, e.ValueFrom.SecretKeyRef.Key
}

func execProbe(p *corev1.Probe) string {
	if p == nil || p.Exec == nil {
		return ""
	}
	return strings.Join(p.Exec.Command, " ")
}

func TestBackingChartsRefuseToInventCredentials(t *testing.T) {
	t.Parallel()
	for chartName, want := range map[string][]string{
		"mysql":    {"auth.rootPassword", "auth.existingSecret", "mysql-root-password, mysql-password, mysql-exporter-password", "no default password"},
		"redis":    {"auth.password", "auth.existingSecret", "redis-password"},
		"rabbitmq": {"auth.password", "auth.existingSecret", "rabbitmq-password, rabbitmq-erlang-cookie"},
	} {
		t.Run(chartName, func(t *testing.T) {
			render.Fails(t, chart(chartName), render.Options{ReleaseName: "shop"}, want...)
		})
	}
	t.Run("in the umbrella the key names the subchart", func(t *testing.T) {
		render.Fails(t, chart("stack"), render.Options{Set: []string{"services.secrets.jwt.PODINFO_JWT_SECRET=k"}}, "redis.auth.password", "redis.auth.existingSecret")
	})
}

func TestBackingChartsMeetThePolicyAndRenderDeterministically(t *testing.T) {
	t.Parallel()
	for _, chartName := range []string{"mysql", "redis", "rabbitmq"} {
		t.Run(chartName, func(t *testing.T) {
			r := renderBacking(t, chartName, nil)
			require.NotEmpty(t, policy.Workloads(r.Objects))
			for _, f := range policy.Check(r.Objects, policy.Options{}) {
				t.Errorf("%s", f)
			}
			assert.Equal(t, r.YAML(), renderBacking(t, chartName, nil).YAML(), "two renders are identical")
			for _, svc := range render.All[*corev1.Service](r) {
				assert.Equal(t, corev1.ServiceTypeClusterIP, svc.Spec.Type, "%s is never exposed outside the cluster", svc.Name)
			}
			sts := render.Get[*appsv1.StatefulSet](t, r, "shop-"+chartName)
			for _, vct := range sts.Spec.VolumeClaimTemplates {
				assert.Equal(t, map[string]string{"app.kubernetes.io/name": chartName, "app.kubernetes.io/instance": "shop"}, vct.Labels,
					"a volume claim template carries only selector labels (immutable)")
			}
			sec := render.Get[*corev1.Secret](t, r, "shop-"+chartName)
			assert.Equal(t, "keep", sec.Annotations["helm.sh/resource-policy"])
			np := render.Get[*networkingv1.NetworkPolicy](t, r, "shop-"+chartName)
			require.NotEmpty(t, np.Spec.Ingress)
			assert.Equal(t, map[string]string{"uses.stack.dev/" + chartName: "true"}, np.Spec.Ingress[0].From[0].PodSelector.MatchLabels,
				"the first rule admits the clients the wiring convention labels")
			assert.Contains(t, r.Manifests, chartName+"/templates/tests/"+map[string]string{"mysql": "test-roundtrip.yaml", "redis": "test-cache.yaml", "rabbitmq": "test-roundtrip.yaml"}[chartName])
		})
	}
}

// The knobs every backing chart shares, set at once and checked on the StatefulSet.
func TestBackingChartsPodKnobs(t *testing.T) {
	t.Parallel()
	for _, chartName := range []string{"mysql", "redis", "rabbitmq"} {
		t.Run(chartName, func(t *testing.T) {
			r := renderBacking(t, chartName, map[string]any{
				"podAnnotations":                map[string]any{"team": "data"},
				"podLabels":                     map[string]any{"tier": "backend"},
				"nodeSelector":                  map[string]any{"disk": "ssd"},
				"tolerations":                   []any{map[string]any{"key": "dedicated", "operator": "Equal", "value": "db", "effect": "NoSchedule"}},
				"affinity":                      map[string]any{"nodeAffinity": map[string]any{"requiredDuringSchedulingIgnoredDuringExecution": map[string]any{"nodeSelectorTerms": []any{map[string]any{"matchExpressions": []any{map[string]any{"key": "disk", "operator": "In", "values": []any{"ssd"}}}}}}}},
				"priorityClassName":             "stateful",
				"terminationGracePeriodSeconds": 90,
				"podSecurityContext":            map[string]any{"runAsUser": 1001, "runAsGroup": 1001, "fsGroup": 1001},
				"securityContext":               map[string]any{"readOnlyRootFilesystem": true},
				"imagePullSecrets":              []any{"regcred"},
				"serviceAccount":                map[string]any{"create": true, "name": "db-sa", "annotations": map[string]any{"iam": "role"}},
				"resources":                     map[string]any{"requests": map[string]any{"cpu": "1", "memory": "1Gi"}, "limits": map[string]any{"memory": "2Gi"}},
				"probes": map[string]any{
					"startup":   map[string]any{"enabled": false, "periodSeconds": 3, "failureThreshold": 3, "timeoutSeconds": 1},
					"readiness": map[string]any{"periodSeconds": 7, "failureThreshold": 2, "timeoutSeconds": 4},
					"liveness":  map[string]any{"periodSeconds": 11, "failureThreshold": 5, "timeoutSeconds": 9},
				},
				"tests":                                map[string]any{"enabled": false},
				"service":                              map[string]any{"annotations": map[string]any{"svc": "note"}},
				"persistentVolumeClaimRetentionPolicy": map[string]any{"whenDeleted": "Delete", "whenScaled": "Retain"},
				"persistence":                          map[string]any{"enabled": true, "size": "5Gi", "storageClassName": "fast", "accessModes": []any{"ReadWriteOncePod"}, "annotations": map[string]any{"backup": "yes"}},
				"resourcePolicy":                       "",
				"networkPolicy":                        map[string]any{"enabled": true, "allowedClients": []any{map[string]any{"namespaceSelector": map[string]any{"matchLabels": map[string]any{"team": "batch"}}}}},
			})
			sts := render.Get[*appsv1.StatefulSet](t, r, "shop-"+chartName)
			pod := sts.Spec.Template
			assert.Equal(t, "data", pod.Annotations["team"])
			assert.Equal(t, "backend", pod.Labels["tier"])
			assert.Equal(t, map[string]string{"disk": "ssd"}, pod.Spec.NodeSelector)
			assert.Equal(t, "dedicated", pod.Spec.Tolerations[0].Key)
			assert.NotNil(t, pod.Spec.Affinity.NodeAffinity)
			assert.Equal(t, "stateful", pod.Spec.PriorityClassName)
			assert.EqualValues(t, 90, *pod.Spec.TerminationGracePeriodSeconds)
			assert.EqualValues(t, 1001, *pod.Spec.SecurityContext.RunAsUser)
			assert.True(t, *pod.Spec.SecurityContext.RunAsNonRoot, "restricted defaults stay under an override")
			assert.Equal(t, "regcred", pod.Spec.ImagePullSecrets[0].Name)
			assert.Equal(t, "db-sa", pod.Spec.ServiceAccountName)
			sa := render.Get[*corev1.ServiceAccount](t, r, "db-sa")
			assert.Equal(t, "role", sa.Annotations["iam"])
			main := pod.Spec.Containers[0]
			assert.Equal(t, "2Gi", main.Resources.Limits.Memory().String())
			assert.Nil(t, main.StartupProbe, "probes.startup.enabled: false drops it")
			assert.EqualValues(t, 7, main.ReadinessProbe.PeriodSeconds)
			assert.EqualValues(t, 2, main.ReadinessProbe.FailureThreshold)
			assert.EqualValues(t, 4, main.ReadinessProbe.TimeoutSeconds)
			assert.EqualValues(t, 11, main.LivenessProbe.PeriodSeconds)
			assert.EqualValues(t, 5, main.LivenessProbe.FailureThreshold)
			assert.EqualValues(t, 9, main.LivenessProbe.TimeoutSeconds)
			assert.False(t, render.Has[*corev1.Pod](r, "shop-"+chartName+"-test"), "tests.enabled: false")
			assert.Equal(t, "note", render.Get[*corev1.Service](t, r, "shop-"+chartName).Annotations["svc"])
			require.NotNil(t, sts.Spec.PersistentVolumeClaimRetentionPolicy)
			assert.Equal(t, appsv1.DeletePersistentVolumeClaimRetentionPolicyType, sts.Spec.PersistentVolumeClaimRetentionPolicy.WhenDeleted)
			vct := sts.Spec.VolumeClaimTemplates[0]
			assert.Equal(t, "5Gi", vct.Spec.Resources.Requests.Storage().String())
			assert.Equal(t, "fast", *vct.Spec.StorageClassName)
			assert.Equal(t, corev1.ReadWriteOncePod, vct.Spec.AccessModes[0])
			assert.Equal(t, "yes", vct.Annotations["backup"])
			assert.NotContains(t, render.Get[*corev1.Secret](t, r, "shop-"+chartName).Annotations, "helm.sh/resource-policy")
			np := render.Get[*networkingv1.NetworkPolicy](t, r, "shop-"+chartName)
			assert.Equal(t, "batch", np.Spec.Ingress[0].From[1].NamespaceSelector.MatchLabels["team"])

			off := renderBacking(t, chartName, map[string]any{"networkPolicy": map[string]any{"enabled": false}, "serviceAccount": map[string]any{"create": false},
				"persistence": map[string]any{"enabled": false}, "metrics": map[string]any{"enabled": false}})
			assert.False(t, render.Has[*networkingv1.NetworkPolicy](off, "shop-"+chartName))
			assert.False(t, render.Has[*corev1.ServiceAccount](off, "shop-"+chartName))
			offSts := render.Get[*appsv1.StatefulSet](t, off, "shop-"+chartName)
			assert.Empty(t, offSts.Spec.VolumeClaimTemplates, "persistence.enabled: false")
			assert.Equal(t, "default", offSts.Spec.Template.Spec.ServiceAccountName)
			for _, p := range render.Get[*corev1.Service](t, off, "shop-"+chartName).Spec.Ports {
				assert.NotEqual(t, "metrics", p.Name, "metrics.enabled: false")
			}
		})
	}
}

func TestBackingChartsMetricsAndServiceMonitors(t *testing.T) {
	t.Parallel()
	for chartName, port := range map[string]int32{"mysql": 9200, "redis": 9201, "rabbitmq": 9202} {
		t.Run(chartName, func(t *testing.T) {
			metrics := map[string]any{"port": port, "interval": "15s"}
			if chartName != "rabbitmq" {
				metrics["image"] = map[string]any{"registry": "mirror.example", "repository": "exp/" + chartName, "tag": "v1", "digest": "", "pullPolicy": "Always"}
				metrics["resources"] = map[string]any{"requests": map[string]any{"cpu": "5m", "memory": "8Mi"}, "limits": map[string]any{"memory": "24Mi"}}
			}
			r := renderBacking(t, chartName, map[string]any{"metrics": metrics}, func(o *render.Options) {
				o.APIVersions = []string{"monitoring.coreos.com/v1/ServiceMonitor"}
			})
			sm := render.Unstructured(t, r, "ServiceMonitor", "shop-"+chartName)
			eps, _, _ := unstructured.NestedSlice(sm.Object, "spec", "endpoints")
			assert.Equal(t, "15s", eps[0].(map[string]any)["interval"])
			sts := render.Get[*appsv1.StatefulSet](t, r, "shop-"+chartName)
			assert.Equal(t, "true", sts.Spec.Template.Annotations["prometheus.io/scrape"])
			assert.Equal(t, fmt.Sprint(port), sts.Spec.Template.Annotations["prometheus.io/port"])
			np := render.Get[*networkingv1.NetworkPolicy](t, r, "shop-"+chartName)
			found := false
			for _, rule := range np.Spec.Ingress {
				for _, p := range rule.Ports {
					if p.Port.IntVal == port && rule.From[0].PodSelector.MatchLabels["app.kubernetes.io/name"] == "prometheus" {
						found = true
					}
				}
			}
			assert.True(t, found, "the scraper is admitted to the metrics port %d", port)
			if chartName != "rabbitmq" {
				exp := container(t, sts.Spec.Template.Spec, "exporter")
				assert.Equal(t, "mirror.example/exp/"+chartName+":v1", exp.Image)
				assert.Equal(t, corev1.PullAlways, exp.ImagePullPolicy)
				assert.Equal(t, "24Mi", exp.Resources.Limits.Memory().String())
				assert.EqualValues(t, port, exp.Ports[0].ContainerPort)
			}
		})
	}
}

func TestMySQLDefaultsWireTheConvention(t *testing.T) {
	t.Parallel()
	r := renderBacking(t, "mysql", nil)
	sts := render.Get[*appsv1.StatefulSet](t, r, "shop-mysql")
	assert.EqualValues(t, 1, *sts.Spec.Replicas)
	assert.Equal(t, "shop-mysql-headless", sts.Spec.ServiceName)
	db := container(t, sts.Spec.Template.Spec, "mysql")
	assert.Equal(t, "docker.io/library/mysql:8.4.7", db.Image)
	name, key := secretRef(t, db, "MYSQL_PASSWORD")
	assert.Equal(t, []string{"shop-mysql", "mysql-password"}, []string{name, key}, "consumers read this Secret and key by convention")
	assert.Equal(t, "app", envOf(db)["MYSQL_USER"].Value)
	assert.Equal(t, "app", envOf(db)["MYSQL_DATABASE"].Value)
	assert.Contains(t, execProbe(db.ReadinessProbe), `mysql --protocol=TCP -h127.0.0.1 -P3306 -u"$MYSQL_USER" -e 'SELECT 1' "$MYSQL_DATABASE"`, "readiness is what a client can do")
	assert.Contains(t, execProbe(db.StartupProbe), "SELECT 1")
	assert.Contains(t, execProbe(db.LivenessProbe), "mysqladmin --protocol=TCP -h127.0.0.1 -P3306 -uroot ping")
	assert.EqualValues(t, 600, db.StartupProbe.FailureThreshold)
	cm := render.Get[*corev1.ConfigMap](t, r, "shop-mysql")
	assert.Contains(t, cm.Data["stack.cnf"], "innodb_buffer_pool_size = 536870912", "half of the 1Gi limit")
	assert.Contains(t, cm.Data["stack.cnf"], "character-set-server = utf8mb4")
	assert.Contains(t, cm.Data["00-stack-exporter-user.sh"], "GRANT PROCESS, REPLICATION CLIENT, SELECT ON *.* TO 'exporter'@'127.0.0.1'")
	exp := container(t, sts.Spec.Template.Spec, "exporter")
	assert.Contains(t, exp.Args, "--mysqld.username=exporter")
	name, key = secretRef(t, exp, "MYSQLD_EXPORTER_PASSWORD")
	assert.Equal(t, []string{"shop-mysql", "mysql-exporter-password"}, []string{name, key})
	sec := render.Get[*corev1.Secret](t, r, "shop-mysql")
	assert.Equal(t, "app-pw", string(sec.Data["mysql-password"]))
	assert.False(t, render.Has[*batchv1.CronJob](r, "shop-mysql-backup"), "backups are opt-in")
	assert.False(t, *sts.Spec.Template.Spec.AutomountServiceAccountToken)
}

func TestMySQLMariaDBFlavorUsesItsOwnInterface(t *testing.T) {
	t.Parallel()
	r := renderBacking(t, "mysql", map[string]any{"flavor": "mariadb", "backup": map[string]any{"enabled": true},
		"image": map[string]any{"mariadb": map[string]any{"registry": "r.example", "repository": "db/mariadb", "tag": "11.8.3", "digest": "", "pullPolicy": "Never"},
			"mysql": map[string]any{"registry": "unused.example", "repository": "x", "tag": "1", "digest": "", "pullPolicy": ""}}})
	sts := render.Get[*appsv1.StatefulSet](t, r, "shop-mysql")
	db := container(t, sts.Spec.Template.Spec, "mariadb")
	assert.Equal(t, "r.example/db/mariadb:11.8.3", db.Image)
	assert.Equal(t, corev1.PullNever, db.ImagePullPolicy)
	env := envOf(db)
	for _, k := range []string{"MARIADB_ROOT_PASSWORD", "MARIADB_USER", "MARIADB_PASSWORD", "MARIADB_DATABASE", "MARIADB_AUTO_UPGRADE"} {
		assert.Contains(t, env, k)
	}
	assert.NotContains(t, env, "MYSQL_PASSWORD")
	assert.Contains(t, execProbe(db.ReadinessProbe), `mariadb --protocol=TCP`)
	assert.Contains(t, execProbe(db.LivenessProbe), "mariadb-admin")
	assert.Contains(t, render.Get[*corev1.ConfigMap](t, r, "shop-mysql").Data["00-stack-exporter-user.sh"], `MYSQL_PWD="$MARIADB_ROOT_PASSWORD" mariadb --protocol=socket`)
	cj := render.Get[*batchv1.CronJob](t, r, "shop-mysql-backup")
	assert.Contains(t, cj.Spec.JobTemplate.Spec.Template.Spec.Containers[0].Args[0], "mariadb-dump --protocol=TCP")
	render.Fails(t, chart("mysql"), render.Options{Values: map[string]any{"flavor": "percona"}}, "flavor")
}

// Issue 22: a password change takes effect. With auth.syncPasswords (the default) the server
// starts through a script that, on an initialised data directory, hands it an --init-file of
// ALTER USER statements from the Secret's passwords; a chart-managed Secret's change restarts the
// pod (checksum/auth); an existingSecret's does not (the README says to restart); off: the
// image's own start, passwords set once.
func TestMySQLAppliesChangedPasswordsAtStart(t *testing.T) {
	t.Parallel()
	for _, flavor := range []string{"mysql", "mariadb"} {
		r := renderBacking(t, "mysql", map[string]any{"flavor": flavor})
		sts := render.Get[*appsv1.StatefulSet](t, r, "shop-mysql")
		db := container(t, sts.Spec.Template.Spec, flavor)
		require.Len(t, db.Command, 3, flavor)
		script := db.Command[2]
		server := map[string]string{"mysql": "mysqld", "mariadb": "mariadbd"}[flavor]
		env := map[string]string{"mysql": "MYSQL", "mariadb": "MARIADB"}[flavor]
		assert.Contains(t, script, "if [ -d /var/lib/mysql/mysql ]; then", "only an initialised data directory")
		assert.Contains(t, script, `exec docker-entrypoint.sh `+server+` --init-file="$f"`)
		assert.True(t, strings.HasSuffix(script, "\nexec docker-entrypoint.sh "+server), "an empty data directory: the image's own start")
		assert.Contains(t, script, `ALTER USER IF EXISTS 'root'@'localhost' IDENTIFIED BY '$(q "$`+env+`_ROOT_PASSWORD")';`)
		assert.Contains(t, script, `ALTER USER IF EXISTS '$(q "$`+env+`_USER")'@'%' IDENTIFIED BY '$(q "$`+env+`_PASSWORD")';`)
		assert.Contains(t, script, `ALTER USER IF EXISTS 'exporter'@'127.0.0.1' IDENTIFIED BY '$(q "$STACK_EXPORTER_PASSWORD")';`)
		assert.Contains(t, sts.Spec.Template.Annotations, "checksum/auth", "a changed chart-managed password restarts the server")
	}
	changed := renderBacking(t, "mysql", map[string]any{"auth": map[string]any{"password": "another"}})
	assert.NotEqual(t, render.Get[*appsv1.StatefulSet](t, renderBacking(t, "mysql", nil), "shop-mysql").Spec.Template.Annotations["checksum/auth"],
		render.Get[*appsv1.StatefulSet](t, changed, "shop-mysql").Spec.Template.Annotations["checksum/auth"])
	existing := render.Get[*appsv1.StatefulSet](t, renderBacking(t, "mysql", map[string]any{"auth": map[string]any{"existingSecret": "db"}}), "shop-mysql")
	assert.NotContains(t, existing.Spec.Template.Annotations, "checksum/auth")
	assert.NotEmpty(t, container(t, existing.Spec.Template.Spec, "mysql").Command)
	off := render.Get[*appsv1.StatefulSet](t, renderBacking(t, "mysql", map[string]any{"auth": map[string]any{"syncPasswords": false}}), "shop-mysql")
	assert.Empty(t, container(t, off.Spec.Template.Spec, "mysql").Command, "the image's own entrypoint and command")
	assert.NotContains(t, off.Spec.Template.Annotations, "checksum/auth")
}

func TestMySQLExistingSecretWithOwnKeys(t *testing.T) {
	t.Parallel()
	r := renderBacking(t, "mysql", map[string]any{"auth": map[string]any{"existingSecret": "{{ .Release.Name }}-db", "rootPassword": "", "password": "", "exporterPassword": "",
		"secretKeys": map[string]any{"rootPassword": "root", "password": "app", "exporterPassword": "exporter"}, "username": "shop", "database": "shopdb"}})
	assert.False(t, render.Has[*corev1.Secret](r, "shop-mysql"), "no Secret when an existing one is named")
	db := render.Get[*appsv1.StatefulSet](t, r, "shop-mysql").Spec.Template.Spec.Containers[0]
	for env, want := range map[string]string{"MYSQL_ROOT_PASSWORD": "root", "MYSQL_PASSWORD": "app", "STACK_EXPORTER_PASSWORD": "exporter"} {
		name, key := secretRef(t, db, env)
		assert.Equal(t, []string{"shop-db", want}, []string{name, key}, env)
	}
	assert.Equal(t, "shop", envOf(db)["MYSQL_USER"].Value)
	assert.Equal(t, "shopdb", envOf(db)["MYSQL_DATABASE"].Value)
}

func TestMySQLServerConfiguration(t *testing.T) {
	t.Parallel()
	r := renderBacking(t, "mysql", map[string]any{
		"config":  map[string]any{"characterSet": "latin1", "collation": "latin1_swedish_ci", "maxConnections": 500, "innodbBufferPoolPercent": 25, "extra": "slow_query_log = 1\nlong_query_time = 2"},
		"service": map[string]any{"port": 3307},
		"initdb":  map[string]any{"scripts": map[string]any{"10-events.sql": "CREATE TABLE events (id INT PRIMARY KEY, ext VARCHAR(64) UNIQUE);", "20-seed.sh": "echo seeded"}},
		"metrics": map[string]any{"username": "prom"},
	})
	cnf := render.Get[*corev1.ConfigMap](t, r, "shop-mysql").Data
	for _, want := range []string{"port = 3307", "character-set-server = latin1", "collation-server = latin1_swedish_ci", "max_connections = 500",
		"innodb_buffer_pool_size = 268435456", "slow_query_log = 1\n    long_query_time = 2"[:18], "long_query_time = 2"} {
		assert.Contains(t, cnf["stack.cnf"], want)
	}
	assert.Contains(t, cnf["10-events.sql"], "UNIQUE")
	assert.Contains(t, cnf["00-stack-exporter-user.sh"], "'prom'@'127.0.0.1'")
	sts := render.Get[*appsv1.StatefulSet](t, r, "shop-mysql")
	assert.EqualValues(t, 3307, sts.Spec.Template.Spec.Containers[0].Ports[0].ContainerPort, "the server listens on the Service port")
	var items []string
	for _, v := range sts.Spec.Template.Spec.Volumes {
		if v.Name == "initdb" {
			for _, it := range v.ConfigMap.Items {
				items = append(items, it.Path)
			}
		}
	}
	assert.Equal(t, []string{"00-stack-exporter-user.sh", "10-events.sql", "20-seed.sh"}, items)
	np := render.Get[*networkingv1.NetworkPolicy](t, r, "shop-mysql")
	assert.EqualValues(t, 3307, np.Spec.Ingress[0].Ports[0].Port.IntVal)

	explicit := renderBacking(t, "mysql", map[string]any{"config": map[string]any{"innodbBufferPoolSize": "256M"}})
	assert.Contains(t, render.Get[*corev1.ConfigMap](t, explicit, "shop-mysql").Data["stack.cnf"], "innodb_buffer_pool_size = 256M")
	small := renderBacking(t, "mysql", map[string]any{"resources": map[string]any{"requests": map[string]any{"cpu": "10m", "memory": "64Mi"}, "limits": map[string]any{"memory": "128Mi"}}})
	assert.Contains(t, render.Get[*corev1.ConfigMap](t, small, "shop-mysql").Data["stack.cnf"], "innodb_buffer_pool_size = 134217728", "never below one 128Mi chunk")
	noMetrics := renderBacking(t, "mysql", map[string]any{"metrics": map[string]any{"enabled": false}, "auth": map[string]any{"exporterPassword": ""}})
	assert.NotContains(t, render.Get[*corev1.ConfigMap](t, noMetrics, "shop-mysql").Data, "00-stack-exporter-user.sh")
	assert.NotContains(t, render.Get[*corev1.Secret](t, noMetrics, "shop-mysql").Data, "mysql-exporter-password")
}

func TestMySQLBackupCronJob(t *testing.T) {
	t.Parallel()
	r := renderBacking(t, "mysql", map[string]any{"backup": map[string]any{
		"enabled": true, "schedule": "0 2 * * *", "timeZone": "Europe/Paris", "keep": 5, "activeDeadlineSeconds": 1800, "historyLimit": 2,
		"persistence": map[string]any{"size": "20Gi", "storageClassName": "cheap", "accessModes": []any{"ReadWriteMany"}},
		"resources":   map[string]any{"requests": map[string]any{"cpu": "100m", "memory": "128Mi"}, "limits": map[string]any{"memory": "512Mi"}},
	}})
	cj := render.Get[*batchv1.CronJob](t, r, "shop-mysql-backup")
	assert.Equal(t, "0 2 * * *", cj.Spec.Schedule)
	assert.Equal(t, "Europe/Paris", *cj.Spec.TimeZone)
	assert.Equal(t, batchv1.ForbidConcurrent, cj.Spec.ConcurrencyPolicy)
	assert.EqualValues(t, 2, *cj.Spec.SuccessfulJobsHistoryLimit)
	job := cj.Spec.JobTemplate.Spec
	assert.EqualValues(t, 1800, *job.ActiveDeadlineSeconds)
	pod := job.Template
	assert.Equal(t, "true", pod.Labels["uses.stack.dev/mysql"], "the backup Job is a client the database admits")
	dump := pod.Spec.Containers[0]
	assert.Equal(t, "5", envOf(dump)["KEEP"].Value)
	assert.Equal(t, "512Mi", dump.Resources.Limits.Memory().String())
	assert.Contains(t, dump.Args[0], "mysqldump --protocol=TCP")
	assert.Contains(t, dump.Args[0], "--single-transaction")
	assert.Contains(t, dump.Args[0], "gzip -c")
	pvc := render.Get[*corev1.PersistentVolumeClaim](t, r, "shop-mysql-backup")
	assert.Equal(t, "20Gi", pvc.Spec.Resources.Requests.Storage().String())
	assert.Equal(t, "cheap", *pvc.Spec.StorageClassName)
	assert.Equal(t, "keep", pvc.Annotations["helm.sh/resource-policy"])
	np := render.Get[*networkingv1.NetworkPolicy](t, r, "shop-mysql-backup")
	assert.Empty(t, np.Spec.Ingress)
	assert.EqualValues(t, 3306, np.Spec.Egress[1].Ports[0].Port.IntVal, "egress to the server only (after DNS)")
	for _, f := range policy.Check(r.Objects, policy.Options{}) {
		t.Errorf("%s", f)
	}
}

// Issue 22: Redis ACL users, each password from its Secret and written into the in-memory config
// only as a SHA-256, with its ACL rules.
func TestRedisACLUsers(t *testing.T) {
	t.Parallel()
	r := renderBacking(t, "redis", map[string]any{"auth": map[string]any{"users": []any{
		map[string]any{"name": "reports", "existingSecret": "{{ .Release.Name }}-redis-reports", "secretKey": "password", "rules": []any{"~report:*", "+@read", "-@dangerous"}},
		map[string]any{"name": "jobs", "existingSecret": "jobs", "secretKey": "pw", "rules": []any{"~queue:*", "+@list", "+@connection"}},
	}}})
	sts := render.Get[*appsv1.StatefulSet](t, r, "shop-redis")
	db := container(t, sts.Spec.Template.Spec, "redis")
	script := db.Args[0]
	assert.Contains(t, script, `h=$(printf '%s' "$STACK_REDIS_USER_0" | sha256sum | cut -d' ' -f1)`)
	assert.Contains(t, script, `printf 'user %s on #%s %s\n' 'reports' "$h" '~report:* +@read -@dangerous' >>/run/redis/redis.conf`)
	assert.Contains(t, script, `'jobs' "$h" '~queue:* +@list +@connection'`)
	name, key := secretRef(t, db, "STACK_REDIS_USER_0")
	assert.Equal(t, []string{"shop-redis-reports", "password"}, []string{name, key})
	name, key = secretRef(t, db, "STACK_REDIS_USER_1")
	assert.Equal(t, []string{"jobs", "pw"}, []string{name, key})
	render.Fails(t, chart("redis"), render.Options{Values: backingValues("redis", map[string]any{"auth": map[string]any{"users": []any{
		map[string]any{"name": "default", "existingSecret": "x", "secretKey": "y", "rules": []any{"+@all"}}}}})}, "/auth/users/0/name")
	render.Fails(t, chart("redis"), render.Options{Values: backingValues("redis", map[string]any{"auth": map[string]any{"users": []any{
		map[string]any{"name": "bob", "existingSecret": "x", "secretKey": "y", "rules": []any{}}}}})}, "/auth/users/0/rules")
}

func TestRedisIsALookAsideCacheByDefault(t *testing.T) {
	t.Parallel()
	r := renderBacking(t, "redis", nil)
	conf := render.Get[*corev1.ConfigMap](t, r, "shop-redis").Data["redis.conf"]
	for _, want := range []string{"maxmemory 201326592", "maxmemory-policy allkeys-lru", "appendonly no", `save ""`, "port 6379"} {
		assert.Contains(t, conf, want)
	}
	assert.NotContains(t, conf, "requirepass", "the password never lands in a ConfigMap")
	sts := render.Get[*appsv1.StatefulSet](t, r, "shop-redis")
	redis := container(t, sts.Spec.Template.Spec, "redis")
	assert.Equal(t, "docker.io/library/redis:7.4.6", redis.Image)
	assert.Contains(t, redis.Args[0], `requirepass "%s"`)
	assert.Contains(t, redis.Args[0], "exec redis-server /run/redis/redis.conf")
	name, key := secretRef(t, redis, "REDISCLI_AUTH")
	assert.Equal(t, []string{"shop-redis", "redis-password"}, []string{name, key}, "the probes authenticate")
	assert.Contains(t, execProbe(redis.ReadinessProbe), "ping | grep -Eq '^(PONG)'")
	assert.Contains(t, execProbe(redis.LivenessProbe), "PONG|LOADING")
	assert.Empty(t, sts.Spec.VolumeClaimTemplates, "no persistence by default")
	exp := container(t, sts.Spec.Template.Spec, "exporter")
	assert.Equal(t, "redis://127.0.0.1:6379", envOf(exp)["REDIS_ADDR"].Value)
	assert.Equal(t, "docker.io/oliver006/redis_exporter:v1.77.0", exp.Image)
}

func TestRedisPersistenceAndMemory(t *testing.T) {
	t.Parallel()
	r := renderBacking(t, "redis", map[string]any{
		"persistence": map[string]any{"enabled": true, "appendfsync": "always"},
		"config":      map[string]any{"maxmemoryPercent": 50, "maxmemoryPolicy": "volatile-ttl", "extra": "notify-keyspace-events Ex"},
		"service":     map[string]any{"port": 6380},
		"image":       map[string]any{"registry": "r.example", "repository": "cache/redis", "tag": "8.0.0", "digest": "", "pullPolicy": "IfNotPresent"},
		"auth":        map[string]any{"existingSecret": "cache", "password": "", "secretKey": "pw"},
	})
	conf := render.Get[*corev1.ConfigMap](t, r, "shop-redis").Data["redis.conf"]
	for _, want := range []string{"appendonly yes", "appendfsync always", "maxmemory 134217728", "maxmemory-policy volatile-ttl", "notify-keyspace-events Ex", "port 6380"} {
		assert.Contains(t, conf, want)
	}
	sts := render.Get[*appsv1.StatefulSet](t, r, "shop-redis")
	assert.Len(t, sts.Spec.VolumeClaimTemplates, 1)
	redis := sts.Spec.Template.Spec.Containers[0]
	assert.Equal(t, "r.example/cache/redis:8.0.0", redis.Image)
	name, key := secretRef(t, redis, "REDIS_PASSWORD")
	assert.Equal(t, []string{"cache", "pw"}, []string{name, key})
	assert.False(t, render.Has[*corev1.Secret](r, "shop-redis"))
	explicit := renderBacking(t, "redis", map[string]any{"config": map[string]any{"maxmemory": "100mb"}})
	explicitConf := render.Get[*corev1.ConfigMap](t, explicit, "shop-redis").Data["redis.conf"]
	assert.Contains(t, explicitConf, "maxmemory 100mb")
	// Issue 22: FLUSHALL and FLUSHDB off by default, and as many commands as the user lists.
	assert.Contains(t, explicitConf, "rename-command FLUSHDB \"\"\nrename-command FLUSHALL \"\"")
	strict := renderBacking(t, "redis", map[string]any{"config": map[string]any{"disableCommands": []any{"FLUSHALL", "KEYS", "DEBUG"}}})
	strictConf := render.Get[*corev1.ConfigMap](t, strict, "shop-redis").Data["redis.conf"]
	for _, cmd := range []string{"FLUSHALL", "KEYS", "DEBUG"} {
		assert.Contains(t, strictConf, "rename-command "+cmd+" \"\"")
	}
	assert.NotContains(t, strictConf, "FLUSHDB")
	none := renderBacking(t, "redis", map[string]any{"config": map[string]any{"disableCommands": []any{}}})
	assert.NotContains(t, render.Get[*corev1.ConfigMap](t, none, "shop-redis").Data["redis.conf"], "rename-command")
}

func TestRabbitMQClusterAndDefinitions(t *testing.T) {
	t.Parallel()
	r := renderBacking(t, "rabbitmq", map[string]any{
		"replicas": 3,
		"auth":     map[string]any{"username": "shop", "vhost": "shop", "tags": []any{"management", "monitoring"}},
		"service":  map[string]any{"port": 5673, "managementPort": 15673},
		"config":   map[string]any{"memoryHighWatermark": 0.5, "diskFreeLimit": "1GB", "partitionHandling": "autoheal", "extra": "heartbeat = 30", "quorumMembershipReconciliation": false},
		"definitions": map[string]any{
			"defaultQueueType": "quorum",
			"queues":           []any{map[string]any{"name": "orders", "type": "quorum", "durable": true, "arguments": map[string]any{"x-delivery-limit": 5}}, map[string]any{"name": "audit", "type": "stream"}},
			"exchanges":        []any{map[string]any{"name": "shop.events", "type": "topic", "durable": true, "arguments": map[string]any{}}},
			"bindings":         []any{map[string]any{"source": "shop.events", "destination": "orders", "destinationType": "queue", "routingKey": "order.*", "arguments": map[string]any{}}},
			"policies":         []any{map[string]any{"name": "limit", "pattern": "^orders$", "applyTo": "queues", "priority": 2, "definition": map[string]any{"max-length": 1000}}},
		},
		"pdb":            map[string]any{"enabled": "auto", "maxUnavailable": 1},
		"topologySpread": map[string]any{"enabled": true, "maxSkew": 2, "topologyKeys": []any{"topology.kubernetes.io/zone"}, "whenUnsatisfiable": "DoNotSchedule"},
		"image":          map[string]any{"registry": "r.example", "repository": "mq/rabbitmq", "tag": "4.1.4-management", "digest": "", "pullPolicy": "IfNotPresent"},
		"tests":          map[string]any{"enabled": true, "image": map[string]any{"registry": "r.example", "repository": "tools/curl", "tag": "8.17.0", "digest": "", "pullPolicy": "IfNotPresent"}},
	})
	sts := render.Get[*appsv1.StatefulSet](t, r, "shop-rabbitmq")
	assert.EqualValues(t, 3, *sts.Spec.Replicas)
	assert.Equal(t, appsv1.ParallelPodManagement, sts.Spec.PodManagementPolicy, "peers start together and can rejoin")
	assert.Equal(t, "topology.kubernetes.io/zone", sts.Spec.Template.Spec.TopologySpreadConstraints[0].TopologyKey)
	assert.EqualValues(t, 2, sts.Spec.Template.Spec.TopologySpreadConstraints[0].MaxSkew)
	headless := render.Get[*corev1.Service](t, r, "shop-rabbitmq-headless")
	assert.True(t, headless.Spec.PublishNotReadyAddresses, "peers find each other before they are Ready")
	assert.Equal(t, "None", headless.Spec.ClusterIP)
	mq := container(t, sts.Spec.Template.Spec, "rabbitmq")
	assert.Equal(t, "r.example/mq/rabbitmq:4.1.4-management", mq.Image)
	assert.Equal(t, "rabbit@$(POD_NAME).shop-rabbitmq-headless.prod.svc.cluster.local", envOf(mq)["RABBITMQ_NODENAME"].Value)
	assert.Equal(t, "rabbitmq-diagnostics -q ping", execProbe(mq.LivenessProbe))
	assert.Equal(t, "amqp", mq.ReadinessProbe.TCPSocket.Port.StrVal)
	setup := container(t, sts.Spec.Template.Spec, "setup")
	assert.Equal(t, "management,monitoring", envOf(setup)["APP_TAGS"].Value)
	assert.Equal(t, "shop", envOf(setup)["APP_USER"].Value)
	cm := render.Get[*corev1.ConfigMap](t, r, "shop-rabbitmq").Data
	for _, want := range []string{"listeners.tcp.default = 5673", "management.tcp.port = 15673", "vm_memory_high_watermark.relative = 0.5", "disk_free_limit.absolute = 1GB",
		"cluster_partition_handling = autoheal", "heartbeat = 30", "total_memory_available_override_value = 536870912",
		"cluster_formation.k8s.service_name = shop-rabbitmq-headless", "cluster_formation.k8s.hostname_suffix = .shop-rabbitmq-headless.prod.svc.cluster.local"} {
		assert.Contains(t, cm["10-stack.conf"], want)
	}
	assert.Contains(t, cm["enabled_plugins"], "rabbitmq_management,rabbitmq_prometheus,rabbitmq_peer_discovery_k8s")
	assert.NotContains(t, cm["10-stack.conf"], "continuous_membership_reconciliation", "switched off for servers before 3.13")
	assert.Contains(t, render.Get[*corev1.ConfigMap](t, renderBacking(t, "rabbitmq", nil), "shop-rabbitmq").Data["10-stack.conf"],
		"quorum_queue.continuous_membership_reconciliation.enabled = true", "queues from the definitions grow onto nodes that join later")
	np := render.Get[*networkingv1.NetworkPolicy](t, r, "shop-rabbitmq")
	var clusterPorts []int32
	for _, p := range np.Spec.Ingress[len(np.Spec.Ingress)-1].Ports {
		clusterPorts = append(clusterPorts, p.Port.IntVal)
	}
	assert.Len(t, clusterPorts, 13, "epmd, distribution and the 11 CLI distribution ports, between the nodes only: %v", clusterPorts)
	assert.Contains(t, clusterPorts, int32(35682))
	defs := cm["definitions.json"]
	assert.True(t, strings.HasPrefix(defs, `{"bindings"`), "sorted keys: the init container prepends users")
	for _, want := range []string{`"routing_key":"order.*"`, `"x-queue-type":"quorum"`, `"x-delivery-limit":5`, `"x-queue-type":"stream"`, `"type":"topic"`,
		`"apply-to":"queues"`, `"priority":2`, `"default_queue_type":"quorum"`, `"user":"shop","vhost":"shop"`} {
		assert.Contains(t, defs, want)
	}
	assert.NotContains(t, defs, "mq-pw", "the password is never rendered into the definitions")
	pdb := render.Get[*policyv1.PodDisruptionBudget](t, r, "shop-rabbitmq")
	assert.EqualValues(t, 1, pdb.Spec.MaxUnavailable.IntVal)
	role := render.Get[*rbacv1.Role](t, r, "shop-rabbitmq-peer-discovery")
	assert.Equal(t, []string{"shop-rabbitmq-headless"}, role.Rules[0].ResourceNames)
	assert.Equal(t, []string{"get"}, role.Rules[0].Verbs)
	test := render.Get[*corev1.Pod](t, r, "shop-rabbitmq-test")
	assert.Equal(t, "r.example/tools/curl:8.17.0", test.Spec.Containers[0].Image)
	assert.Equal(t, "orders audit", envOf(test.Spec.Containers[0])["QUEUES"].Value)
	assert.Equal(t, "shop", envOf(test.Spec.Containers[0])["VHOST"].Value)

	single := renderBacking(t, "rabbitmq", nil)
	assert.False(t, render.Has[*policyv1.PodDisruptionBudget](single, "shop-rabbitmq"), "no PDB for one node")
	norbac := renderBacking(t, "rabbitmq", map[string]any{"rbac": map[string]any{"create": false}, "networkPolicy": map[string]any{"managementClients": []any{map[string]any{"podSelector": map[string]any{"matchLabels": map[string]any{"role": "ops"}}}},
		"apiServer": []any{map[string]any{"ipBlock": map[string]any{"cidr": "10.0.0.1/32"}}}, "apiServerPorts": []any{6443}}})
	assert.False(t, render.Has[*rbacv1.Role](norbac, "shop-rabbitmq-peer-discovery"))
	assert.False(t, *render.Get[*appsv1.StatefulSet](t, norbac, "shop-rabbitmq").Spec.Template.Spec.AutomountServiceAccountToken)
	np = render.Get[*networkingv1.NetworkPolicy](t, norbac, "shop-rabbitmq")
	assert.Equal(t, "ops", np.Spec.Ingress[2].From[1].PodSelector.MatchLabels["role"], "management clients")
	withAPI := renderBacking(t, "rabbitmq", map[string]any{"networkPolicy": map[string]any{"apiServer": []any{map[string]any{"ipBlock": map[string]any{"cidr": "10.0.0.1/32"}}}, "apiServerPorts": []any{6443}}})
	egress := render.Get[*networkingv1.NetworkPolicy](t, withAPI, "shop-rabbitmq").Spec.Egress
	last := egress[len(egress)-1]
	assert.Equal(t, "10.0.0.1/32", last.To[0].IPBlock.CIDR)
	assert.EqualValues(t, 6443, last.Ports[0].Port.IntVal)
}

func TestTheUmbrellaWiresTheBackingServicesToTheApps(t *testing.T) {
	t.Parallel()
	r := render.Render(t, chart("stack"), devOpts(nil))
	users := render.Get[*appsv1.Deployment](t, r, "test-users")
	env := envOf(users.Spec.Template.Spec.Containers[0])
	assert.Equal(t, "test-mysql.default.svc.cluster.local", env["MYSQL_HOST"].Value)
	assert.Equal(t, "test-redis", env["REDIS_PASSWORD"].ValueFrom.SecretKeyRef.Name)
	assert.Equal(t, "true", users.Spec.Template.Labels["uses.stack.dev/mysql"])
	mysql := render.Get[*corev1.Secret](t, r, "test-mysql")
	assert.Contains(t, mysql.Data, env["MYSQL_PASSWORD"].ValueFrom.SecretKeyRef.Key, "the consumer's key exists in the producer's Secret")
	mailer := render.Get[*appsv1.Deployment](t, r, "test-mailer")
	assert.Contains(t, envOf(mailer.Spec.Template.Spec.Containers[0])["AMQP_URL"].Value, "test-rabbitmq.default.svc.cluster.local:5672")
	assert.True(t, render.Has[*batchv1.CronJob](r, "test-mysql-backup"), "the dev profile backs up")

	prod := render.Render(t, chart("stack"), render.Options{ValuesFiles: []string{profile("prod")}})
	assert.EqualValues(t, 3, *render.Get[*appsv1.StatefulSet](t, prod, "test-rabbitmq").Spec.Replicas)
	assert.True(t, render.Has[*policyv1.PodDisruptionBudget](prod, "test-rabbitmq"))
	pEnv := envOf(render.Get[*appsv1.Deployment](t, prod, "test-users").Spec.Template.Spec.Containers[0])
	assert.Equal(t, "test-mysql-auth", pEnv["MYSQL_PASSWORD"].ValueFrom.SecretKeyRef.Name, "consumers read the existing Secret")
	db := render.Get[*appsv1.StatefulSet](t, prod, "test-mysql").Spec.Template.Spec.Containers[0]
	name, _ := secretRef(t, db, "MYSQL_PASSWORD")
	assert.Equal(t, "test-mysql-auth", name, "and so does the server")

	off := render.Render(t, chart("stack"), devOpts(map[string]any{"mysql": map[string]any{"enabled": false}, "redis": map[string]any{"enabled": false},
		"rabbitmq": map[string]any{"enabled": false}, "services": map[string]any{"apps": map[string]any{"users": map[string]any{"uses": []any{}}, "orders": map[string]any{"uses": []any{}}, "mailer": map[string]any{"enabled": false}}}}))
	assert.False(t, render.Has[*appsv1.StatefulSet](off, "test-mysql"))
	external := render.Render(t, chart("stack"), devOpts(map[string]any{"mysql": map[string]any{"enabled": false},
		"global": map[string]any{"dependencies": map[string]any{"mysql": map[string]any{"host": "db.example.internal", "secretName": "external-db"}}}}))
	assert.Equal(t, "db.example.internal", envOf(render.Get[*appsv1.Deployment](t, external, "test-users").Spec.Template.Spec.Containers[0])["MYSQL_HOST"].Value)
}

func TestBackingChartsProbesCanBeSwitchedOff(t *testing.T) {
	t.Parallel()
	for _, chartName := range []string{"mysql", "redis", "rabbitmq"} {
		t.Run(chartName, func(t *testing.T) {
			r := renderBacking(t, chartName, map[string]any{"probes": map[string]any{
				"liveness": map[string]any{"enabled": false}, "readiness": map[string]any{"enabled": false}, "startup": map[string]any{"enabled": true}}})
			c := render.Get[*appsv1.StatefulSet](t, r, "shop-"+chartName).Spec.Template.Spec.Containers[0]
			assert.Nil(t, c.LivenessProbe)
			assert.Nil(t, c.ReadinessProbe)
			assert.NotNil(t, c.StartupProbe)
		})
	}
}

func TestRabbitMQExistingSecretWithOwnKeys(t *testing.T) {
	t.Parallel()
	r := renderBacking(t, "rabbitmq", map[string]any{"auth": map[string]any{"existingSecret": "broker", "password": "", "erlangCookie": "",
		"secretKeys": map[string]any{"password": "pw", "erlangCookie": "cookie"}}})
	assert.False(t, render.Has[*corev1.Secret](r, "shop-rabbitmq"))
	spec := render.Get[*appsv1.StatefulSet](t, r, "shop-rabbitmq").Spec.Template.Spec
	name, key := secretRef(t, container(t, spec, "setup"), "APP_PASSWORD")
	assert.Equal(t, []string{"broker", "pw"}, []string{name, key})
	for _, v := range spec.Volumes {
		if v.Name == "cookie" {
			assert.Equal(t, "broker", v.Secret.SecretName)
			assert.Equal(t, "cookie", v.Secret.Items[0].Key)
		}
	}
	render.Fails(t, chart("rabbitmq"), render.Options{Values: map[string]any{"auth": map[string]any{"password": "x", "erlangCookie": "short"}}}, "auth.erlangCookie", "at least 20 characters")
}

// Issue 22: the backing charts take extra env, volumes, mounts, init containers and native
// sidecars like app-template and Bitnami charts do — restricted, resources required.
func TestBackingChartsTakeExtraEnvVolumesInitContainersAndSidecars(t *testing.T) {
	t.Parallel()
	small := map[string]any{"requests": map[string]any{"cpu": "10m", "memory": "16Mi"}, "limits": map[string]any{"memory": "32Mi"}}
	for chartName, main := range map[string]string{"mysql": "mysql", "redis": "redis", "rabbitmq": "rabbitmq"} {
		t.Run(chartName, func(t *testing.T) {
			r := renderBacking(t, chartName, map[string]any{
				"extraEnv":          []any{map[string]any{"name": "TZ", "value": "Europe/Berlin"}},
				"extraVolumes":      []any{map[string]any{"name": "ca", "secret": map[string]any{"secretName": "corp-ca"}}},
				"extraVolumeMounts": []any{map[string]any{"name": "ca", "mountPath": "/etc/corp-ca", "readOnly": true}},
				"initContainers": []any{map[string]any{"name": "fetch", "image": map[string]any{"repository": "example/fetch", "tag": "2.0"},
					"command": []any{"fetch", "--to", "/etc/corp-ca"}, "resources": small}},
				"sidecars": []any{map[string]any{"name": "audit", "image": map[string]any{"repository": "example/audit", "tag": "1.1"}, "resources": small,
					"readinessProbe": map[string]any{"exec": map[string]any{"command": []any{"true"}}},
					"livenessProbe":  map[string]any{"exec": map[string]any{"command": []any{"true"}}}}},
			})
			spec := render.Get[*appsv1.StatefulSet](t, r, "shop-"+chartName).Spec.Template.Spec
			c := container(t, spec, main)
			if chartName == "mysql" {
				c = spec.Containers[0] // named after the flavor
			}
			assert.Equal(t, "Europe/Berlin", envOf(c)["TZ"].Value)
			assert.Contains(t, c.VolumeMounts, corev1.VolumeMount{Name: "ca", MountPath: "/etc/corp-ca", ReadOnly: true})
			assert.Equal(t, "corp-ca", spec.Volumes[len(spec.Volumes)-1].Secret.SecretName)
			audit, fetch := container(t, spec, "audit"), container(t, spec, "fetch")
			assert.Equal(t, corev1.ContainerRestartPolicyAlways, *audit.RestartPolicy, "a native sidecar")
			assert.Nil(t, fetch.RestartPolicy)
			assert.Equal(t, "example/fetch:2.0", fetch.Image)
			assert.Empty(t, policy.Check(r.Objects, policy.Options{}))
			own := 0 // init containers a chart has of its own (RabbitMQ's setup)
			if chartName == "rabbitmq" {
				own = 1
			}
			assert.Len(t, render.Get[*appsv1.StatefulSet](t, renderBacking(t, chartName, nil), "shop-"+chartName).Spec.Template.Spec.InitContainers, own, "none added by default")
			assert.Len(t, spec.InitContainers, own+2)
		})
	}
}
