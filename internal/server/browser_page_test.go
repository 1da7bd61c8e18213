package server

import (
	"fmt"
	"io"
	"net/http"
	"testing"

	"paperfeed/internal/testkit"

	"github.com/chromedp/chromedp"
)

// clippedSelects lists the selects whose options do not fit their box:
// each option's text is measured in the select's own font against the
// room the box leaves (its padding and the arrow taken off).
const clippedSelects = `Array.from(document.querySelectorAll("select")).flatMap(s => {
	const cs = getComputedStyle(s), ctx = document.createElement("canvas").getContext("2d");
	ctx.font = cs.font;
	const room = s.clientWidth - parseFloat(cs.paddingLeft) - parseFloat(cs.paddingRight) - 20;
	return Array.from(s.options).filter(o => ctx.measureText(o.text).width > room).map(o => s.name + ": " + o.text);
})`

// On a 390x844 phone and a 1280x900 desktop: typing a filter changes
// what is on screen without scrolling past the form (the summary bar at
// the bottom of a phone, the result column of a desktop), no select's
// label is cut, nothing scrolls sideways, and the page has an icon.
func TestBrowserShowsTheResultOfTyping(t *testing.T) {
	s := loadedServer(t, map[string]string{"PAPERFEED_BASE_URL": ""})
	for _, c := range []struct {
		name   string
		w, h   int64
		mobile bool
		shown  string // the element that shows the count after typing
	}{
		{"phone", 390, 844, true, "#summary-count"},
		{"desktop", 1280, 900, false, "#count"},
	} {
		t.Run(c.name, func(t *testing.T) {
			ctx := testkit.Browser(t, true)
			testkit.SetViewport(ctx, t, c.w, c.h, c.mobile)
			if err := chromedp.Do(ctx,
				chromedp.Navigate(s.URL+"/"),
				chromedp.WaitVisible(chromedp.CSS("#f-q")),
			); err != nil {
				t.Fatal(err)
			}
			before := testkit.Eval[string](ctx, t, `document.querySelector(`+fmt.Sprintf("%q", c.shown)+`).textContent`)
			if err := chromedp.Do(ctx,
				chromedp.Click(chromedp.CSS("#f-q")),
				chromedp.SendKeys(chromedp.CSS("#f-q"), "agents"),
			); err != nil {
				t.Fatal(err)
			}
			after := testkit.WaitText(ctx, t, c.shown, "15 papers")
			if after == before {
				t.Errorf("%s did not change after typing", c.shown)
			}
			// In view: no scrolling needed to see it.
			inView := testkit.Eval[bool](ctx, t, `(() => { const r = document.querySelector(`+fmt.Sprintf("%q", c.shown)+`).getBoundingClientRect();
				return r.width > 0 && r.top >= 0 && r.bottom <= window.innerHeight && r.left >= 0 && r.right <= window.innerWidth; })()`)
			if !inView {
				t.Errorf("%s is not in view after typing at the top of the form", c.shown)
			}
			if c.mobile {
				// The bar's Copy button copies the feed URL.
				if err := chromedp.Do(ctx, chromedp.Click(chromedp.CSS("#summary button.copy"))); err != nil {
					t.Fatal(err)
				}
				testkit.WaitText(ctx, t, "#summary button.copy", "Copied")
			}
			if clipped := testkit.Eval[[]string](ctx, t, clippedSelects); len(clipped) > 0 {
				t.Errorf("select labels cut off at %d px: %v", c.w, clipped)
			}
			if overflow := testkit.Eval[int](ctx, t, fmt.Sprintf(`Math.max(document.documentElement.scrollWidth, window.innerWidth) - %d`, c.w)); overflow > 0 {
				t.Errorf("the page is %d px wider than the screen", overflow)
			}
			icon := testkit.Eval[string](ctx, t, `(document.querySelector('link[rel="icon"]') || {}).href || ""`)
			if resp, err := http.Get(icon); err != nil || resp.StatusCode != 200 || resp.Header.Get("Content-Type") != "image/svg+xml" {
				t.Errorf("icon %q: %v %v", icon, err, resp)
			}
		})
	}
	resp, err := http.Get(s.URL + "/favicon.ico")
	if err != nil {
		t.Fatal(err)
	}
	b, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	if resp.StatusCode != 200 || resp.Header.Get("Content-Type") != "image/x-icon" || len(b) < 100 || string(b[:4]) != "\x00\x00\x01\x00" {
		t.Errorf("/favicon.ico: %d %s, %d bytes", resp.StatusCode, resp.Header.Get("Content-Type"), len(b))
	}
}
