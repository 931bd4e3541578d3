//go:build e2e

package e2e

import (
	"context"
	"database/sql"
	"fmt"
	"path/filepath"
	"strings"
	"testing"
	"time"

	_ "github.com/go-sql-driver/mysql"
	"github.com/gruntwork-io/terratest/modules/k8s"
	"github.com/gruntwork-io/terratest/modules/random"
	"github.com/stretchr/testify/require"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/types"

	"github.com/stack-charts/stack/tests/kube"
	stackrelease "github.com/stack-charts/stack/tests/release"
)

// mysqlConn opens a connection through a fresh port-forward to the release's Service and waits
// until the server answers (a pod that was just replaced may still be starting).
func mysqlConn(t *testing.T, ns, user, password, database string) *sql.DB {
	t.Helper()
	return mysqlConnTo(t, ns, "data-mysql", user, password, database)
}

// mysqlConnTo connects through a port-forward to the MySQL Service named service.
func mysqlConnTo(t *testing.T, ns, service, user, password, database string) *sql.DB {
	t.Helper()
	var db *sql.DB
	kube.Wait(t, kube.WaitOptions{What: "MySQL answers as " + user, Timeout: 2 * time.Minute, Interval: 2 * time.Second}, func(ctx context.Context) (bool, string, error) {
		endpoint, err := tunnelE(t, ns, service, 3306)
		if err != nil {
			return false, "port-forward: " + err.Error(), nil
		}
		c, err := sql.Open("mysql", fmt.Sprintf("%s:%s@tcp(%s)/%s?timeout=5s&readTimeout=30s", user, password, endpoint, database))
		if err != nil {
			return false, err.Error(), nil
		}
		if err := c.PingContext(ctx); err != nil {
			c.Close()
			return false, err.Error(), nil
		}
		db = c
		return true, "", nil
	})
	t.Cleanup(func() { db.Close() })
	return db
}

func rowCount(t *testing.T, db *sql.DB, table string) (n int, sum int64) {
	t.Helper()
	require.NoError(t, db.QueryRow("SELECT COUNT(*), COALESCE(SUM(CRC32(ref)), 0) FROM "+table).Scan(&n, &sum))
	return n, sum
}

