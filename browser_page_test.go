package main

import (
	"context"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/chromedp/chromedp"

	"paperfeed/internal/command"
	"paperfeed/internal/standin"
	"paperfeed/internal/testkit"
)

// The static export's page works opened from disk and served under any
// path: its style sheet and script load (relative links), its Copy
// buttons copy, and its count is its feed's.
func TestBrowserOpensTheExportedPage(t *testing.T) {
	site, err := standin.NewSite("testdata", standin.SiteOptions{})
	if err != nil {
		t.Fatal(err)
	}
	up := newUpstream(t, site)
	dir := t.TempDir()
	if err := command.Export(context.Background(), []string{"-o", dir}, exportEnv(up, t.TempDir()), io.Discard); err != nil {
		t.Fatal(err)
	}
	prefixed := httptest.NewServer(http.StripPrefix("/some/deep/prefix/", http.FileServer(http.Dir(dir))))
	t.Cleanup(prefixed.Close)
	for _, where := range []string{"file://" + dir + "/index.html", prefixed.URL + "/some/deep/prefix/index.html"} {
		ctx := testkit.Browser(t, true)
		testkit.SetViewport(ctx, t, 390, 844, true)
		if err := chromedp.Do(ctx, chromedp.Navigate(where), chromedp.WaitVisible(chromedp.CSS("#feed-title"))); err != nil {
			t.Fatal(err)
		}
		// The style sheet applied: the papers list has no bullets.
		if style := testkit.Eval[string](ctx, t, `getComputedStyle(document.querySelector("ol.papers")).listStyleType`); style != "none" {
			t.Errorf("%s: the style sheet did not load (list-style %q)", where, style)
		}
		if err := chromedp.Do(ctx, chromedp.Click(chromedp.CSS("#summary button.copy"))); err != nil {
			t.Fatal(err)
		}
		testkit.WaitText(ctx, t, "#summary button.copy", "Copied")
		count := testkit.Eval[string](ctx, t, `document.querySelector("#summary-count").textContent`)
		if !strings.HasPrefix(count, "100 papers") {
			t.Errorf("%s: the page counts %q", where, count)
		}
	}
}
