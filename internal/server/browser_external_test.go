package server

import (
	"net/url"
	"strings"
	"testing"

	"github.com/chromedp/chromedp"

	"paperfeed/internal/testkit"
)

// With -thumbnails=off nothing the builder page, its preview or a paper's
// page loads leaves the host (every request is watched in headless
// Chromium, and any that would leave is blocked), the page says so, and
// the feeds carry no image; at 390 and 1280 px. With thumbnails on, the
// same watch sees the requests to Hugging Face's servers (so it can see
// them) and the page says where they go.
func TestBrowserLoadsNothingExternalWithThumbnailsOff(t *testing.T) {
	for _, c := range []struct {
		name, thumbs string
		w, h         int64
		mobile       bool
	}{
		{"off/phone", "off", 390, 844, true},
		{"off/desktop", "off", 1280, 900, false},
		{"on/desktop", "on", 1280, 900, false},
	} {
		t.Run(c.name, func(t *testing.T) {
			s := loadedServer(t, map[string]string{"PAPERFEED_BASE_URL": "", "PAPERFEED_THUMBNAILS": c.thumbs})
			host := strings.TrimPrefix(s.URL, "http://")
			ctx := testkit.Browser(t, true)
			testkit.SetViewport(ctx, t, c.w, c.h, c.mobile)
			seen := testkit.Requests(ctx, t)
			if err := chromedp.Do(ctx,
				chromedp.Navigate(s.URL+"/"),
				chromedp.WaitVisible(chromedp.CSS("#f-q")),
				chromedp.SendKeys(chromedp.CSS("#f-q"), "agents"),
			); err != nil {
				t.Fatal(err)
			}
			testkit.WaitText(ctx, t, "#count", "15 papers")
			said := testkit.Eval[string](ctx, t, `document.querySelector("#external").textContent`)
			first := testkit.Eval[string](ctx, t, `document.querySelector("ol.papers li.paper h3 a").href`)
			id := first[strings.LastIndexByte(first, '/')+1:]
			if err := chromedp.Do(ctx, chromedp.Navigate(s.URL+"/papers/"+id), chromedp.WaitVisible(chromedp.CSS("#cite"))); err != nil {
				t.Fatal(err)
			}
			var external []string
			for _, r := range seen() {
				if u, err := url.Parse(r); err == nil && u.Host != host && u.Scheme != "data" {
					external = append(external, r)
				}
			}
			_, _, rss := s.get(t, "/feed.rss")
			_, _, js := s.get(t, "/feed.json")
			if c.thumbs == "off" {
				if len(external) > 0 {
					t.Errorf("requests left the host: %v", external)
				}
				if !strings.Contains(said, "Nothing on this page or in its feeds loads from another site") {
					t.Errorf("the page says %q", said)
				}
				if strings.Contains(rss, "&lt;img") || strings.Contains(js, `"image"`) || strings.Contains(rss, "social-thumbnails") {
					t.Error("a feed still carries thumbnails")
				}
				for _, path := range []string{"/", "/papers/" + id} {
					if _, h, _ := s.get(t, path); !strings.Contains(h.Get("Content-Security-Policy"), "img-src 'self';") {
						t.Errorf("%s: the page's policy allows images from elsewhere: %s", path, h.Get("Content-Security-Policy"))
					}
				}
				return
			}
			if len(external) == 0 || !strings.Contains(strings.Join(external, " "), "cdn-thumbnails.huggingface.co") {
				t.Errorf("with thumbnails on, no request to Hugging Face's image servers seen: %v", external)
			}
			if !strings.Contains(said, "Paper thumbnails load from Hugging Face's servers") {
				t.Errorf("the page says %q", said)
			}
		})
	}
}
