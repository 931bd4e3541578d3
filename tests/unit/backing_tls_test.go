package unit

import (
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	appsv1 "k8s.io/api/apps/v1"
	batchv1 "k8s.io/api/batch/v1"
	corev1 "k8s.io/api/core/v1"
	networkingv1 "k8s.io/api/networking/v1"

	"github.com/stack-charts/stack/tests/render"
)

// Client TLS of the backing services (tls.*) and its wiring to the apps (global.dependencies.<name>.tls).

func tlsOn(extra map[string]any) map[string]any {
	t := map[string]any{"enabled": true, "issuerRef": map[string]any{"name": "{{ .Release.Name }}-cert-issuer"}}
	for k, v := range extra {
		t[k] = v
	}
	return map[string]any{"tls": t}
}

// hasCertificate says whether the render holds the cert-manager Certificate name.
func hasCertificate(r *render.Result, name string) bool {
	_, err := render.UnstructuredE(r, "Certificate", name)
	return err == nil
}

// volumeOf is the pod's volume by name (nil when absent).
func volumeOf(spec corev1.PodSpec, name string) *corev1.Volume {
	for i := range spec.Volumes {
		if spec.Volumes[i].Name == name {
			return &spec.Volumes[i]
		}
	}
	return nil
}

func mountOf(c corev1.Container, name string) *corev1.VolumeMount {
	for i := range c.VolumeMounts {
		if c.VolumeMounts[i].Name == name {
			return &c.VolumeMounts[i]
		}
	}
	return nil
}

func TestBackingChartsServeClientTLSFromACertManagerCertificate(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		chart, container, component string
		headless                    bool
	}{{"mysql", "mysql", "database", false}, {"redis", "redis", "cache", false}, {"rabbitmq", "rabbitmq", "broker", true}} {
		t.Run(tc.chart, func(t *testing.T) {
			t.Parallel()
			full := "shop-" + tc.chart
			off := renderBacking(t, tc.chart, nil)
			assert.False(t, hasCertificate(off, full+"-tls"), "no Certificate by default")
			assert.Nil(t, volumeOf(render.Get[*appsv1.StatefulSet](t, off, full).Spec.Template.Spec, "tls"))

			r := renderBacking(t, tc.chart, tlsOn(map[string]any{"duration": "720h", "renewBefore": "240h",
				"issuerRef": map[string]any{"name": "{{ .Release.Name }}-ca", "kind": "ClusterIssuer", "group": "cert-manager.io"}}))
			cert := render.Unstructured(t, r, "Certificate", full+"-tls")
			assert.Equal(t, full+"-tls", field(t, cert, "spec", "secretName"))
			names := []any{full, full + ".prod", full + ".prod.svc", full + ".prod.svc.cluster.local"}
			if tc.headless {
				names = append(names, "*."+full+"-headless.prod.svc.cluster.local")
			}
			assert.Equal(t, append(names, "localhost"), field(t, cert, "spec", "dnsNames"))
			assert.Equal(t, []any{"127.0.0.1"}, field(t, cert, "spec", "ipAddresses"), "the pod's own probes and exporter verify over loopback")
			assert.Equal(t, "720h", field(t, cert, "spec", "duration"))
			assert.Equal(t, "240h", field(t, cert, "spec", "renewBefore"))
			assert.Equal(t, map[string]any{"name": "shop-ca", "kind": "ClusterIssuer", "group": "cert-manager.io"}, field(t, cert, "spec", "issuerRef"))
			assert.Equal(t, "-1", cert.GetAnnotations()["argocd.argoproj.io/sync-wave"], "before the workloads that mount it")
			assert.Equal(t, tc.component, cert.GetLabels()["app.kubernetes.io/component"])

			pod := render.Get[*appsv1.StatefulSet](t, r, full).Spec.Template.Spec
			v := volumeOf(pod, "tls")
			require.NotNil(t, v)
			assert.Equal(t, full+"-tls", v.Secret.SecretName)
			m := mountOf(container(t, pod, tc.container), "tls")
			require.NotNil(t, m)
			assert.Equal(t, "/etc/stack/tls", m.MountPath)
			assert.True(t, m.ReadOnly)

			// An existing Secret: no Certificate, the server reads it.
			own := renderBacking(t, tc.chart, map[string]any{"tls": map[string]any{"enabled": true, "existingSecret": "{{ .Release.Name }}-own-certs"}})
			assert.False(t, hasCertificate(own, full+"-tls"))
			assert.Equal(t, "shop-own-certs", volumeOf(render.Get[*appsv1.StatefulSet](t, own, full).Spec.Template.Spec, "tls").Secret.SecretName)

			render.Fails(t, chart(tc.chart), render.Options{Values: backingValues(tc.chart, map[string]any{"tls": map[string]any{"enabled": true}})},
				"tls.issuerRef.name: name the cert-manager Issuer or ClusterIssuer")
			render.Fails(t, chart(tc.chart), render.Options{Values: backingValues(tc.chart, tlsOn(map[string]any{"issuerRef": map[string]any{"name": "x", "kind": "Vault"}}))}, "/tls/issuerRef/kind")
			render.Fails(t, chart(tc.chart), render.Options{Values: backingValues(tc.chart, tlsOn(map[string]any{"duration": "90 days"}))}, "/tls/duration")
		})
	}
}

