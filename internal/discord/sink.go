// Package discord is a stand-in for Discord's incoming-webhook endpoint, for the monitoring e2e
// suite: Alertmanager's native discord_configs receiver posts to it exactly as it would post to
// https://discord.com/api/webhooks/ID/TOKEN, and the suite reads back what arrived.
//
// It checks each payload against the limits Discord enforces on webhook messages (a message needs
// content or embeds; content ≤ 2000 characters; ≤ 10 embeds; title ≤ 256, description ≤ 4096),
// answers 204 like Discord does without ?wait=true, and 400 with Discord's error shape otherwise,
// so a receiver that would be rejected by Discord is rejected here too.
package discord

import (
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"strings"
	"sync"
	"time"
	"unicode/utf8"
)

// Limits Discord documents for "Execute Webhook".
const (
	maxContent     = 2000
	maxEmbeds      = 10
	maxTitle       = 256
	maxDescription = 4096
	maxBody        = 1 << 20
)

// Embed is the part of a Discord embed object Alertmanager fills.
type Embed struct {
	Title       string `json:"title,omitempty"`
	Description string `json:"description,omitempty"`
	URL         string `json:"url,omitempty"`
	Color       int    `json:"color,omitempty"`
}

// Message is a Discord "Execute Webhook" payload.
type Message struct {
	Content   string  `json:"content,omitempty"`
	Username  string  `json:"username,omitempty"`
	AvatarURL string  `json:"avatar_url,omitempty"`
	Embeds    []Embed `json:"embeds,omitempty"`
}

// Delivery is one accepted message with the webhook it was posted to.
type Delivery struct {
	Webhook  string    `json:"webhook"`
	Received time.Time `json:"received"`
	Message  Message   `json:"message"`
}

// Validate reports why Discord would refuse m, or nil.
func (m Message) Validate() error {
	if strings.TrimSpace(m.Content) == "" && len(m.Embeds) == 0 {
		return fmt.Errorf("cannot send an empty message: content or embeds required")
	}
	if n := utf8.RuneCountInString(m.Content); n > maxContent {
		return fmt.Errorf("content: must be %d or fewer in length (got %d)", maxContent, n)
	}
	if len(m.Embeds) > maxEmbeds {
		return fmt.Errorf("embeds: must be %d or fewer in length (got %d)", maxEmbeds, len(m.Embeds))
	}
	for i, e := range m.Embeds {
		if n := utf8.RuneCountInString(e.Title); n > maxTitle {
			return fmt.Errorf("embeds.%d.title: must be %d or fewer in length (got %d)", i, maxTitle, n)
		}
		if n := utf8.RuneCountInString(e.Description); n > maxDescription {
			return fmt.Errorf("embeds.%d.description: must be %d or fewer in length (got %d)", i, maxDescription, n)
		}
		if e.Color < 0 || e.Color > 0xFFFFFF {
			return fmt.Errorf("embeds.%d.color: must be between 0 and 16777215 (got %d)", i, e.Color)
		}
	}
	return nil
}

// Sink keeps the messages posted to it, in order.
type Sink struct {
	mu         sync.Mutex
	deliveries []Delivery
	now        func() time.Time
}

// NewSink returns an empty sink.
func NewSink() *Sink { return &Sink{now: time.Now} }

// Deliveries returns a copy of what was accepted so far.
func (s *Sink) Deliveries() []Delivery {
	s.mu.Lock()
	defer s.mu.Unlock()
	return append([]Delivery(nil), s.deliveries...)
}

// Handler serves POST /api/webhooks/{id}/{token} (Discord's path), GET /messages (the accepted
// deliveries as JSON) and GET /healthz.
func (s *Sink) Handler() http.Handler {
	mux := http.NewServeMux()
	mux.HandleFunc("POST /api/webhooks/{id}/{token}", s.post)
	mux.HandleFunc("GET /messages", func(w http.ResponseWriter, _ *http.Request) {
		w.Header().Set("Content-Type", "application/json")
		_ = json.NewEncoder(w).Encode(s.Deliveries())
	})
	mux.HandleFunc("GET /healthz", func(w http.ResponseWriter, _ *http.Request) { _, _ = io.WriteString(w, "ok\n") })
	return mux
}

func (s *Sink) post(w http.ResponseWriter, r *http.Request) {
	if ct := r.Header.Get("Content-Type"); !strings.HasPrefix(ct, "application/json") {
		discordError(w, http.StatusBadRequest, 50035, "Invalid Form Body: Content-Type must be application/json, got "+ct)
		return
	}
	var m Message
	dec := json.NewDecoder(io.LimitReader(r.Body, maxBody))
	if err := dec.Decode(&m); err != nil {
		discordError(w, http.StatusBadRequest, 50109, "The request body contains invalid JSON: "+err.Error())
		return
	}
	if err := m.Validate(); err != nil {
		discordError(w, http.StatusBadRequest, 50035, "Invalid Form Body: "+err.Error())
		return
	}
	s.mu.Lock()
	s.deliveries = append(s.deliveries, Delivery{Webhook: r.PathValue("id"), Received: s.now().UTC(), Message: m})
	s.mu.Unlock()
	w.WriteHeader(http.StatusNoContent)
}

func discordError(w http.ResponseWriter, status, code int, msg string) {
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(status)
	_ = json.NewEncoder(w).Encode(map[string]any{"code": code, "message": msg})
}
