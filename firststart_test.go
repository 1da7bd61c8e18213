package main

import (
	"strconv"
	"strings"
	"testing"
	"time"

	"paperfeed/internal/standin"
)

// With no upstream reachable, a reader waits only while a first fetch
// is running: once it failed, the answer is at once a 503 whose body
// gives the cause and the next attempt, with a Retry-After until then;
// the builder page says the same; /status keeps each view's own error.
func TestFirstStartThatCannotFetchExplainsItself(t *testing.T) {
	vars := siteEnv("http://127.0.0.1:1", t.TempDir()) // nothing listens there
	vars["PAPERFEED_ARXIV_CATEGORIES"] = ""
	s := runService(t, vars)
	waitFor(t, "the first fetch to fail", func() bool { return s.status(t).Sources[0].LastError != "" })
	for _, p := range []string{"/feed.rss", "/feed.json?q=agents", "/topics/agents.atom"} {
		start := time.Now()
		code, h, body := s.get(t, p)
		took := time.Since(start)
		ra, _ := strconv.Atoi(h.Get("Retry-After"))
		if code != 503 || ra < 1 || took > 2*time.Second {
			t.Errorf("%s: %d, Retry-After %q, after %s", p, code, h.Get("Retry-After"), took.Round(time.Millisecond))
		}
		for _, want := range []string{"no data loaded yet from Hugging Face", "failed at", "connection refused", "the next attempt is at", "/status"} {
			if !strings.Contains(body, want) {
				t.Errorf("%s: the answer lacks %q: %s", p, want, body)
			}
		}
	}
	_, _, page := s.get(t, "/?q=agents")
	for _, want := range []string{"failed at", "connection refused", "the next attempt is at"} {
		if !strings.Contains(page, want) {
			t.Errorf("the builder page lacks %q", want)
		}
	}
	if strings.Contains(page, "still running") {
		t.Error("the builder page says the fetch is still running")
	}
}

// An operator sees success: one info line when each source first loads,
// naming what it holds and where it came from.
func TestSourcesSayWhenTheyLoad(t *testing.T) {
	site, err := standin.NewSite("testdata", standin.SiteOptions{})
	if err != nil {
		t.Fatal(err)
	}
	vars := siteEnv(newUpstream(t, site), t.TempDir())
	vars["PAPERFEED_LOG_LEVEL"] = "info"
	s := runService(t, vars)
	s.settled(t)
	logs := s.logs.String()
	for _, want := range []string{`msg="Hugging Face loaded" days=7 papers=`, "from=page+api", `msg="arXiv loaded" days=1 papers=`} {
		if !strings.Contains(logs, want) {
			t.Errorf("the log lacks %q:\n%s", want, logs)
		}
	}
	if n := strings.Count(logs, `msg="Hugging Face loaded"`); n != 1 {
		t.Errorf("%d lines say Hugging Face loaded", n)
	}
}
