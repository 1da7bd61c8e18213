package main

import (
	"fmt"
	"net/http"
	"time"

	"paperfeed/internal/refresh"
	"paperfeed/internal/state"
)

// The operator's routes: liveness, readiness, status. Metrics are in
// metrics.go.

func (a *app) healthz(w http.ResponseWriter, _ *http.Request) {
	w.Header().Set("Content-Type", "text/plain; charset=utf-8")
	w.Header().Set("Cache-Control", "no-store")
	fmt.Fprintln(w, "ok")
}

// serviceStatus is the body of /status and /readyz.
type serviceStatus struct {
	Ready       bool                  `json:"ready"`
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
}

func (a *app) serviceStatus() serviceStatus {
	v := a.store.View()
	d := serviceStatus{Ready: a.isReady(), Version: version, DataVersion: v.Version, DataChanged: v.Changed, Papers: len(v.Papers)}
	d.SeedsHeld = a.refresh.SeedsHeld()
	d.Sources = a.refresh.States()
	d.Store = a.refresh.StateStats()
	if c, shared := a.refresh.Cluster(); shared {
		d.Cluster = &c
	}
	d.RenderCache.Entries, d.RenderCache.Bytes = a.cache.stats()
	return d
}

func (a *app) status(w http.ResponseWriter, _ *http.Request) {
	writeJSON(w, http.StatusOK, a.serviceStatus())
}

// readyz is 200 once data is loaded, 503 before; the body is the status.
func (a *app) readyz(w http.ResponseWriter, _ *http.Request) {
	d := a.serviceStatus()
	code := http.StatusOK
	if !d.Ready {
		code = http.StatusServiceUnavailable
		w.Header().Set("Retry-After", "5")
	}
	writeJSON(w, code, d)
}
