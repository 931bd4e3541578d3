//go:build e2e

package e2e

import (
	"context"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/gruntwork-io/terratest/modules/random"
	"github.com/redis/go-redis/v9"
	"github.com/stretchr/testify/require"

	"github.com/stack-charts/stack/tests/kube"
)

// The Redis suite: commands without the password are refused (NOAUTH); a key SET with a
// TTL expires; the eviction policy is the configured one — and it really evicts under memory
// pressure instead of refusing writes.
func TestRedisRefusesAnonymousClientsExpiresKeysAndEvicts(t *testing.T) {
	parallel(t)
	ns := namespace(t, "redis")
	password := "cache-" + random.UniqueId()
	// An ACL user besides the default one (issue 22): read-only, on report:* keys.
	reportsPassword := "reports-" + random.UniqueId()
	secret(t, ns, "redis-reports", map[string]string{"password": reportsPassword})
	installChart(t, ns, "redis", map[string]string{"auth.password": password, "config.maxmemory": "4mb", "resources.requests.cpu": "20m",
		"auth.users[0].name": "reports", "auth.users[0].existingSecret": "redis-reports", "auth.users[0].secretKey": "password",
		"auth.users[0].rules[0]": "~report:*", "auth.users[0].rules[1]": "+@read", "auth.users[0].rules[2]": "-@dangerous"})

	endpoint := waitTunnel(t, ns, "data-redis", 6379)
	ctx := context.Background()

	anon := redis.NewClient(&redis.Options{Addr: endpoint})
	defer anon.Close()
	err := anon.Set(ctx, "anonymous", "x", 0).Err()
	require.Error(t, err)
	require.Contains(t, err.Error(), "NOAUTH", "a client without the password is refused")
	wrong := redis.NewClient(&redis.Options{Addr: endpoint, Password: "not-" + password})
	defer wrong.Close()
	require.Error(t, wrong.Ping(ctx).Err(), "a wrong password is refused")

	c := redis.NewClient(&redis.Options{Addr: endpoint, Password: password})
	defer c.Close()
	require.NoError(t, c.Set(ctx, "session:alice", "token", 2*time.Second).Err())
	ttl, err := c.TTL(ctx, "session:alice").Result()
	require.NoError(t, err)
	require.Greater(t, ttl, time.Duration(0))
	kube.Wait(t, kube.WaitOptions{What: "session:alice expired", Timeout: 15 * time.Second, Interval: 500 * time.Millisecond}, func(ctx context.Context) (bool, string, error) {
		_, err := c.Get(ctx, "session:alice").Result()
		return err == redis.Nil, fmt.Sprintf("GET: %v", err), nil
	})

	// The chart switches FLUSHALL and FLUSHDB off (config.disableCommands).
	require.NoError(t, c.Set(ctx, "keep:me", "here", 0).Err())
	for _, cmd := range []string{"FLUSHALL", "FLUSHDB"} {
		err := c.Do(ctx, cmd).Err()
		require.Error(t, err, "%s is switched off", cmd)
		require.Contains(t, err.Error(), "unknown command", cmd)
	}
	require.Equal(t, "here", c.Get(ctx, "keep:me").Val(), "and nothing was flushed")

	// The ACL user: reads its keys, cannot write them or read others'; a wrong password is refused.
	require.NoError(t, c.Set(ctx, "report:daily", "42", 0).Err())
	reports := redis.NewClient(&redis.Options{Addr: endpoint, Username: "reports", Password: reportsPassword})
	defer reports.Close()
	require.Equal(t, "42", reports.Get(ctx, "report:daily").Val(), "reports reads report:*")
	for what, err := range map[string]error{
		"a write":             reports.Set(ctx, "report:daily", "0", 0).Err(),
		"another prefix":      reports.Get(ctx, "keep:me").Err(),
		"a dangerous command": reports.Do(ctx, "CONFIG", "GET", "maxmemory").Err(),
	} {
		require.Error(t, err, what)
		require.Contains(t, err.Error(), "NOPERM", what)
	}
	badUser := redis.NewClient(&redis.Options{Addr: endpoint, Username: "reports", Password: password})
	defer badUser.Close()
	require.ErrorContains(t, badUser.Ping(ctx).Err(), "WRONGPASS", "the default user's password is not reports'")
	progress(t, "redis: ACL user reports reads report:*, gets NOPERM for a write, another prefix and CONFIG, WRONGPASS with another password")

	policy, err := c.ConfigGet(ctx, "maxmemory-policy").Result()
	require.NoError(t, err)
	require.Equal(t, "allkeys-lru", policy["maxmemory-policy"])

	// 2,000 values of 8 KiB (16 MiB) into a 4 MiB cache: allkeys-lru evicts, no write fails.
	value := strings.Repeat("x", 8192)
	for i := 0; i < 2000; i++ {
		require.NoError(t, c.Set(ctx, fmt.Sprintf("cache:%04d", i), value, time.Hour).Err(), "write %d (a full cache evicts, it does not refuse)", i)
	}
	keys, err := c.DBSize(ctx).Result()
	require.NoError(t, err)
	info, err := c.Info(ctx, "stats").Result()
	require.NoError(t, err)
	evicted := ""
	for _, l := range strings.Split(info, "\r\n") {
		if v, ok := strings.CutPrefix(l, "evicted_keys:"); ok {
			evicted = v
		}
	}
	require.Less(t, keys, int64(2000), "keys were evicted")
	require.NotEqual(t, "0", evicted)
	progress(t, "redis: NOAUTH without the password, TTL expiry, FLUSHALL and FLUSHDB refused, allkeys-lru kept %d of 2000 keys (evicted_keys %s)", keys, evicted)
}
