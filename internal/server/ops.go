package server

import (
	"fmt"
	"net/http"
	"time"

	"paperfeed/internal/notify"
	"paperfeed/internal/refresh"
	"paperfeed/internal/server/mailweb"
	"paperfeed/internal/state"
)

// The operator's routes: liveness, readiness, status. Metrics are in
// metrics.go.

func healthz(w http.ResponseWriter, _ *http.Request) {
	w.Header().Set("Content-Type", "text/plain; charset=utf-8")
	w.Header().Set("Cache-Control", "no-store")
	fmt.Fprintln(w, "ok")
}

// Status is the body of /status and /readyz.
type Status struct {
	Ready bool `json:"ready"`
	// Settled: every source completed its first load and the look-ups
	// that follow it (what a start holds, not a part still filling).
	Settled     bool                  `json:"settled"`
	Version     string                `json:"version"`
	DataVersion uint64                `json:"data_version"`
	DataChanged time.Time             `json:"data_changed,omitzero"`
	Papers      int                   `json:"papers"`
	SeedsHeld   int                   `json:"seeds_held"` // like= papers looked up on arXiv and kept
	Sources     []refresh.SourceState `json:"sources"`
	Store       state.Stats           `json:"store"`
	Cluster     *refresh.ClusterState `json:"cluster,omitempty"`
	RenderCache struct {
		Entries int `json:"entries"`
		Bytes   int `json:"bytes"`
	} `json:"render_cache"`
	// Notifications are the notify file's subscriptions: target (no
	// secret), last success and error, pending and failed counts.
	Notifications []notify.Status `json:"notifications,omitempty"`
	// Mail counts readers' mail subscriptions (when SMTP is set).
	Mail *mailweb.MailStatus `json:"mail,omitempty"`
}

func (s *Server) Status() Status {
	v := s.engine.View()
	d := Status{Ready: s.engine.Ready(), Version: Version, DataVersion: v.Version, DataChanged: v.Changed, Papers: len(v.Papers)}
	d.Settled = s.refresh.Settled() && s.refresh.CountsSettled()
	d.SeedsHeld = s.refresh.SeedsHeld()
	d.Sources = s.refresh.States()
	d.Store = s.refresh.Kept().Stats()
	if c, shared := s.refresh.Cluster(); shared {
		d.Cluster = &c
	}
	d.RenderCache.Entries, d.RenderCache.Bytes = s.feeds.cache.stats()
	if s.notifyStatus != nil {
		d.Notifications = s.notifyStatus()
	}
	if s.mail != nil {
		d.Mail = s.mail.Status()
	}
	return d
}

// statusHandler answers /status with the status now.
func statusHandler(status func() Status) http.HandlerFunc {
	return func(w http.ResponseWriter, _ *http.Request) { writeJSON(w, http.StatusOK, status()) }
}

// readyzHandler is 200 once data is loaded, 503 before; the body is the
// status.
func readyzHandler(status func() Status) http.HandlerFunc {
	return func(w http.ResponseWriter, _ *http.Request) {
		d := status()
		code := http.StatusOK
		if !d.Ready {
			code = http.StatusServiceUnavailable
			w.Header().Set("Retry-After", "5")
		}
		writeJSON(w, code, d)
	}
}

// shared is the replicas' coordination state (nil without a shared
// store).
func (s *Server) shared() *refresh.ClusterState {
	if c, ok := s.refresh.Cluster(); ok {
		return &c
	}
	return nil
}