// The MySQL suite: rows written through the app user survive deletion of the pod, a
// `helm upgrade` that rolls the StatefulSet, and `helm uninstall` + reinstall with the same
// existingSecret (the PVC is kept); the backup CronJob's dump restores into an empty database with
// the same rows.
func TestMySQLRowsSurvivePodDeletionUpgradeReinstallAndRestoreFromBackup(t *testing.T) {
	parallel(t)
	ns := namespace(t, "mysql")
	pw := map[string]string{"mysql-root-password": "root-" + random.UniqueId(), "mysql-password": "app-" + random.UniqueId(), "mysql-exporter-password": "exp-" + random.UniqueId()}
	secret(t, ns, "data-db", pw)
	set := map[string]string{"auth.existingSecret": "data-db", "backup.enabled": "true", "resources.requests.cpu": "50m"}
	start := time.Now()
	rel := stackrelease.Install(t, stackrelease.Options{Kubeconfig: env.Cluster.Kubeconfig, OnFailure: dumpNamespaces, Namespace: ns, Name: "data",
		Chart: filepath.Join(root, "charts", "mysql"), ValuesFiles: chartOptions(t, ns, "mysql", set).ValuesFiles, Set: set,
		Clientset: env.Clientset, RESTConfig: env.RESTConfig})
	progress(t, "mysql: installed and Ready in %s", time.Since(start).Round(100*time.Millisecond))
	sts, err := env.Clientset.AppsV1().StatefulSets(ns).Get(context.Background(), "data-mysql", metav1.GetOptions{})
	require.NoError(t, err)
	server := sts.Spec.Template.Spec.Containers[0].Name // the flavor: mysql or mariadb
	t.Logf("image under test: %s (flavor %s, %s images)", sts.Spec.Template.Spec.Containers[0].Image, server, env.Mode)

	db := mysqlConn(t, ns, "app", pw["mysql-password"], "app")
	endpoint, err := tunnelE(t, ns, "data-mysql", 3306)
	require.NoError(t, err)
	for _, cred := range []string{"root:", "root:wrong", "app:", "app:" + pw["mysql-root-password"]} {
		c, err := sql.Open("mysql", fmt.Sprintf("%s@tcp(%s)/?timeout=5s", cred, endpoint))
		require.NoError(t, err)
		err = c.Ping()
		c.Close()
		require.ErrorContains(t, err, "Access denied", "%s is refused", strings.SplitN(cred, ":", 2)[0]+" with a wrong or empty password")
	}
	_, err = db.Exec("CREATE TABLE orders (id BIGINT AUTO_INCREMENT PRIMARY KEY, ref VARCHAR(64) NOT NULL UNIQUE, note VARCHAR(64) NOT NULL) DEFAULT CHARSET=utf8mb4")
	require.NoError(t, err)
	for i := 0; i < 120; i++ { // 100 distinct refs, 20 duplicates dropped by INSERT IGNORE
		_, err := db.Exec("INSERT IGNORE INTO orders (ref, note) VALUES (?, ?)", fmt.Sprintf("order-%03d", i%100), "ünïcode ✓")
		require.NoError(t, err)
	}
	wantN, wantSum := rowCount(t, db, "orders")
	require.Equal(t, 100, wantN)
	check := func(stage string) {
		t.Helper()
		db := mysqlConn(t, ns, "app", pw["mysql-password"], "app")
		n, sum := rowCount(t, db, "orders")
		require.Equal(t, wantN, n, "rows after %s", stage)
		require.Equal(t, wantSum, sum, "row contents after %s", stage)
		progress(t, "mysql: %d rows intact after %s", n, stage)
	}

	replacePod(t, ns, "data-mysql-0")
	check("the pod was deleted")

	before := podUID(t, ns, "data-mysql-0")
	rel.Upgrade(t, "", valuesFile(t, "max-connections.yaml", "config:\n  maxConnections: 150\n"))
	waitReplaced(t, ns, "data-mysql-0", before, "the upgrade rolled")
	check("a helm upgrade rolled the StatefulSet")
	var name string
	var maxConn int
	require.NoError(t, mysqlConn(t, ns, "app", pw["mysql-password"], "app").QueryRow("SHOW VARIABLES LIKE 'max_connections'").Scan(&name, &maxConn))
	require.Equal(t, 150, maxConn, "the upgrade's my.cnf is the one running")

	// Issue 22: a password change takes effect (auth.syncPasswords): the existingSecret gets new
	// passwords, the StatefulSet is restarted as the chart's README says (kubectl rollout restart),
	// and the server applies them at start: the new ones work, the old ones are refused, the
	// exporter connects with its new one.
	old := pw
	pw = map[string]string{"mysql-root-password": "root2-" + random.UniqueId(), "mysql-password": "app2-" + random.UniqueId(), "mysql-exporter-password": "exp2-" + random.UniqueId()}
	sec, err := env.Clientset.CoreV1().Secrets(ns).Get(context.Background(), "data-db", metav1.GetOptions{})
	require.NoError(t, err)
	sec.Data, sec.StringData = nil, pw
	_, err = env.Clientset.CoreV1().Secrets(ns).Update(context.Background(), sec, metav1.UpdateOptions{})
	require.NoError(t, err)
	before = podUID(t, ns, "data-mysql-0")
	rotated := time.Now()
	restart := fmt.Sprintf(`{"spec":{"template":{"metadata":{"annotations":{"kubectl.kubernetes.io/restartedAt":%q}}}}}`, rotated.Format(time.RFC3339))
	_, err = env.Clientset.AppsV1().StatefulSets(ns).Patch(context.Background(), "data-mysql", types.StrategicMergePatchType, []byte(restart), metav1.PatchOptions{})
	require.NoError(t, err)
	waitReplaced(t, ns, "data-mysql-0", before, "the restart rolled")
	check("the passwords were changed and the server restarted")
	require.NoError(t, mysqlConn(t, ns, "root", pw["mysql-root-password"], "").Ping())
	endpoint, err = tunnelE(t, ns, "data-mysql", 3306)
	require.NoError(t, err)
	for _, cred := range []string{"root:" + old["mysql-root-password"], "app:" + old["mysql-password"]} {
		c, err := sql.Open("mysql", fmt.Sprintf("%s@tcp(%s)/?timeout=5s", cred, endpoint))
		require.NoError(t, err)
		err = c.Ping()
		c.Close()
		require.ErrorContains(t, err, "Access denied", "%s's old password is refused after the rotation", strings.SplitN(cred, ":", 2)[0])
	}
	metrics, err := tunnelE(t, ns, "data-mysql", 9104)
	require.NoError(t, err)
	waitMetric(t, "the exporter connects with its new password", metrics, "mysql_up 1")
	progress(t, "mysql: passwords rotated in %s (Secret changed, rollout restart): the new ones work for root, app and the exporter, the old ones are refused", time.Since(rotated).Round(100*time.Millisecond))

	rel.Uninstall(t)
	kube.Wait(t, kube.WaitOptions{What: "the release's pods gone", Timeout: 3 * time.Minute}, func(ctx context.Context) (bool, string, error) {
		pods, err := env.Clientset.CoreV1().Pods(ns).List(ctx, metav1.ListOptions{LabelSelector: "app.kubernetes.io/instance=data"})
		if err != nil {
			return false, err.Error(), nil
		}
		return len(pods.Items) == 0, fmt.Sprintf("%d pods left", len(pods.Items)), nil
	})
	_, err = env.Clientset.CoreV1().PersistentVolumeClaims(ns).Get(context.Background(), "data-data-mysql-0", metav1.GetOptions{})
	require.NoError(t, err, "helm uninstall keeps the data PVC")
	stackrelease.Install(t, rel.Options) // the upgraded values, the same existingSecret
	check("helm uninstall and a reinstall with the same existingSecret")

	logs := runJobFromCronJob(t, ns, "data-mysql-backup", "backup-now")
	t.Logf("backup job:\n%s", logs)
	require.Contains(t, logs, "backup: wrote")
	client := map[string]string{"mysql": "mysql", "mariadb": "mariadb"}[server]
	script := fmt.Sprintf(`set -euo pipefail
export MYSQL_PWD="$%[1]s_ROOT_PASSWORD"
f=$(ls -1t /backup/app-*.sql.gz | head -n 1)
echo "restoring $f"
%[2]s -uroot -e "DROP DATABASE IF EXISTS restored; CREATE DATABASE restored"
gunzip -c "$f" | %[2]s -uroot restored`, strings.ToUpper(server), client)
	out, err := k8s.RunKubectlAndGetOutputE(t, k8s.NewKubectlOptions("", env.Cluster.Kubeconfig, ns), "exec", "data-mysql-0", "-c", server, "--", "bash", "-c", script)
	require.NoError(t, err, out)
	t.Logf("restore: %s", out)
	root := mysqlConn(t, ns, "root", pw["mysql-root-password"], "restored")
	n, sum := rowCount(t, root, "restored.orders")
	require.Equal(t, wantN, n, "rows restored from the dump")
	require.Equal(t, wantSum, sum, "row contents restored from the dump")
	progress(t, "mysql: the backup restored %d identical rows into an empty database", n)
}

// waitReplaced waits until the pod named name is a new one (another UID than before) and Ready.
func waitReplaced(t *testing.T, ns, name string, before types.UID, what string) {
	t.Helper()
	kube.Wait(t, kube.WaitOptions{What: what + ": " + name + " replaced and Ready", Timeout: 4 * time.Minute}, func(ctx context.Context) (bool, string, error) {
		p, err := env.Clientset.CoreV1().Pods(ns).Get(ctx, name, metav1.GetOptions{})
		if err != nil {
			return false, err.Error(), nil
		}
		return p.UID != before && kube.PodReady(*p), "pod " + string(p.Status.Phase), nil
	})
}
