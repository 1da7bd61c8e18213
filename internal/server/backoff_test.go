package server

import (
	"fmt"
	"strconv"
	"testing"
	"time"

	"paperfeed/internal/standin"
)

// Every path to an upstream honours its request to slow down, not only
// the pollers: under arXiv's 429 with Retry-After 3600, like= look-ups
// of twelve different unknown seeds make one API request between them;
// under Hugging Face's 429, eight past days make one request per view.
// Readers get a 503 with a Retry-After (capped for clients), at once.
func TestOnDemandFetchesHonourRetryAfter(t *testing.T) {
	site, err := standin.NewSite(testdata, standin.SiteOptions{})
	if err != nil {
		t.Fatal(err)
	}
	up := newUpstream(t, site)
	a := testApp(t, up, nil, func(c *Config) { c.ArxivAPIURL = up + "/api/query" })
	f := (&fixture{app: a, hf: site.HF, srv: newServer(t, a)}).loaded(t)

	site.Arxiv.SetFault("/api/query", standin.Fault{Status: 429, RetryAfter: "3600"})
	api := func() int { return site.Arxiv.Hits()["/api/query"] }
	before := api()
	for i := range 12 {
		resp, body := f.get(t, fmt.Sprintf("/feed.rss?like=2604.%05d", 26900+i))
		ra, _ := strconv.Atoi(resp.Header.Get("Retry-After"))
		if resp.StatusCode != 503 || ra < 60 {
			t.Errorf("like= %d under arXiv's 429: %d, Retry-After %q: %s", i, resp.StatusCode, resp.Header.Get("Retry-After"), body)
		}
	}
	if n := api() - before; n != 1 {
		t.Errorf("12 like= look-ups under a 429 made %d arXiv API requests, want 1", n)
	}

	site.HF.SetFault("/papers/date/", standin.Fault{Status: 429, RetryAfter: "600"})
	site.HF.SetFault("/api/daily_papers?date=", standin.Fault{Status: 429, RetryAfter: "600"})
	hits := func() int {
		n := 0
		for _, c := range site.HF.Hits() {
			n += c
		}
		return n
	}
	before = hits()
	start := time.Now()
	for i := range 8 {
		d := time.Date(2025, 3, 3+i, 0, 0, 0, 0, time.UTC).Format(time.DateOnly)
		if resp, body := f.get(t, "/feed.rss?date="+d); resp.StatusCode != 503 || resp.Header.Get("Retry-After") == "" {
			t.Errorf("date=%s under HF's 429: %d %s", d, resp.StatusCode, body)
		}
	}
	if n := hits() - before; n > 2 {
		t.Errorf("8 past days under a 429 made %d Hugging Face requests, want at most 2 (a page and the API)", n)
	}
	if took := time.Since(start); took > 5*time.Second {
		t.Errorf("the answers took %s: a held request should be refused at once", took)
	}
}
