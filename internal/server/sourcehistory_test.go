package server

import (
	"context"
	"encoding/json"
	"fmt"
	"strings"
	"testing"
	"time"

	"paperfeed/feed"
	"paperfeed/internal/redistest"
	"paperfeed/internal/refresh"
	"paperfeed/internal/standin"
	"paperfeed/internal/state"
)

// metricValue reads one series of a /metrics body ("" when absent).
func metricValue(body, series string) string {
	for line := range strings.Lines(body) {
		if v, ok := strings.CutPrefix(strings.TrimSpace(line), series+" "); ok {
			return v
		}
	}
	return ""
}

// sourceStates reads /status's sources through the handler.
func sourceStates(t *testing.T, f *fixture) []refresh.SourceState {
	t.Helper()
	_, b := f.get(t, "/status")
	var d Status
	if err := json.Unmarshal(b, &d); err != nil {
		t.Fatal(err)
	}
	return d.Sources
}

// stateDir opens the state kept in dir, as each start does.
func stateDir(t *testing.T, dir string) func() state.Backend {
	return func() state.Backend {
		b, err := state.Open(dir, discardLog(), time.Now)
		if err != nil {
			t.Fatal(err)
		}
		return b
	}
}

// sharedSite is a replay of both upstreams and a real redis-server,
// with how to open the shared state in it (until the test ends).
func sharedSite(t *testing.T) (up string, openShared func() state.Backend) {
	t.Helper()
	srv := redistest.Start(t, "")
	site, err := standin.NewSite(testdata, standin.SiteOptions{})
	if err != nil {
		t.Fatal(err)
	}
	return newUpstream(t, site), func() state.Backend {
		r, err := state.OpenRedis(t.Context(), srv.URL(""), "", 2*time.Second, discardLog())
		if err != nil {
			t.Fatal(err)
		}
		return r
	}
}

// A restart keeps each source's last success, last error and failure
// counts (they are in the state file), in /status and /metrics: an alert
// on "no success in N hours" does not fire because of a deploy.
func TestSourceHistorySurvivesRestart(t *testing.T) {
	hf := replayHF(t)
	up := newUpstream(t, hf)
	open := stateDir(t, t.TempDir())
	a := testAppWith(t, up, nil, nil, open())
	first := &fixture{app: a, hf: hf, srv: newServer(t, a)}
	first.loaded(t)
	hf.SetFault("/papers", standin.Fault{Status: 500})
	hf.SetFault("/api/", standin.Fault{Status: 500})
	for range 2 {
		if err := first.refresh(t); err == nil {
			t.Fatal("a refresh against a failing upstream succeeded")
		}
	}
	before := sourceStates(t, first)[0]
	if before.LastSuccess.IsZero() || before.Failures != 2 || before.FailuresTotal != 2 || before.LastError == "" {
		t.Fatalf("before the restart: %+v", before)
	}
	if err := a.refresh.Close(); err != nil {
		t.Fatal(err)
	}

	b := testAppWith(t, up, nil, nil, open())
	if _, err := b.refresh.Restore(); err != nil {
		t.Fatal(err)
	}
	second := &fixture{app: b, hf: hf, srv: newServer(t, b)}
	after := sourceStates(t, second)[0]
	if !after.LastSuccess.Equal(before.LastSuccess) || after.LastError != before.LastError ||
		!after.LastErrorAt.Equal(before.LastErrorAt) || after.Failures != 2 || after.FailuresTotal != 2 {
		t.Errorf("after the restart /status shows\n%+v\nwant what it showed before\n%+v", after, before)
	}
	_, m := second.get(t, "/metrics")
	want := map[string]string{
		`paperfeed_source_last_success_timestamp_seconds{source="hf"}`: fmt.Sprint(float64(before.LastSuccess.UnixMilli()) / 1000),
		`paperfeed_source_last_failure_timestamp_seconds{source="hf"}`: fmt.Sprint(float64(before.LastErrorAt.UnixMilli()) / 1000),
		`paperfeed_source_consecutive_failures{source="hf"}`:           "2",
		`paperfeed_source_failures_total{source="hf"}`:                 "2",
	}
	for series, v := range want {
		if got := metricValue(string(m), series); got != v {
			t.Errorf("/metrics after the restart: %s is %q, want %q", series, got, v)
		}
	}

	// A success ends the run of failures; the total stays.
	hf.SetFault("/papers", standin.Fault{})
	hf.SetFault("/api/", standin.Fault{})
	second.loaded(t)
	if st := sourceStates(t, second)[0]; st.Failures != 0 || st.FailuresTotal != 2 || !st.LastSuccess.After(before.LastSuccess) {
		t.Errorf("after a success: %+v", st)
	}
}

