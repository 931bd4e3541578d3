//go:build e2e

package e2e

import (
	"context"
	"crypto/x509"
	"encoding/pem"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/gruntwork-io/terratest/modules/helm"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
)

// Issue 22, TLS for the backing services' clients, live: the umbrella with cert-issuer's CA and
// mysql, redis and rabbitmq each on `tls.enabled` (certificates from cert-manager) and the apps
// wired with `global.dependencies.<name>.tls`. Each server refuses a plaintext client; a pod of
// an app, with only the env and CA mount the chart gives it, connects over TLS and verifies the
// server by its Service name; the exporters connect over TLS (mysql_up, redis_up); `helm test`
// (whose pods verify the servers too) passes.
func TestBackingServicesTakeOnlyTLSClients(t *testing.T) {
	parallel(t)
	needsAddon(t, "cert-manager")
	ns := namespace(t, "tlsdeps")
	values := valuesFile(t, "backing-tls.yaml", `cert-issuer:
  enabled: true
  certificate: {enabled: false}
mysql:    {tls: {enabled: true, issuerRef: {name: "{{ .Release.Name }}-cert-issuer"}}}
redis:    {tls: {enabled: true, issuerRef: {name: "{{ .Release.Name }}-cert-issuer"}}}
rabbitmq: {tls: {enabled: true, issuerRef: {name: "{{ .Release.Name }}-cert-issuer"}}}
global:
  dependencies:
    mysql: {tls: true}
    redis: {tls: true}
    rabbitmq: {tls: true}
`)
	opts := installRelease(t, ns, "backing-tls", values)
	ctx := context.Background()

	// The server certificates: issued by the release's CA for the Services' names.
	for _, dep := range []string{"mysql", "redis", "rabbitmq"} {
		sec, err := env.Clientset.CoreV1().Secrets(ns).Get(ctx, "stack-"+dep+"-tls", metav1.GetOptions{})
		require.NoError(t, err)
		block, _ := pem.Decode(sec.Data["tls.crt"])
		require.NotNil(t, block, "%s: tls.crt is PEM", dep)
		crt, err := x509.ParseCertificate(block.Bytes)
		require.NoError(t, err)
		roots := x509.NewCertPool()
		require.True(t, roots.AppendCertsFromPEM(sec.Data["ca.crt"]), "%s: ca.crt", dep)
		host := fmt.Sprintf("stack-%s.%s.svc.cluster.local", dep, ns)
		_, err = crt.Verify(x509.VerifyOptions{Roots: roots, DNSName: host})
		require.NoError(t, err, "%s: the certificate is valid for %s under the Secret's CA", dep, host)
		progress(t, "backing-tls: %s certificate for %v issued by %q, valid until %s", dep, crt.DNSNames, crt.Issuer.CommonName, crt.NotAfter.Format(time.DateOnly))
	}

	// The apps' side: pods with users' and mailer's labels, env and CA mounts.
	retry := func(cmd string) string {
		return fmt.Sprintf(`for i in $(seq 1 30); do out=$(%s 2>&1) && break; sleep 1; done; echo "$out"`, cmd)
	}
	mariadb, redisImg, curl := env.Images["mariadb"], env.Images["redis"], env.Images["curl"]
	require.NotEmpty(t, mariadb, "the mariadb workload image")
	require.NotEmpty(t, redisImg, "the redis workload image")
	require.NotEmpty(t, curl, "the curl workload image")
	t.Logf("clients: %s, %s, %s", mariadb, redisImg, curl)

	sql := `mariadb -h "$MYSQL_HOST" -P "$MYSQL_PORT" -u "$MYSQL_USER" -p"$MYSQL_PASSWORD" -N -B`
	ok, out := asApp(t, ns, "stack-users", "tls-mysql", mariadb, retry(sql+` --ssl --ssl-ca="$MYSQL_CA_FILE" --ssl-verify-server-cert -e "SHOW SESSION STATUS LIKE 'Ssl_version'"`)+`
echo "---"; `+sql+` --skip-ssl -e 'SELECT 1' 2>&1; echo "plaintext exit $?"`)
	require.True(t, ok, out)
	before, plain, _ := strings.Cut(out, "---")
	require.Regexp(t, `Ssl_version\s+TLSv1\.[23]`, before, "the app's session is TLS, the server verified by name against MYSQL_CA_FILE")
	// The same user and password that just connected over TLS: MySQL answers "Connections using
	// insecure transport are prohibited", MariaDB 10.11 "Access denied".
	require.Regexp(t, `insecure transport|Access denied`, plain, "a plaintext client is refused")
	require.NotContains(t, plain, "plaintext exit 0")
	progress(t, "backing-tls: mysql: the app connects with %s; plaintext: %s", strings.TrimSpace(before), firstLine(plain))

	cli := `REDISCLI_AUTH="$REDIS_PASSWORD" timeout 5 redis-cli -h "$REDIS_HOST" -p "$REDIS_PORT"`
	ok, out = asApp(t, ns, "stack-users", "tls-redis", redisImg, retry(cli+` --tls --cacert "$REDIS_CA_FILE" PING`)+`
echo "---"; `+cli+` PING 2>&1; echo "plaintext exit $?"`)
	require.True(t, ok, out)
	before, plain, _ = strings.Cut(out, "---")
	require.Equal(t, "PONG", strings.TrimSpace(before), "the app's PING over TLS, the server verified against REDIS_CA_FILE")
	require.NotContains(t, plain, "PONG", "a plaintext client gets no answer")
	progress(t, "backing-tls: redis: PONG over TLS; plaintext: %s", firstLine(plain))

	// AMQPS: the TLS handshake verifies the broker by name against RABBITMQ_CA_FILE; what
	// answers the request is AMQP's protocol header ("AMQP" 0 0 9 1), so the broker is behind it.
	amqps := `curl -sS --http0.9 --max-time 5 --cacert "$RABBITMQ_CA_FILE" "https://$RABBITMQ_HOST:$RABBITMQ_PORT/" | head -c 4`
	ok, out = asApp(t, ns, "stack-mailer", "tls-rabbitmq", curl, `case "$AMQP_URL" in amqps://*) ;; *) echo "AMQP_URL $AMQP_URL"; exit 1 ;; esac
`+retry(amqps)+`
echo "---"; curl -sS --http0.9 --max-time 5 "https://$RABBITMQ_HOST:$RABBITMQ_PORT/" 2>&1; echo "untrusted exit $?"`)
	require.True(t, ok, out)
	before, untrusted, _ := strings.Cut(out, "---")
	require.Equal(t, "AMQP", strings.TrimSpace(before), "the broker answers over TLS on %s", "5671")
	require.Contains(t, untrusted, "untrusted exit 60", "without the release's CA the certificate is not trusted")
	progress(t, "backing-tls: rabbitmq: AMQPS on 5671 answers AMQP's header after a verified handshake; without the CA: %s", firstLine(untrusted))

	// The exporters reach their servers over TLS (loopback, verified: the certificate names 127.0.0.1).
	waitMetric(t, "mysqld-exporter reaches MySQL over TLS", waitTunnel(t, ns, "stack-mysql", 9104), "mysql_up 1")
	waitMetric(t, "redis_exporter reaches Redis over TLS", waitTunnel(t, ns, "stack-redis", 9121), "redis_up 1")
	progress(t, "backing-tls: mysqld-exporter mysql_up 1, redis_exporter redis_up 1 over TLS")

	// helm test: the charts' own test pods verify the servers and check plaintext is refused.
	start := time.Now()
	hout, err := helm.RunHelmCommandAndGetOutputE(t, opts, "test", "stack", "--logs", "--timeout", "3m")
	require.NoError(t, err, "helm test failed:\n%s", hout)
	assert.Contains(t, hout, "ok: TLS cipher", "mysql's test ran over TLS")
	assert.Contains(t, hout, "ok: plaintext refused", "and saw plaintext refused")
	assert.Contains(t, hout, "ok: a plaintext client is refused", "redis's test")
	assert.Equal(t, 4, strings.Count(hout, "Phase:          Succeeded"), "the gateway, mysql, redis and rabbitmq tests all passed")
	progress(t, "backing-tls: helm test passed in %s", time.Since(start).Round(100*time.Millisecond))
}

// firstLine is the first non-empty line of s.
func firstLine(s string) string {
	for _, l := range strings.Split(s, "\n") {
		if l = strings.TrimSpace(l); l != "" {
			return l
		}
	}
	return ""
}
