package server

import (
	"context"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"sync"
	"testing"

	"paperfeed/feed"
	"paperfeed/internal/recorded"
	"paperfeed/internal/standin"
	"paperfeed/scrape"
)

// apiOnlyKeyword finds, in the newest replayed day, a paper with an AI
// keyword none of whose words is in its title or abstract: only the API
// view can make q find it.
func apiOnlyKeyword(t *testing.T) (id, keyword string) {
	t.Helper()
	d := standin.DefaultDays()[0]
	ps, err := recorded.File(testdata, d.File)
	if err != nil {
		t.Fatal(err)
	}
	for _, p := range ps {
		text := strings.ToLower(p.Title + " " + p.Abstract)
		for _, k := range p.AIKeywords {
			for _, w := range strings.Fields(strings.ToLower(k)) {
				if len(w) >= 4 && !strings.Contains(text, w) && strings.Trim(w, "abcdefghijklmnopqrstuvwxyz") == "" {
					return p.ID, k // a whole phrase with a word the text lacks
				}
			}
		}
	}
	t.Fatal("no paper has a keyword absent from its text")
	return "", ""
}

// Page and API merged: the AI summary and keywords come from the API, q
// finds a keyword only the API had, and counts come from the API, the
// fresher view.
func TestTwoViewsMerge(t *testing.T) {
	id, kw := apiOnlyKeyword(t)
	q := "/feed.json?limit=500&q=" + url.QueryEscape(`"`+kw+`"`)
	for _, api := range []bool{false, true} {
		f := newFixture(t, func(c *Config) { c.HFAPI = api })
		f.hf.SetAPIUpvotes("2608.19880", 200) // the page says 163
		f.loaded(t)
		got := f.items(t, q)
		if _, ok := got[id]; ok != api {
			t.Errorf("api=%v: q=%q finds %s: %v", api, kw, id, ok)
		}
		p := f.items(t, "/feed.json?limit=500")["2608.19880"]
		if api && (p.Ext.AISummary == "" || len(p.Ext.AIKeywords) == 0 || p.Ext.Upvotes != 200) {
			t.Errorf("with the API: summary %q, keywords %v, upvotes %d (want the API's 200)", p.Ext.AISummary, p.Ext.AIKeywords, p.Ext.Upvotes)
		}
		if !api && (p.Ext.AISummary != "" || p.Ext.Upvotes != 163) {
			t.Errorf("pages only: summary %q, upvotes %d (want the page's 163)", p.Ext.AISummary, p.Ext.Upvotes)
		}
	}
}

// Every period fetched costs one page and one API request, no more.
func TestTwoViewsOneRequestEachPerPeriod(t *testing.T) {
	f := newFixture(t, nil).loaded(t)
	hits := f.hf.Hits()
	if hits["/papers"] != 1 || f.hf.PageTotal() != 7 || f.hf.APITotal() != 7 {
		t.Errorf("first refresh (7 days): %d pages, %d API calls, want 7 and 7: %v", f.hf.PageTotal(), f.hf.APITotal(), hits)
	}
	pages, apis := f.hf.PageTotal(), f.hf.APITotal()
	f.loaded(t)
	if f.hf.PageTotal()-pages != 1 || f.hf.APITotal()-apis != 1 {
		t.Errorf("a refresh of the newest day: %d pages, %d API calls, want 1 and 1", f.hf.PageTotal()-pages, f.hf.APITotal()-apis)
	}
	for _, p := range []string{"/feed.rss?date=2026-08-12", "/feed.rss?week=2026-W33", "/feed.rss?month=2026-08"} {
		pages, apis := f.hf.PageTotal(), f.hf.APITotal()
		for range 3 {
			if resp, body := f.get(t, p); resp.StatusCode != 200 {
				t.Fatalf("%s: %d %s", p, resp.StatusCode, body)
			}
		}
		if f.hf.PageTotal()-pages != 1 || f.hf.APITotal()-apis != 1 {
			t.Errorf("%s asked 3 times: %d pages, %d API calls, want 1 and 1", p, f.hf.PageTotal()-pages, f.hf.APITotal()-apis)
		}
	}
}

// When the page fails (a changed layout, a 5xx, a cut body), the API
// serves the period with every paper of the day, and the feed keeps
// updating; /status and /metrics say which view served and why.
func TestPageFaultsServedByTheAPI(t *testing.T) {
	for _, c := range []struct {
		name  string
		fault standin.Fault
		want  string // in the page error
	}{
		{"changed layout", standin.Fault{Layout: true}, "layout changed"},
		{"http 500", standin.Fault{Status: 500}, "HTTP 500"},
		{"cut body", standin.Fault{Truncate: true}, "unexpected EOF"},
	} {
		t.Run(c.name, func(t *testing.T) {
			var logs syncBuffer
			hf := replayHF(t)
			a := testAppLogging(t, newUpstream(t, hf), nil, func(c *Config) { c.LogLevel = -4 }, nil, &logs)
			srv := newServer(t, a)
			f := &fixture{app: a, hf: hf, srv: srv}
			f.hf.SetFault("/papers", c.fault)
			f.loaded(t)
			items := f.items(t, "/feed.json?limit=500")
			want := 0
			for _, d := range standin.DefaultDays()[:7] {
				want += hf.Items(d.Date)
			}
			if len(items) != want {
				t.Errorf("%d papers from the API, want every paper of the 7 days: %d", len(items), want)
			}
			st := f.status(t)
			if len(st.Views) == 0 || st.Views[0].Served != scrape.ViewAPI || !strings.Contains(st.Views[0].PageError, c.want) {
				t.Errorf("/status views: %+v", st.Views)
			}
			_, metrics := f.get(t, "/metrics")
			if !strings.Contains(string(metrics), `paperfeed_hf_listings_total{view="api"}`) {
				t.Error("/metrics does not count the API-served listings")
			}
			if c.fault.Layout && !strings.Contains(logs.String(), "level=ERROR") {
				t.Errorf("a changed layout is not a loud log line:\n%s", logs.String())
			}
			// Still updating: the API's count moves, the feed follows.
			f.hf.SetUpvotes("2608.19880", 500)
			f.loaded(t)
			if p := f.items(t, "/feed.json?limit=500")["2608.19880"]; p.Ext.Upvotes != 500 {
				t.Errorf("the feed did not follow the API: %d upvotes", p.Ext.Upvotes)
			}
		})
	}
}

