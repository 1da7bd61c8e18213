package server

import (
	"encoding/json"
	"strings"
	"testing"

	"paperfeed/internal/testkit"

	"github.com/chromedp/cdproto/emulation"
	"github.com/chromedp/chromedp"
)

// With JavaScript: typing updates the feed URL, the preview and the
// address bar; the URL shown serves a feed with the expected papers.
func TestBrowserBuildsFeedLive(t *testing.T) {
	s := loadedServer(t, map[string]string{"PAPERFEED_BASE_URL": ""})
	ctx := testkit.Browser(t, true)
	if err := chromedp.Do(ctx,
		chromedp.Navigate(s.URL+"/"),
		chromedp.WaitVisible(chromedp.CSS("#f-q")),
		chromedp.SendKeys(chromedp.CSS("#f-q"), "agents"),
		chromedp.SendKeys(chromedp.CSS(`input[name="min_upvotes"]`), "5"),
	); err != nil {
		t.Fatal(err)
	}
	testkit.WaitText(ctx, t, "#count", "11 papers in this feed now")
	testkit.WaitText(ctx, t, "#feed-title", "Daily Papers: agents, 5+ upvotes")
	rssURL := testkit.Eval[string](ctx, t, `document.querySelector("#url-0").value`)
	search := testkit.Eval[string](ctx, t, `location.search`)
	if want := s.URL + "/feed.rss?min_upvotes=5&q=agents"; rssURL != want {
		t.Errorf("feed URL shown %q, want %q", rssURL, want)
	}
	if search != "?min_upvotes=5&q=agents" {
		t.Errorf("address bar shows %q, want the canonical filter", search)
	}
	// The autodiscovery links follow the filter.
	alternates := testkit.Eval[int](ctx, t, `document.querySelectorAll('link[rel=alternate][href*="q=agents"]').length`)
	if alternates != 3 {
		t.Errorf("%d autodiscovery links for the filter, want 3", alternates)
	}
	// Follow the URL: a feed with the same papers as the preview.
	_, _, body := s.get(t, strings.TrimPrefix(rssURL, s.URL))
	f := parseFeed(t, body)
	if len(f.Items) != 11 || f.Items[0].Title != "EnvHarness: Awakening Static Worlds for Agent Learning" {
		t.Errorf("followed feed: %d items, first %q", len(f.Items), f.Items[0].Title)
	}
	// An invalid value shows the API's message next to the field.
	if err := chromedp.Do(ctx, chromedp.SendKeys(chromedp.CSS(`input[name="limit"]`), "999")); err != nil {
		t.Fatal(err)
	}
	testkit.WaitText(ctx, t, "#error", "limit=999: must be between 1 and 500")
}

// Without JavaScript the GET form still works: submit, get the page for
// that filter with its preview and feed URLs.
func TestBrowserBuildsFeedWithoutJavaScript(t *testing.T) {
	s := loadedServer(t, map[string]string{"PAPERFEED_BASE_URL": ""})
	ctx := testkit.Browser(t, false)
	if err := chromedp.Do(ctx,
		chromedp.Navigate(s.URL+"/"),
		chromedp.WaitVisible(chromedp.CSS("#f-q")),
		chromedp.SendKeys(chromedp.CSS("#f-q"), "agents"),
		chromedp.SendKeys(chromedp.CSS(`input[name="min_upvotes"]`), "5"),
		chromedp.Click(chromedp.CSS(`button[type="submit"]`)),
		chromedp.WaitVisible(chromedp.CSS("#count")),
	); err != nil {
		t.Fatal(err)
	}
	testkit.WaitText(ctx, t, "#count", "11 papers in this feed now")
	rssURL := testkit.Eval[string](ctx, t, `document.querySelector("#url-0").value`)
	// Scripts really were off: the page's script never ran.
	if testkit.Eval[bool](ctx, t, `document.documentElement.classList.contains("js")`) {
		t.Error("JavaScript ran in the no-JavaScript test")
	}
	if want := s.URL + "/feed.rss?min_upvotes=5&q=agents"; rssURL != want {
		t.Errorf("feed URL %q, want %q", rssURL, want)
	}
	_, _, body := s.get(t, strings.TrimPrefix(rssURL, s.URL))
	if f := parseFeed(t, body); len(f.Items) != 11 {
		t.Errorf("followed feed: %d items", len(f.Items))
	}
}

