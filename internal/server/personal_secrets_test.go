package server

import (
	"log/slog"
	"net/http"
	"net/url"
	"paperfeed/feed"
	"strings"
	"testing"
)

// A personal feed's token and its vote signatures are its keys: no log
// line carries them, at -log-level info or warn (a 503 while the data
// loads), whatever the spelling of the path.
func TestPersonalSecretsStayOutOfLogs(t *testing.T) {
	for _, level := range []slog.Level{slog.LevelInfo, slog.LevelWarn} {
		var logs syncBuffer
		hf := replayHF(t)
		a := testAppLogging(t, newUpstream(t, hf), nil, func(c *Config) { c.LogLevel = level }, nil, &logs)
		base := newServer(t, a).URL
		token := create(t, base, url.Values{"name": {"Secret"}, "filter": {"q=agents"}})
		// Before the data is loaded the feed answers 503: logged at warn.
		if resp, _ := roundTrip(t, "GET", base+"/f/"+token+".rss"); resp.StatusCode != http.StatusServiceUnavailable {
			t.Fatalf("a personal feed before the first load: %d", resp.StatusCode)
		}
		if _, err := a.refresh.RefreshSource(t.Context(), feed.SourceHF); err != nil {
			t.Fatal(err)
		}
		items, h := personalItems(t, base, token)
		if h.Get("Referrer-Policy") != "no-referrer" || h.Get("X-Robots-Tag") == "" {
			t.Errorf("a personal feed served with Referrer-Policy %q, X-Robots-Tag %q", h.Get("Referrer-Policy"), h.Get("X-Robots-Tag"))
		}
		link, _ := url.Parse(items[0].Ext.Votes.More)
		sig := link.Query().Get("sig")
		for _, p := range []string{"/f/" + token + ".atom", "/f/" + token, "/f/" + token + "/export", link.RequestURI(),
			"/f/" + strings.ToUpper(token) + ".rss", "/x/../f/" + token + ".json", "/f/" + token + "/nothing/here",
			"/f/" + token + "x.rss", "/f/" + token + "2", link.Path + "?" + strings.Replace(link.RawQuery, "sig=", "%73ig=", 1),
			"/mail/confirm/" + token, "/mail/unsubscribe/" + token + "?x=1"} {
			roundTrip(t, "GET", base+p)
		}
		post(t, base, "/f/"+token+"/vote", link.Query(), nil)
		a.Close()
		out := logs.String()
		if !strings.Contains(out, "msg=request") {
			t.Fatalf("level %v: no access line logged:\n%s", level, out)
		}
		for _, secret := range []string{token, strings.ToUpper(token), sig} {
			if strings.Contains(out, secret) {
				t.Errorf("level %v: the log holds %q:\n%s", level, secret, out)
			}
		}
		if level == slog.LevelInfo && !strings.Contains(out, "/f/….rss") {
			t.Errorf("the masked path is not logged as /f/….rss:\n%s", out)
		}
	}
}

// logPath and logQuery keep what an operator needs (route, format,
// paper, direction) and drop the keys.
func TestLogPathMasks(t *testing.T) {
	tok := "abcdefghijklmnopqrstuvwxyz"
	for in, want := range map[string]string{
		"/f/" + tok + ".rss":                     "/f/….rss",
		"/f/" + tok:                              "/f/…",
		"/f/" + tok + "/vote":                    "/f/…/vote",
		"/F/" + strings.ToUpper(tok) + "/export": "/F/…/export",
		"/f/" + tok + "x.rss":                    "/f/….rss",
		"/f/" + tok + "2":                        "/f/…",
		"/f/" + tok[:25] + ".json":               "/f/….json",
		"/f/" + tok + ".rss.gz":                  "/f/…",
		"/f/short.rss":                           "/f/….rss",
		"/mail/confirm/" + tok:                   "/mail/confirm/…",
		"/MAIL/unsubscribe/" + tok + "/x":        "/MAIL/unsubscribe/…/x",
		"/x/../f/" + tok:                         "/x/../f/…",
		"/papers/2501.01234.bib":                 "/papers/2501.01234.bib",
		"/feed.rss":                              "/feed.rss",
	} {
		if got := logPath(in); got != want {
			t.Errorf("logPath(%q) = %q, want %q", in, got, want)
		}
	}
	for in, want := range map[string]string{
		"id=2501.01234&dir=more&sig=AAAAAAAAAAAAAAAAAAAAAA&SIG=x": "id=2501.01234&dir=more&sig=…&SIG=…",
		"%73ig=secret&%53IG=secret2":                              "sig=…&SIG=…",
		"sig%20=secret":                                           "sig+=…",
		"q=agents&t=" + tok:                                       "q=agents&t=…",
		"q=" + tok[:10] + "%" + "4" + "1" + tok[:15]:              "q=…",
		"q=model+OR+models&min_upvotes=5":                         "q=model+OR+models&min_upvotes=5",
		"q=%zz" + tok:                                             "q=%…",
	} {
		if got := logQuery(in); got != want {
			t.Errorf("logQuery(%q) = %q, want %q", in, got, want)
		}
	}
}