// Replicas: the leader's outcomes are in the shared state, so a replica
// started later (a follower, or the next leader) shows them.
func TestSourceHistorySharedByReplicas(t *testing.T) {
	up, openShared := sharedSite(t)
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	cfg := func(c *Config) { c.RedisLease = 2 * time.Second }
	leader := testAppWith(t, up, nil, cfg, openShared())
	leader.refresh.Start(ctx)
	waitFor(t, "the leader to load", func() bool {
		st := leader.Status()
		return st.Ready && st.Cluster != nil && st.Cluster.Role == "leader" && !st.Sources[0].LastSuccess.IsZero()
	})
	want := leader.Status().Sources[0].LastSuccess

	follower := testAppWith(t, up, nil, cfg, openShared())
	if _, err := follower.refresh.Restore(); err != nil {
		t.Fatal(err)
	}
	follower.refresh.Start(ctx)
	f := &fixture{app: follower, srv: newServer(t, follower)}
	waitFor(t, "the follower to show the leader's last success", func() bool {
		st := follower.Status()
		return st.Cluster != nil && st.Cluster.Role == "follower" && !st.Sources[0].LastSuccess.Before(want)
	})
	_, m := f.get(t, "/metrics")
	if v := metricValue(string(m), `paperfeed_source_last_success_timestamp_seconds{source="hf"}`); v == "" || v == "0" {
		t.Errorf("the follower's /metrics has no last success for hf: %q", v)
	}
}

// A lowered -refresh (and -arxiv-refresh) applies at once after a
// restart: the next fetch is one new interval after the last success,
// not where the old interval had put it.
func TestLoweredRefreshAppliesAfterRestart(t *testing.T) {
	site, err := standin.NewSite(testdata, standin.SiteOptions{})
	if err != nil {
		t.Fatal(err)
	}
	site.Arxiv.SetMaxAge(30) // shorter than either interval: the interval decides
	up := newUpstream(t, site)
	open := stateDir(t, t.TempDir())
	withArxiv := func(refresh, arxivRefresh time.Duration) func(*Config) {
		return func(c *Config) {
			c.ArxivRSSURL, c.ArxivAPIURL, c.ArxivCategories = up, up+"/api/query", []string{"cs.AI", "cs.CL", "cs.CV", "cs.LG"}
			c.Refresh, c.ArxivRefresh = refresh, arxivRefresh
		}
	}
	a := testAppWith(t, up, nil, withArxiv(15*time.Minute, time.Hour), open())
	if _, err := a.refresh.RefreshSource(context.Background(), feed.SourceHF); err != nil {
		t.Fatal(err)
	}
	if _, err := a.refresh.RefreshSource(context.Background(), feed.SourceArxiv); err != nil {
		t.Fatal(err)
	}
	last := a.refresh.States()
	if err := a.refresh.Close(); err != nil {
		t.Fatal(err)
	}

	b := testAppWith(t, up, nil, withArxiv(time.Minute, time.Minute), open())
	if _, err := b.refresh.Restore(); err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	b.refresh.Start(ctx)
	f := &fixture{app: b, srv: newServer(t, b)}
	var states []refresh.SourceState
	waitFor(t, "the pollers to schedule", func() bool {
		states = sourceStates(t, f)
		return !states[0].NextFetch.IsZero() && !states[1].NextFetch.IsZero()
	})
	for i, st := range states[:2] {
		if late := st.NextFetch.Sub(last[i].LastSuccess); late > time.Minute+time.Second {
			t.Errorf("%s: next fetch %s after the last success with an interval of 1m", st.Source, late.Round(time.Second))
		}
	}
}

// Linked-artifact look-ups that all answer 404 (a mirror without the
// per-paper API, a moved endpoint) are a failed run: /status says so
// with the counts, /metrics counts the 404s, the log has a line, and no
// paper is marked as checked with nothing linked.
func TestArtifactLookupsAll404AreAFailure(t *testing.T) {
	hf := replayHF(t)
	hf.SetFault("/api/papers/", standin.Fault{Status: 404})
	logs := &syncBuffer{}
	a := testAppLogging(t, newUpstream(t, hf), nil, nil, nil, logs)
	f := &fixture{app: a, hf: hf, srv: newServer(t, a)}
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	a.refresh.Start(ctx)
	var art refresh.SourceState
	waitFor(t, "the artifacts run to end", func() bool {
		art = sourceStates(t, f)[2]
		return art.LastRun != nil && art.LastRun.Checked > 0
	})
	if !strings.Contains(art.LastError, "404") || art.LastRun.NotFound == 0 || art.LastRun.NotFound != art.LastRun.Checked ||
		art.Failures != 1 || art.Items != 0 {
		t.Errorf("hf_artifacts in /status after every look-up answered 404: %+v (last run %+v)", art, *art.LastRun)
	}
	_, m := f.get(t, "/metrics")
	series := `paperfeed_upstream_fetches_total{outcome="http_404",source="hf_artifacts"}`
	if got := metricValue(string(m), series); got != fmt.Sprint(art.LastRun.NotFound) {
		t.Errorf("%s is %q, want %d", series, got, art.LastRun.NotFound)
	}
	// A line naming the source and the 404 (not an access line whose
	// byte count holds "404").
	waitFor(t, "a log line naming the source and the 404", func() bool {
		for line := range strings.Lines(logs.String()) {
			if strings.Contains(line, "source=hf_artifacts") && strings.Contains(line, "404") {
				return true
			}
		}
		return false
	})
	for _, p := range a.Store.View().Papers {
		if p.Artifacts.Known() {
			t.Fatalf("paper %s marked as counted after a 404", p.ID)
		}
	}
}