// On a 390-pixel-wide phone the page fits: nothing scrolls sideways,
// every fieldset and the feed URL rows with their Copy and Open buttons
// lie within the screen; the new fields drive the preview.
func TestBrowserFitsAPhone(t *testing.T) {
	s := loadedServer(t, map[string]string{"PAPERFEED_BASE_URL": ""})
	ctx := testkit.Browser(t, true)
	if _, err := chromedp.Call(ctx, emulation.SetDeviceMetricsOverride,
		emulation.SetDeviceMetricsOverrideParams{Width: 390, Height: 844, DeviceScaleFactor: 3, Mobile: true}); err != nil {
		t.Fatal(err)
	}
	if err := chromedp.Do(ctx,
		chromedp.Navigate(s.URL+"/?q=agents&sort=trending&digest=day"),
		chromedp.WaitVisible(chromedp.CSS("#f-q")),
	); err != nil {
		t.Fatal(err)
	}
	testkit.WaitText(ctx, t, "#feed-title", "Daily Papers: trending, agents, daily digest, top 10")
	// A page wider than the screen widens a mobile layout viewport, so
	// compare with the screen's 390 pixels, not innerWidth.
	overflow := testkit.Eval[int](ctx, t, `Math.max(document.documentElement.scrollWidth, window.innerWidth) - 390`)
	if overflow > 0 {
		t.Errorf("the page is %d px wider than a 390-px phone", overflow)
	}
	out := testkit.Eval[[]string](ctx, t, `Array.from(document.querySelectorAll("fieldset, .urls .url, .urls button, .urls a, .urls input, select, input"))
		.filter(e => { const r = e.getBoundingClientRect(); return r.width > 0 && (r.right > 390.5 || r.left < -0.5); })
		.map(e => (e.name || e.className || e.tagName) + " " + Math.round(e.getBoundingClientRect().right))`)
	if len(out) > 0 {
		t.Errorf("cut off on a phone: %v", out)
	}
	if sel := testkit.Eval[string](ctx, t, `document.querySelector('select[name="digest"]').value`); sel != "day" {
		t.Errorf("the digest field shows %q", sel)
	}
}

// Making a personal feed from the builder page in a real browser: the
// page that answers shows the feed's own address in the address bar (the
// one to bookmark), and reloading it reads the page, not a second
// creation; a vote link's GET asks, its button records.
func TestBrowserMakesPersonalFeed(t *testing.T) {
	s := loadedServer(t, map[string]string{"PAPERFEED_BASE_URL": ""})
	ctx := testkit.Browser(t, true)
	if err := chromedp.Do(ctx,
		chromedp.Navigate(s.URL+"/?q=agents"),
		chromedp.WaitVisible(chromedp.CSS("#personal summary")),
		chromedp.Click(chromedp.CSS("#personal summary")),
		chromedp.SendKeys(chromedp.CSS(`#personal input[name="name"]`), "Browser feed"),
		chromedp.Click(chromedp.CSS(`#personal button[type="submit"]`)),
		chromedp.WaitVisible(chromedp.CSS("main.personal")),
	); err != nil {
		t.Fatal(err)
	}
	path := testkit.Eval[string](ctx, t, `location.pathname`)
	if !strings.HasPrefix(path, "/f/") || len(path) != len("/f/")+26 {
		t.Fatalf("after making the feed the address bar shows %q, want /f/TOKEN", path)
	}
	if err := chromedp.Do(ctx, chromedp.Reload(), chromedp.WaitVisible(chromedp.CSS("main.personal"))); err != nil {
		t.Fatal(err)
	}
	if n, err := s.svc.HTTP.personal.Side.Store.PersonalCount(); n != 1 || err != nil {
		t.Errorf("after a reload %d personal feeds (%v), want 1", n, err)
	}
	_, _, body := s.get(t, path+".json")
	var doc struct {
		Items []personalItem
	}
	if err := json.Unmarshal([]byte(body), &doc); err != nil || len(doc.Items) == 0 {
		t.Fatalf("the personal feed: %v, %d items", err, len(doc.Items))
	}
	less := doc.Items[0].Ext.Votes.Less
	if err := chromedp.Do(ctx, chromedp.Navigate(less), chromedp.WaitVisible(chromedp.CSS(`form button[type="submit"]`))); err != nil {
		t.Fatal(err)
	}
	if r, _ := s.svc.HTTP.personal.Side.Store.PersonalGet(strings.TrimPrefix(path, "/f/")); len(r.Votes) != 0 {
		t.Fatalf("opening a vote link recorded a vote: %v", r.Votes)
	}
	if err := chromedp.Do(ctx, chromedp.Click(chromedp.CSS(`form button[type="submit"]`)), chromedp.WaitVisible(chromedp.CSS("#votes li"))); err != nil {
		t.Fatal(err)
	}
	testkit.WaitText(ctx, t, "#votes", "less like this")
}