func TestMySQLRequiresTLSAndItsOwnClientsVerifyIt(t *testing.T) {
	t.Parallel()
	for _, flavor := range []string{"mysql", "mariadb"} {
		r := renderBacking(t, "mysql", map[string]any{"flavor": flavor, "tls": tlsOn(nil)["tls"], "backup": map[string]any{"enabled": true}})
		cfg := render.Get[*corev1.ConfigMap](t, r, "shop-mysql")
		for _, line := range []string{"ssl_ca = /etc/stack/tls/ca.crt", "ssl_cert = /etc/stack/tls/tls.crt", "ssl_key = /etc/stack/tls/tls.key", "require_secure_transport = ON"} {
			assert.Contains(t, cfg.Data["stack.cnf"], line)
		}
		client := cfg.Data["stack.cnf"][strings.Index(cfg.Data["stack.cnf"], "[client]"):]
		assert.Contains(t, client, "ssl-ca = /etc/stack/tls/ca.crt", "the probes' clients in the pod use TLS")
		assert.Equal(t, "[client]\nssl-ca = /etc/stack/tls/ca.crt\n", cfg.Data["exporter.cnf"])

		pod := render.Get[*appsv1.StatefulSet](t, r, "shop-mysql").Spec.Template.Spec
		exp := container(t, pod, "exporter")
		assert.Contains(t, exp.Args, "--config.my-cnf=/etc/stack/exporter/exporter.cnf")
		assert.NotNil(t, mountOf(exp, "tls"))
		assert.Equal(t, "/etc/stack/exporter", mountOf(exp, "config").MountPath)

		verify := map[string]string{"mysql": "--ssl-mode=VERIFY_IDENTITY --ssl-ca=/etc/stack/tls/ca.crt", "mariadb": "--ssl --ssl-ca=/etc/stack/tls/ca.crt --ssl-verify-server-cert"}[flavor]
		backup := render.Get[*batchv1.CronJob](t, r, "shop-mysql-backup").Spec.JobTemplate.Spec.Template.Spec
		assert.Contains(t, backup.Containers[0].Args[0], "-uroot "+verify+" \\", "the dump verifies the server")
		assert.Contains(t, backup.Containers[0].Args[0], "-uroot "+verify+" --connect-timeout=2 ping")
		ca := volumeOf(backup, "tls-ca")
		require.NotNil(t, ca)
		assert.Equal(t, []corev1.KeyToPath{{Key: "ca.crt", Path: "ca.crt"}}, ca.Secret.Items, "the backup sees the CA, never the server's key")
		assert.Equal(t, "/etc/stack/tls", mountOf(backup.Containers[0], "tls-ca").MountPath)

		test := render.Get[*corev1.Pod](t, r, "shop-mysql-test")
		assert.Contains(t, test.Spec.Containers[0].Args[0], verify+" -N")
		assert.Contains(t, test.Spec.Containers[0].Args[0], "insecure transport")
		assert.NotNil(t, volumeOf(test.Spec, "tls-ca"))
	}
	plain := render.Get[*corev1.ConfigMap](t, renderBacking(t, "mysql", nil), "shop-mysql")
	assert.NotContains(t, plain.Data["stack.cnf"], "ssl")
	assert.NotContains(t, plain.Data, "exporter.cnf")
}

