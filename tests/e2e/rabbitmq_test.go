//go:build e2e

package e2e

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"testing"
	"time"

	"github.com/gruntwork-io/terratest/modules/random"
	amqp "github.com/rabbitmq/amqp091-go"
	"github.com/stretchr/testify/require"

	"github.com/stack-charts/stack/tests/kube"
)

// amqpConn dials the broker through a fresh port-forward, retrying while it (re)starts.
func amqpConn(t *testing.T, ns, user, password string) *amqp.Connection {
	t.Helper()
	return amqpConnTo(t, ns, "data-rabbitmq", user, password)
}

// amqpConnTo is amqpConn to the broker Service named service.
func amqpConnTo(t *testing.T, ns, service, user, password string) *amqp.Connection {
	t.Helper()
	var conn *amqp.Connection
	kube.Wait(t, kube.WaitOptions{What: "AMQP connection as " + user, Timeout: 2 * time.Minute, Interval: 2 * time.Second}, func(ctx context.Context) (bool, string, error) {
		endpoint, err := tunnelE(t, ns, service, 5672)
		if err != nil {
			return false, "port-forward: " + err.Error(), nil
		}
		c, err := amqp.Dial(fmt.Sprintf("amqp://%s:%s@%s/", user, password, endpoint))
		if err != nil {
			return false, err.Error(), nil
		}
		conn = c
		return true, "", nil
	})
	t.Cleanup(func() { _ = conn.Close() })
	return conn
}

// The RabbitMQ suite: the queues from the definitions exist (quorum, durable); persistent
// messages published to a durable quorum queue are all consumed after the broker pod is deleted and
// comes back (count in = count out).
func TestRabbitMQQueuesFromDefinitionsAndMessagesSurviveABrokerRestart(t *testing.T) {
	parallel(t)
	ns := namespace(t, "rabbitmq")
	password := "mq-" + random.UniqueId()
	values := valuesFile(t, "definitions.yaml", `definitions:
  queues:
    - {name: events, type: quorum}
    - {name: emails, type: quorum}
  exchanges:
    - {name: shop, type: topic}
  bindings:
    - {source: shop, destination: emails, routingKey: "user.*"}
`)
	installChart(t, ns, "rabbitmq", map[string]string{"auth.password": password, "auth.erlangCookie": "e2e" + random.UniqueId() + random.UniqueId() + random.UniqueId() + random.UniqueId(),
		"resources.requests.cpu": "50m"}, values)

	api := waitTunnel(t, ns, "data-rabbitmq", 15672)
	for _, q := range []string{"events", "emails"} {
		var got struct {
			Type    string `json:"type"`
			Durable bool   `json:"durable"`
		}
		req, _ := http.NewRequest(http.MethodGet, fmt.Sprintf("http://%s/api/queues/%%2F/%s", api, q), nil)
		req.SetBasicAuth("app", password)
		resp, err := http.DefaultClient.Do(req)
		require.NoError(t, err)
		require.Equal(t, http.StatusOK, resp.StatusCode, "queue %s from the definitions exists", q)
		require.NoError(t, json.NewDecoder(resp.Body).Decode(&got))
		resp.Body.Close()
		require.Equal(t, "quorum", got.Type, q)
		require.True(t, got.Durable, q)
	}

	const n = 500
	conn := amqpConn(t, ns, "app", password)
	ch, err := conn.Channel()
	require.NoError(t, err)
	require.NoError(t, ch.Confirm(false))
	confirms := ch.NotifyPublish(make(chan amqp.Confirmation, n))
	ctx := context.Background()
	for i := 0; i < n; i++ {
		require.NoError(t, ch.PublishWithContext(ctx, "", "events", true, false, amqp.Publishing{
			DeliveryMode: amqp.Persistent, ContentType: "text/plain", MessageId: fmt.Sprint(i), Body: []byte(fmt.Sprintf("event %d", i))}))
	}
	acked := 0
	for i := 0; i < n; i++ {
		select {
		case c := <-confirms:
			if c.Ack {
				acked++
			}
		case <-time.After(30 * time.Second):
			t.Fatalf("only %d of %d publishes confirmed", acked, n)
		}
	}
	require.Equal(t, n, acked, "the broker confirmed every persistent message")
	// A routed publish through the topic exchange reaches the bound queue.
	require.NoError(t, ch.PublishWithContext(ctx, "shop", "user.signup", true, false, amqp.Publishing{DeliveryMode: amqp.Persistent, Body: []byte("welcome")}))
	require.True(t, (<-confirms).Ack)
	_ = conn.Close()

	replacePod(t, ns, "data-rabbitmq-0")

	conn = amqpConn(t, ns, "app", password)
	ch, err = conn.Channel()
	require.NoError(t, err)
	seen := map[string]bool{}
	for {
		msg, ok, err := ch.Get("events", false)
		require.NoError(t, err)
		if !ok {
			break
		}
		seen[msg.MessageId] = true
		require.NoError(t, msg.Ack(false))
	}
	require.Len(t, seen, n, "count in = count out after the broker restarted")
	mail, ok, err := ch.Get("emails", true)
	require.NoError(t, err)
	require.True(t, ok, "the bound queue kept its message")
	require.Equal(t, "welcome", string(mail.Body))
	progress(t, "rabbitmq: %d/%d persistent messages consumed after the broker pod was replaced", len(seen), n)
}