// When the API fails, the page serves alone, as before it existed.
func TestAPIFailureServesThePage(t *testing.T) {
	f := newFixture(t, nil)
	f.hf.SetFault("/api/", standin.Fault{Status: 500})
	f.loaded(t)
	items := f.items(t, "/feed.json?limit=500")
	p, ok := items["2608.19880"]
	if !ok || p.Ext.Upvotes != 163 || p.Ext.AISummary != "" {
		t.Errorf("page alone: %v %+v", ok, p.Ext)
	}
	st := f.status(t)
	if len(st.Views) == 0 || st.Views[0].Served != scrape.ViewPage || !strings.Contains(st.Views[0].APIError, "HTTP 500") || st.LastError != "" {
		t.Errorf("/status: %+v", st)
	}
}

// Both views failing: the last good data stays, unchanged.
func TestBothViewsFailingKeepLastGoodData(t *testing.T) {
	f := newFixture(t, nil).loaded(t)
	resp, before := f.get(t, "/feed.atom")
	f.hf.SetFault("/papers", standin.Fault{Status: 503})
	f.hf.SetFault("/api/", standin.Fault{Status: 500})
	if err := f.refresh(t); err == nil {
		t.Fatal("refresh with both views failing succeeded")
	}
	resp2, after := f.get(t, "/feed.atom")
	if resp2.StatusCode != 200 || string(after) != string(before) || resp2.Header.Get("ETag") != resp.Header.Get("ETag") {
		t.Error("the feed changed while both views failed")
	}
	if st := f.status(t); !strings.Contains(st.LastError, "HTTP 503") || !strings.Contains(st.LastError, "the API: ") ||
		st.Views[0].Served != "none" {
		t.Errorf("/status: %q %+v", st.LastError, st.Views)
	}
}

// The token goes to Hugging Face, on every request, and nowhere else:
// not to arXiv, not to another port a Hugging Face answer redirects to,
// not into logs or /status.
func TestTokenGoesToHuggingFaceOnly(t *testing.T) {
	const token = "hf_secretSECRET123"
	var mu sync.Mutex
	seen := map[string][]string{} // server -> Authorization values
	record := func(name string, h http.Handler) http.Handler {
		return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			mu.Lock()
			seen[name] = append(seen[name], r.Header.Get("Authorization"))
			mu.Unlock()
			h.ServeHTTP(w, r)
		})
	}
	site, err := standin.NewSite(testdata, standin.SiteOptions{})
	if err != nil {
		t.Fatal(err)
	}
	other := httptest.NewServer(record("other", site)) // arXiv, and where a redirect leads
	t.Cleanup(other.Close)
	hf := httptest.NewServer(record("hf", http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Path == "/papers/date/2026-08-13" { // same host name, another port
			http.Redirect(w, r, other.URL+r.URL.RequestURI(), http.StatusFound)
			return
		}
		site.HF.ServeHTTP(w, r)
	})))
	t.Cleanup(hf.Close)
	var logs syncBuffer
	a := testAppLogging(t, hf.URL, nil, func(c *Config) {
		c.HFToken, c.LogLevel = token, -4
		c.ArxivCategories = []string{"cs.AI", "cs.CL", "cs.CV", "cs.LG"}
		c.ArxivRSSURL, c.ArxivAPIURL = other.URL, other.URL+"/api/query"
	}, nil, &logs)
	if _, err := a.refresh.RefreshSource(context.Background(), feed.SourceHF); err != nil {
		t.Log(err) // the redirected day fails; the rest loads
	}
	if _, err := a.refresh.RefreshSource(context.Background(), feed.SourceArxiv); err != nil {
		t.Fatal(err)
	}
	if err := a.refresh.EnrichCategories(context.Background()); err != nil {
		t.Fatal(err)
	}
	mu.Lock()
	defer mu.Unlock()
	if len(seen["hf"]) < 14 {
		t.Fatalf("HF saw %d requests", len(seen["hf"]))
	}
	for _, v := range seen["hf"] {
		if v != "Bearer "+token {
			t.Errorf("an HF request carried %q", v)
		}
	}
	if len(seen["other"]) < 3 {
		t.Fatalf("the other host saw %d requests (arXiv feed, API, the redirect)", len(seen["other"]))
	}
	for _, v := range seen["other"] {
		if v != "" {
			t.Errorf("the other host received Authorization %q", v)
		}
	}
	w := httptest.NewRecorder()
	a.routes().ServeHTTP(w, httptest.NewRequest("GET", "/status", nil))
	if strings.Contains(w.Body.String(), token) || strings.Contains(logs.String(), token) {
		t.Error("the token shows in /status or the log")
	}
	if !strings.Contains(logs.String(), "level=DEBUG") {
		t.Error("the log was not captured: the check above proves nothing")
	}
}
