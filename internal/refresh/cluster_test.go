package refresh_test

import (
	"context"
	"errors"
	"log/slog"
	"net/http/httptest"
	"path/filepath"
	"sync/atomic"
	"testing"
	"time"

	"paperfeed/feed"
	"paperfeed/internal/refresh"
	"paperfeed/internal/source"
	"paperfeed/internal/standin"
	"paperfeed/internal/state"
	"paperfeed/scrape"
)

// downCluster is a shared store that cannot be reached.
type downCluster struct {
	*state.Memory
	campaigns atomic.Int64
}

var errDown = errors.New("dial tcp: connection refused")

func (d *downCluster) Campaign(context.Context) (bool, error) {
	d.campaigns.Add(1)
	return false, errDown
}
func (d *downCluster) Resign(context.Context) error                               { return nil }
func (d *downCluster) Version(context.Context) (int64, error)                     { return 0, errDown }
func (d *downCluster) Updates(ctx context.Context) <-chan struct{}                { return make(chan struct{}) }
func (d *downCluster) Ask(context.Context, string) error                          { return errDown }
func (d *downCluster) NextRequest(context.Context, time.Duration) (string, error) { return "", errDown }

// With the shared store unreachable a replica fetches nothing, unless
// fallback=local: then after a lease's time it refreshes by itself.
func TestFallbackLocalRefreshesWithoutTheStore(t *testing.T) {
	for _, fallback := range []bool{false, true} {
		hf, err := standin.NewHF(filepath.Join("..", "..", "testdata"), standin.DefaultDays())
		if err != nil {
			t.Fatal(err)
		}
		srv := httptest.NewServer(hf)
		defer srv.Close()
		store := feed.NewStore(7, 7, nil)
		client := &scrape.HFClient{Base: srv.URL, Fetcher: &scrape.Fetcher{UserAgent: "test"}}
		cfg := refresh.Config{Refresh: time.Minute, RefreshPast: time.Hour, Days: 7, ArxivDays: 7, Timeout: time.Second,
			Lease: 300 * time.Millisecond, FallbackLocal: fallback}
		up := refresh.Upstreams{HF: client, Arxiv: &scrape.ArxivClient{Fetcher: &scrape.Fetcher{}}}
		s := refresh.New(cfg, store, &downCluster{Memory: state.NewMemory()}, up, source.Registered(cfg, up), nil,
			slog.New(slog.DiscardHandler), time.Now, nil)
		ctx, cancel := context.WithCancel(context.Background())
		s.Start(ctx)
		time.Sleep(time.Second)
		cancel()
		st, _ := s.Cluster()
		switch {
		case !fallback && (hf.Total() != 0 || st.Role != "follower"):
			t.Errorf("fallback none: %d upstream requests, role %s", hf.Total(), st.Role)
		case fallback && (hf.Total() == 0 || st.Role != "local" || len(store.View().Papers) == 0):
			t.Errorf("fallback local: %d upstream requests, role %s, %d papers", hf.Total(), st.Role, len(store.View().Papers))
		}
		if st.LastError == "" {
			t.Error("the cluster state does not show the store down")
		}
	}
}

// unreadable is a shared store whose state cannot be read.
type unreadable struct{ *downCluster }

func (unreadable) Load(func(string) bool) (*state.Snapshot, error) { return nil, errDown }

// A replica that could not read the shared state at start says so in
// its cluster state at once, before its first campaign.
func TestUnreadableSharedStateIsShownAtOnce(t *testing.T) {
	cfg := refresh.Config{Refresh: time.Minute, RefreshPast: time.Hour, Days: 7, ArxivDays: 7, Timeout: time.Second}
	up := refresh.Upstreams{HF: &scrape.HFClient{Fetcher: &scrape.Fetcher{}}, Arxiv: &scrape.ArxivClient{Fetcher: &scrape.Fetcher{}}}
	s := refresh.New(cfg, feed.NewStore(7, 7, nil), unreadable{&downCluster{Memory: state.NewMemory()}}, up, source.Registered(cfg, up), nil,
		slog.New(slog.DiscardHandler), time.Now, nil)
	if _, err := s.Restore(); err != nil {
		t.Fatal(err)
	}
	if st, shared := s.Cluster(); !shared || st.LastError == "" || st.ErrorAt.IsZero() {
		t.Errorf("cluster state after an unreadable start: %+v", st)
	}
}