func TestRedisSpeaksOnlyTLSWhenEnabled(t *testing.T) {
	t.Parallel()
	r := renderBacking(t, "redis", tlsOn(nil))
	conf := render.Get[*corev1.ConfigMap](t, r, "shop-redis").Data["redis.conf"]
	for _, line := range []string{"\nport 0\n", "\ntls-port 6379\n", "tls-cert-file /etc/stack/tls/tls.crt", "tls-key-file /etc/stack/tls/tls.key", "tls-ca-cert-file /etc/stack/tls/ca.crt", "tls-auth-clients no"} {
		assert.Contains(t, conf, line)
	}
	pod := render.Get[*appsv1.StatefulSet](t, r, "shop-redis").Spec.Template.Spec
	db := container(t, pod, "redis")
	assert.Contains(t, execProbe(db.ReadinessProbe), "redis-cli -h 127.0.0.1 -p 6379 --tls --cacert /etc/stack/tls/ca.crt ping")
	assert.Contains(t, execProbe(db.LivenessProbe), "--tls --cacert /etc/stack/tls/ca.crt ping")
	exp := container(t, pod, "exporter")
	assert.Equal(t, "rediss://127.0.0.1:6379", envOf(exp)["REDIS_ADDR"].Value)
	assert.Contains(t, exp.Args, "--tls-ca-cert-file=/etc/stack/tls/ca.crt")
	test := render.Get[*corev1.Pod](t, r, "shop-redis-test")
	assert.Contains(t, test.Spec.Containers[0].Args[0], `redis-cli -h "$HOST" -p "$PORT" --tls --cacert /etc/stack/tls/ca.crt "$@"`)
	assert.Contains(t, test.Spec.Containers[0].Args[0], "a plaintext client is refused")
	assert.Equal(t, []corev1.KeyToPath{{Key: "ca.crt", Path: "ca.crt"}}, volumeOf(test.Spec, "tls-ca").Secret.Items)

	plain := renderBacking(t, "redis", nil)
	assert.Contains(t, render.Get[*corev1.ConfigMap](t, plain, "shop-redis").Data["redis.conf"], "\nport 6379\n")
	assert.Equal(t, "redis://127.0.0.1:6379", envOf(container(t, render.Get[*appsv1.StatefulSet](t, plain, "shop-redis").Spec.Template.Spec, "exporter"))["REDIS_ADDR"].Value)
}

func TestRabbitMQServesAMQPSOnItsTLSPort(t *testing.T) {
	t.Parallel()
	r := renderBacking(t, "rabbitmq", map[string]any{"tls": tlsOn(nil)["tls"], "service": map[string]any{"tlsPort": 5676}})
	conf := render.Get[*corev1.ConfigMap](t, r, "shop-rabbitmq").Data["10-stack.conf"]
	for _, line := range []string{"listeners.tcp = none", "listeners.ssl.default = 5676", "ssl_options.certfile = /etc/stack/tls/tls.crt", "ssl_options.keyfile = /etc/stack/tls/tls.key", "ssl_options.cacertfile = /etc/stack/tls/ca.crt"} {
		assert.Contains(t, conf, line)
	}
	assert.NotContains(t, conf, "listeners.tcp.default")
	svc := render.Get[*corev1.Service](t, r, "shop-rabbitmq")
	assert.Equal(t, "amqps", svc.Spec.Ports[0].Name)
	assert.EqualValues(t, 5676, svc.Spec.Ports[0].Port)
	c := container(t, render.Get[*appsv1.StatefulSet](t, r, "shop-rabbitmq").Spec.Template.Spec, "rabbitmq")
	assert.Equal(t, "amqps", c.Ports[0].Name)
	assert.Equal(t, "amqps", c.ReadinessProbe.TCPSocket.Port.String())
	np := render.Get[*networkingv1.NetworkPolicy](t, r, "shop-rabbitmq")
	var ports []int32
	for _, in := range np.Spec.Ingress {
		for _, p := range in.Ports {
			ports = append(ports, p.Port.IntVal)
		}
	}
	assert.Contains(t, ports, int32(5676))
	assert.NotContains(t, ports, int32(5672), "no plaintext port is admitted")
}

