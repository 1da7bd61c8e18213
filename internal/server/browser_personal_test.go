package server

import (
	"encoding/json"
	"net/url"
	"strconv"
	"strings"
	"testing"

	"github.com/chromedp/chromedp"

	"paperfeed/internal/testkit"
)

// A personal feed's page in a real browser, on a 390-pixel phone and a
// 1280-pixel desktop: nothing scrolls sideways (its long URLs wrap), it
// links every format (.bib and .ris too), the edit form's text areas are
// as wide as its fields and styled like them, and its sentences read
// right ("1 entry", one period).
func TestBrowserPersonalPageFits(t *testing.T) {
	s := loadedServer(t, map[string]string{"PAPERFEED_BASE_URL": ""})
	_, _, feedBody := s.get(t, "/feed.json?q=agents")
	var doc struct{ Items []personalItem }
	if err := json.Unmarshal([]byte(feedBody), &doc); err != nil || len(doc.Items) == 0 {
		t.Fatalf("the agents feed: %v", err)
	}
	id := doc.Items[0].Ext.ArxivID
	lib := "@misc{one, title={One}, eprint={" + id + "}, archivePrefix={arXiv}}"
	resp, page := post(t, s.URL, "/f", url.Values{"name": {"Phone"}, "filter": {"q=agents&sort=upvotes"}, "library": {lib}}, nil)
	if resp.StatusCode != 201 {
		t.Fatalf("create: %d %.300s", resp.StatusCode, page)
	}
	for _, bad := range []string{"1 entries", "1 arXiv papers", ".."} {
		if strings.Contains(stripTags(string(page)), bad) {
			t.Errorf("the new feed's page says %q", bad)
		}
	}
	path := tokenIn.FindString(resp.Header.Get("Location"))
	ctx := testkit.Browser(t, true)
	for _, width := range []int64{390, 1280} {
		testkit.SetViewport(ctx, t, width, 844, width < 500)
		if err := chromedp.Do(ctx, chromedp.Navigate(s.URL+path), chromedp.WaitVisible(chromedp.CSS("main.personal"))); err != nil {
			t.Fatal(err)
		}
		if over := testkit.Eval[int](ctx, t, `Math.max(document.documentElement.scrollWidth, window.innerWidth) - `+strconv.FormatInt(width, 10)); over > 0 {
			t.Errorf("%d px: the page is %d px wider than the screen", width, over)
		}
		out := testkit.Eval[[]string](ctx, t, `Array.from(document.querySelectorAll("main *"))
			.filter(e => { const r = e.getBoundingClientRect(); return r.width > 0 && (r.right > `+strconv.FormatInt(width, 10)+`.5 || r.left < -0.5); })
			.map(e => e.tagName + " " + Math.round(e.getBoundingClientRect().right))`)
		if len(out) > 0 {
			t.Errorf("%d px: cut off: %v", width, out)
		}
		for _, ext := range []string{".rss", ".atom", ".json", ".bib", ".ris"} {
			if !testkit.Eval[bool](ctx, t, `!!document.querySelector('#subscribe a[href$="`+path+ext+`"]')`) {
				t.Errorf("%d px: no link to %s%s", width, path, ext)
			}
		}
		// The text areas: as wide as the name field, its border and
		// radius, and room for a few lines.
		styled := testkit.Eval[[]string](ctx, t, `(() => {
			const name = document.querySelector('#edit input[name="name"]'), cs = getComputedStyle(name), out = [];
			for (const ta of document.querySelectorAll('#edit textarea')) {
				const ts = getComputedStyle(ta);
				if (Math.abs(ta.getBoundingClientRect().width - name.getBoundingClientRect().width) > 1) out.push(ta.name + " width " + ta.getBoundingClientRect().width + " vs " + name.getBoundingClientRect().width);
				if (ts.borderRadius !== cs.borderRadius || ts.borderTopColor !== cs.borderTopColor) out.push(ta.name + " border " + ts.borderRadius + " " + ts.borderTopColor);
				if (ta.getBoundingClientRect().height < 70) out.push(ta.name + " height " + ta.getBoundingClientRect().height);
			}
			return out; })()`)
		if len(styled) > 0 {
			t.Errorf("%d px: text areas unlike the form's fields: %v", width, styled)
		}
	}
}

// stripTags is a page's text, roughly: markup removed.
func stripTags(s string) string {
	var b strings.Builder
	in := false
	for _, r := range s {
		switch {
		case r == '<':
			in = true
		case r == '>':
			in = false
		case !in:
			b.WriteRune(r)
		}
	}
	return b.String()
}
