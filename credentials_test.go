package main

import (
	"strings"
	"testing"

	"paperfeed/internal/standin"
)

// Credentials in an upstream URL (-hf-url https://user:pass@host) are
// used, and shown nowhere: not in the logs, /status, /metrics or an
// error a reader sees, however the upstream fails.
func TestUpstreamCredentialsAreNeverShown(t *testing.T) {
	site, err := standin.NewSite("testdata", standin.SiteOptions{})
	if err != nil {
		t.Fatal(err)
	}
	up := newUpstream(t, site)
	const secret = "s3cr3t-pw"
	withCreds := strings.Replace(up, "http://", "http://mirror-user:"+secret+"@", 1)
	vars := siteEnv(withCreds, t.TempDir())
	vars["PAPERFEED_LOG_LEVEL"] = "debug"
	vars["PAPERFEED_STARTUP_WAIT"] = "100ms"
	vars["PAPERFEED_ARXIV_RSS_URL"], vars["PAPERFEED_ARXIV_API_URL"] = withCreds, withCreds+"/api/query"
	site.HF.SetFault("/papers", standin.Fault{Status: 503})
	site.HF.SetFault("/api/", standin.Fault{Status: 500})
	site.Arxiv.SetFault("/", standin.Fault{Status: 429, RetryAfter: "60"})
	s := runService(t, vars)
	waitFor(t, "the failed fetches to show", func() bool {
		st := s.status(t)
		return st.Sources[0].LastError != "" && st.Sources[1].LastError != ""
	})
	var shown []string
	for _, p := range []string{"/status", "/metrics", "/feed.rss", "/feed.rss?date=2025-03-03", "/feed.rss?like=2604.26951", "/"} {
		_, _, body := s.get(t, p)
		shown = append(shown, p+": "+body)
	}
	s.stop()
	shown = append(shown, "logs: "+s.logs.String())
	for _, text := range shown {
		if strings.Contains(text, secret) {
			i := strings.Index(text, secret)
			t.Errorf("the password shows in %.40s…: …%s…", text, text[max(0, i-80):min(len(text), i+40)])
		}
	}
	if !strings.Contains(s.logs.String(), "…@127.0.0.1") {
		t.Errorf("the logs do not name the upstream without its credentials:\n%.2000s", s.logs.String())
	}
}
