package server

import (
	"strings"
	"testing"

	"paperfeed/internal/upstream"
)

// Each view's own error in /status when both fail.
func TestStatusKeepsEachViewsError(t *testing.T) {
	site, err := upstream.NewSite(testdata, upstream.SiteOptions{})
	if err != nil {
		t.Fatal(err)
	}
	site.HF.SetFault("/papers", upstream.Fault{Status: 502})
	site.HF.SetFault("/api/", upstream.Fault{Status: 500})
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
