package server

import (
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"

	"paperfeed/internal/testkit"
)

// On a phone and a desktop: a preview paper's "More like this" opens the
// builder on its like= feed, titled by the paper; the paper page links
// it; choosing "this feed's own" GUIDs puts guid=feed in the feed's URL;
// nothing scrolls sideways.
func TestBrowserMoreLikeThisAndOwnGUIDs(t *testing.T) {
	s := loadedServer(t, map[string]string{"PAPERFEED_BASE_URL": ""})
	for _, c := range []struct {
		name   string
		w, h   int64
		mobile bool
	}{{"phone", 390, 844, true}, {"desktop", 1280, 900, false}} {
		t.Run(c.name, func(t *testing.T) {
			ctx := testkit.Browser(t, true)
			testkit.SetViewport(ctx, t, c.w, c.h, c.mobile)
			if err := chromedp.Do(ctx, chromedp.Navigate(s.URL+"/?q=agents"), chromedp.WaitVisible(chromedp.CSS("#count"))); err != nil {
				t.Fatal(err)
			}
			title := testkit.Eval[string](ctx, t, `document.querySelector("ol.papers li.paper h3 a").textContent`)
			if err := chromedp.Do(ctx, chromedp.Click(chromedp.CSS("ol.papers li.paper .more-like a")), chromedp.WaitVisible(chromedp.CSS("#feed-title"))); err != nil {
				t.Fatal(err)
			}
			testkit.WaitText(ctx, t, "#feed-title", "more like “"+title[:20])
			if like := testkit.Eval[string](ctx, t, `document.querySelector('input[name="like"]').value`); like == "" {
				t.Error("the like field is empty on the like= feed's page")
			}
			testkit.Eval[bool](ctx, t, `(() => { const s = document.querySelector('select[name="guid"]'); s.value = "feed";
				return s.dispatchEvent(new Event("change", {bubbles: true})); })()`)
			deadline := time.Now().Add(20 * time.Second)
			for !strings.Contains(testkit.Eval[string](ctx, t, `document.querySelector("#url-0").value`), "guid=feed") {
				if time.Now().After(deadline) {
					t.Fatal("the feed URL never carried guid=feed")
				}
				time.Sleep(100 * time.Millisecond)
			}
			id := testkit.Eval[string](ctx, t, `new URLSearchParams(location.search).get("like")`)
			if err := chromedp.Do(ctx, chromedp.Navigate(s.URL+"/papers/"+id), chromedp.WaitVisible(chromedp.CSS("#more-like a"))); err != nil {
				t.Fatal(err)
			}
			if overflow := testkit.Eval[int](ctx, t, `Math.max(document.documentElement.scrollWidth, window.innerWidth) - window.innerWidth`); overflow > 0 {
				t.Errorf("the paper page is %d px wider than the screen", overflow)
			}
		})
	}
}
