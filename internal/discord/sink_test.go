package discord

import (
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func TestTheSinkAcceptsWhatDiscordAcceptsAndRefusesTheRest(t *testing.T) {
	srv := httptest.NewServer(NewSink().Handler())
	defer srv.Close()
	post := func(body, ct string) int {
		resp, err := http.Post(srv.URL+"/api/webhooks/123/tok", ct, strings.NewReader(body))
		require.NoError(t, err)
		defer resp.Body.Close()
		return resp.StatusCode
	}
	cases := []struct {
		name, body, ct string
		want           int
	}{
		{"an embed with a title is accepted", `{"embeds":[{"title":"[FIRING:1] Test","description":"x","color":10038562}]}`, "application/json", 204},
		{"content alone is accepted", `{"content":"hello"}`, "application/json", 204},
		{"an empty message is refused", `{}`, "application/json", 400},
		{"content over 2000 characters is refused", `{"content":"` + strings.Repeat("a", 2001) + `"}`, "application/json", 400},
		{"a title over 256 characters is refused", `{"embeds":[{"title":"` + strings.Repeat("t", 257) + `"}]}`, "application/json", 400},
		{"eleven embeds are refused", `{"embeds":[` + strings.TrimSuffix(strings.Repeat(`{"title":"a"},`, 11), ",") + `]}`, "application/json", 400},
		{"a color outside 24 bits is refused", `{"embeds":[{"title":"a","color":16777216}]}`, "application/json", 400},
		{"invalid JSON is refused", `{"embeds":`, "application/json", 400},
		{"a form body is refused", `content=hi`, "application/x-www-form-urlencoded", 400},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) { assert.Equal(t, c.want, post(c.body, c.ct)) })
	}

	resp, err := http.Get(srv.URL + "/messages")
	require.NoError(t, err)
	defer resp.Body.Close()
	var got []Delivery
	require.NoError(t, json.NewDecoder(resp.Body).Decode(&got))
	require.Len(t, got, 2, "only the two valid messages are kept")
	assert.Equal(t, "123", got[0].Webhook)
	assert.Equal(t, "[FIRING:1] Test", got[0].Message.Embeds[0].Title)
	assert.Equal(t, "hello", got[1].Message.Content)
}

func TestOnlyDiscordsWebhookPathIsServed(t *testing.T) {
	srv := httptest.NewServer(NewSink().Handler())
	defer srv.Close()
	resp, err := http.Post(srv.URL+"/webhook", "application/json", strings.NewReader(`{"content":"x"}`))
	require.NoError(t, err)
	resp.Body.Close()
	assert.Equal(t, http.StatusNotFound, resp.StatusCode)
}
