package server

import (
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/chromedp/chromedp"

	"paperfeed/internal/refresh"
	"paperfeed/internal/standin"
	"paperfeed/internal/testkit"
)

// During a Hugging Face outage the builder page says what /status says:
// how old its data is, the error with the upstream URL's credentials
// masked, the next attempt; on a phone and a desktop, without scrolling
// sideways. A filter of arXiv alone, whose source is fine, says nothing.
func TestPageShowsAnOutage(t *testing.T) {
	var mu sync.Mutex
	now := time.Date(2026, 8, 21, 10, 0, 0, 0, time.UTC)
	clock := func() time.Time { mu.Lock(); defer mu.Unlock(); return now }
	site, err := standin.NewSite(testdata, standin.SiteOptions{})
	if err != nil {
		t.Fatal(err)
	}
	up := newUpstream(t, site)
	a := testApp(t, up, clock, func(c *Config) {
		c.HFURL = strings.Replace(up, "http://", "http://reader:s3cret-pass@", 1)
		c.ArxivCategories = []string{"cs.AI", "cs.CL", "cs.CV", "cs.LG"}
		c.ArxivRSSURL, c.ArxivAPIURL = up, up+"/api/query"
	})
	srv := httptest.NewServer(a.routes())
	t.Cleanup(srv.Close)
	f := &siteFixture{fixture: &fixture{app: a, hf: site.HF, srv: srv}, site: site}
	if err := f.refresh(t); err != nil {
		t.Fatal(err)
	}
	f.arxivRefresh(t)
	_, page := f.get(t, "/")
	if strings.Contains(string(page), `class="outage"`) {
		t.Fatal("an outage line before any failure")
	}
	mu.Lock()
	now = now.Add(3*time.Hour + 5*time.Minute)
	mu.Unlock()
	site.HF.SetFault("/papers", standin.Fault{Status: 503})
	site.HF.SetFault("/api/daily_papers", standin.Fault{Status: 503})
	if err := f.refresh(t); err == nil {
		t.Fatal("the refresh did not fail")
	}
	_, page = f.get(t, "/?q=agents")
	line := between(string(page), `<p class="outage" role="status">`, "</p>")
	for _, want := range []string{"Hugging Face could not be fetched at 13:05 UTC", "503", "…@127.0.0.1",
		"The papers shown are from Hugging Face, fetched Fri 21 Aug 10:00 UTC, 3 h 5 min ago", "/status"} {
		if !strings.Contains(line, want) {
			t.Errorf("the outage line %q lacks %q", line, want)
		}
	}
	if strings.Contains(string(page), "s3cret") || strings.Contains(string(page), "reader:") {
		t.Error("the page shows the upstream URL's credentials")
	}
	if !strings.Contains(string(page), `id="count"`) {
		t.Error("the preview of the data held is gone during the outage")
	}
	if _, arxiv := f.get(t, "/?source=arxiv"); strings.Contains(string(arxiv), `class="outage"`) {
		t.Error("an arXiv filter shows Hugging Face's outage")
	}
	for _, c := range []struct {
		name   string
		w, h   int64
		mobile bool
	}{{"phone", 390, 844, true}, {"desktop", 1280, 900, false}} {
		t.Run(c.name, func(t *testing.T) {
			ctx := testkit.Browser(t, true)
			testkit.SetViewport(ctx, t, c.w, c.h, c.mobile)
			if err := chromedp.Do(ctx, chromedp.Navigate(srv.URL+"/"), chromedp.WaitVisible(chromedp.CSS("#f-q")),
				chromedp.SendKeys(chromedp.CSS("#f-q"), "agents")); err != nil {
				t.Fatal(err)
			}
			testkit.WaitText(ctx, t, "#result .outage", "3 h 5 min ago")
			if w := testkit.Eval[float64](ctx, t, `document.querySelector("#result .outage").getBoundingClientRect().width`); w <= 0 {
				t.Error("the outage line is not shown")
			}
			if overflow := testkit.Eval[int](ctx, t, `Math.max(document.documentElement.scrollWidth, window.innerWidth) - window.innerWidth`); overflow > 0 {
				t.Errorf("the page is %d px wider than the screen", overflow)
			}
		})
	}
}

// between is the text of s after the first start, up to end.
func between(s, start, end string) string {
	_, after, ok := strings.Cut(s, start)
	if !ok {
		return ""
	}
	before, _, _ := strings.Cut(after, end)
	return before
}

// The line's parts: failures in a row, the next attempt, every URL of
// the error masked, the age in words.
func TestOutageLine(t *testing.T) {
	at := time.Date(2026, 8, 21, 13, 5, 0, 0, time.UTC)
	st := refresh.SourceState{Source: "hf", LastSuccess: at.Add(-50 * time.Hour), LastErrorAt: at, Failures: 4, NextFetch: at.Add(10 * time.Minute),
		LastError: "GET https://u:p@hf.example/papers/x: HTTP 503 (and the API: GET https://u:p@hf.example/api?date=1: timeout)"}
	got := outageLine(st, at.Add(time.Minute))
	want := "Hugging Face could not be fetched at 13:05 UTC (4 failures in a row): GET https://…@hf.example/papers/x: HTTP 503 (and the API: GET " +
		"https://…@hf.example/api?date=1: timeout). The papers shown are from Hugging Face, fetched Wed 19 Aug 11:05 UTC, 2 days 2 h ago; " +
		"the next attempt is at 13:15 UTC."
	if got != want {
		t.Errorf("got  %q\nwant %q", got, want)
	}
	for d, want := range map[time.Duration]string{40 * time.Second: "40 s", 12 * time.Minute: "12 min", 3 * time.Hour: "3 h", 72 * time.Hour: "3 days"} {
		if got := age(d); got != want {
			t.Errorf("age(%s) = %q, want %q", d, got, want)
		}
	}
	if lines := outageLines("arxiv", []refresh.SourceState{st}, at); len(lines) != 0 {
		t.Errorf("an arXiv filter: %v", lines)
	}
	st.LastSuccess = at.Add(time.Second) // it worked again since
	if lines := outageLines("all", []refresh.SourceState{st}, at); len(lines) != 0 {
		t.Errorf("after a success: %v", lines)
	}
}