func TestTheUmbrellaWiresTLSToTheApps(t *testing.T) {
	t.Parallel()
	on := func(extra map[string]any) map[string]any {
		v := map[string]any{"global": map[string]any{"dependencies": map[string]any{
			"mysql": map[string]any{"tls": true}, "redis": map[string]any{"tls": true}, "rabbitmq": map[string]any{"tls": true}}},
			"mysql": tlsOn(nil), "redis": tlsOn(nil), "rabbitmq": tlsOn(nil),
			"services": map[string]any{"apps": map[string]any{"users": map[string]any{
				"initContainers": []any{map[string]any{"name": "migrate", "command": []any{"migrate"}, "resources": map[string]any{"requests": map[string]any{"cpu": "10m", "memory": "32Mi"}, "limits": map[string]any{"memory": "64Mi"}}}}}}}}
		for k, x := range extra {
			v[k] = x
		}
		return v
	}
	r := render.Render(t, chart("stack"), devOpts(on(nil)))
	users := render.Get[*appsv1.Deployment](t, r, "test-users").Spec.Template.Spec
	env := envOf(users.Containers[0])
	assert.Equal(t, "true", env["MYSQL_TLS"].Value)
	assert.Equal(t, "/etc/stack/tls/mysql/ca.crt", env["MYSQL_CA_FILE"].Value)
	assert.Equal(t, "/etc/stack/tls/redis/ca.crt", env["REDIS_CA_FILE"].Value)
	v := volumeOf(users, "tls-ca-mysql")
	require.NotNil(t, v)
	assert.Equal(t, "test-mysql-tls", v.Secret.SecretName)
	assert.Equal(t, []corev1.KeyToPath{{Key: "ca.crt", Path: "ca.crt"}}, v.Secret.Items, "the apps get the CA, never the server's key")
	assert.Equal(t, "/etc/stack/tls/mysql", mountOf(users.Containers[0], "tls-ca-mysql").MountPath)
	migrate := container(t, users, "migrate")
	assert.Equal(t, "/etc/stack/tls/mysql/ca.crt", envOf(migrate)["MYSQL_CA_FILE"].Value, "an init container has the wiring")
	assert.NotNil(t, mountOf(migrate, "tls-ca-mysql"), "and the CA")
	mailer := render.Get[*appsv1.Deployment](t, r, "test-mailer").Spec.Template.Spec.Containers[0]
	assert.Equal(t, "amqps://$(RABBITMQ_USER):$(RABBITMQ_PASSWORD)@test-rabbitmq.default.svc.cluster.local:5671/%2F", envOf(mailer)["AMQP_URL"].Value)
	assert.Equal(t, "5671", envOf(mailer)["RABBITMQ_PORT"].Value)
	assert.True(t, hasCertificate(r, "test-redis-tls"))

	// Both sides must agree; an existing server Secret is where the apps read the CA.
	render.Fails(t, chart("stack"), devOpts(on(map[string]any{"redis": map[string]any{"tls": map[string]any{"enabled": false}}})),
		"redis.tls.enabled is false but the services connect with global.dependencies.redis.tls true")
	render.Fails(t, chart("stack"), devOpts(on(map[string]any{"mysql": tlsOn(map[string]any{"existingSecret": "db-certs"})})),
		`mysql.tls.existingSecret is "db-certs" but the services read the CA from "test-mysql-tls" (global.dependencies.mysql.caSecret)`)
	render.Fails(t, chart("stack"), devOpts(on(nil), "global.dependencies.rabbitmq.port=5672"),
		`rabbitmq.service.tlsPort is "5671" but the services read "5672"`)
	render.Fails(t, chart("stack"), devOpts(on(map[string]any{"mysql": map[string]any{"tls": map[string]any{"enabled": true}}})),
		"mysql.tls.issuerRef.name: name the cert-manager Issuer")

	// A managed database outside the release that requires TLS, with its CA in a Secret.
	ext := render.Render(t, chart("stack"), devOpts(map[string]any{"mysql": map[string]any{"enabled": false},
		"global": map[string]any{"dependencies": map[string]any{"mysql": map[string]any{"host": "db.example.internal", "tls": true, "caSecret": "{{ .Release.Name }}-rds-ca", "caKey": "global-bundle.pem"}}}}))
	users = render.Get[*appsv1.Deployment](t, ext, "test-users").Spec.Template.Spec
	assert.Equal(t, "/etc/stack/tls/mysql/global-bundle.pem", envOf(users.Containers[0])["MYSQL_CA_FILE"].Value)
	assert.Equal(t, "test-rds-ca", volumeOf(users, "tls-ca-mysql").Secret.SecretName)
	assert.Equal(t, []corev1.KeyToPath{{Key: "global-bundle.pem", Path: "global-bundle.pem"}}, volumeOf(users, "tls-ca-mysql").Secret.Items)
	assert.Nil(t, volumeOf(users, "tls-ca-redis"), "only the dependencies reached over TLS")
}
