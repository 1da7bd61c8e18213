package server

import (
	"encoding/json"
	"strings"
	"testing"

	"paperfeed/feed"
	"paperfeed/internal/source/artifacts"
	"paperfeed/internal/standin"
)

// Each view's own error in /status when both fail.
func TestStatusKeepsEachViewsError(t *testing.T) {
	site, err := standin.NewSite(testdata, standin.SiteOptions{})
	if err != nil {
		t.Fatal(err)
	}
	site.HF.SetFault("/papers", standin.Fault{Status: 502})
	site.HF.SetFault("/api/", standin.Fault{Status: 500})
	f := newFixture(t, nil)
	f.app = testApp(t, newUpstream(t, site), nil, nil)
	f.srv = newServer(t, f.app)
	if err := f.refresh(t); err == nil {
		t.Fatal("no error with both views failing")
	}
	st := f.status(t)
	if len(st.Views) == 0 {
		t.Fatal("no view state")
	}
	v := st.Views[0]
	if !strings.Contains(v.PageError, "HTTP 502") || strings.Contains(v.PageError, "HTTP 500") ||
		!strings.Contains(v.APIError, "HTTP 500") || strings.Contains(v.APIError, "HTTP 502") {
		t.Errorf("views: page %q, API %q", v.PageError, v.APIError)
	}
}

// /status says "settled" only once every source's first load and the
// look-ups that follow it ended: not after Hugging Face alone, nor before
// the artifact counts ran.
func TestStatusSettledWaitsForEveryFirstRun(t *testing.T) {
	f := newSiteFixture(t, nil)
	ctx := t.Context()
	settled := func() bool {
		_, b := f.get(t, "/status")
		var d Status
		if err := json.Unmarshal(b, &d); err != nil {
			t.Fatal(err)
		}
		return d.Settled
	}
	steps := []struct {
		name string
		run  func() error
	}{
		{"Hugging Face", func() error { return f.refresh(t) }},
		{"arXiv", func() error { _, err := f.app.refresh.RefreshSource(ctx, feed.SourceArxiv); return err }},
		{"arXiv look-ups", func() error { return f.app.refresh.EnrichCategories(ctx) }},
	}
	for _, s := range steps {
		if settled() {
			t.Fatalf("settled before %s's first run", s.name)
		}
		if err := s.run(); err != nil {
			t.Fatal(err)
		}
	}
	if settled() {
		t.Fatal("settled before the artifact counts ran")
	}
	if _, err := f.app.refresh.RefreshSource(ctx, artifacts.Name); err != nil {
		t.Fatal(err)
	}
	if !settled() {
		t.Error("not settled after every first run")
	}
}
