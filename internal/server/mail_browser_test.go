package server

import (
	"fmt"
	"testing"
	"time"

	"github.com/chromedp/cdproto/emulation"
	"github.com/chromedp/chromedp"

	"paperfeed/internal/smtptest"
	"paperfeed/internal/testkit"
)

// Signing up for mail in a real browser, on a phone and on a laptop:
// the builder page's form, the answer, the confirmation page its link
// opens and its button; every page within the screen's width.
func TestBrowserSignsUpForMail(t *testing.T) {
	r := newPushRig(t, "", smtptest.Options{})
	r.start()
	r.refresh()
	for i, width := range []int64{390, 1280} {
		ctx := testkit.Browser(t, true)
		if _, err := chromedp.Call(ctx, emulation.SetDeviceMetricsOverride,
			emulation.SetDeviceMetricsOverrideParams{Width: width, Height: 844, DeviceScaleFactor: 2, Mobile: width < 500}); err != nil {
			t.Fatal(err)
		}
		fits := func(what string) {
			t.Helper()
			if over := testkit.Eval[int](ctx, t, fmt.Sprintf(`Math.max(document.documentElement.scrollWidth, window.innerWidth) - %d`, width)); over > 0 {
				t.Errorf("%d px: %s is %d px wider than the screen", width, what, over)
			}
		}
		address := fmt.Sprintf("browser%d@example.org", i)
		if err := chromedp.Do(ctx,
			chromedp.Navigate(r.base+"/?q=agents"),
			chromedp.WaitVisible(chromedp.CSS("#mail summary")),
			chromedp.Click(chromedp.CSS("#mail summary")),
			chromedp.WaitVisible(chromedp.CSS(`#mail input[name="address"]`)),
		); err != nil {
			t.Fatal(err)
		}
		fits("the builder page with the mail form open")
		if err := chromedp.Do(ctx,
			chromedp.SendKeys(chromedp.CSS(`#mail input[name="address"]`), address),
			chromedp.SetValue(chromedp.CSS(`#mail select[name="what"]`), "day"),
			chromedp.Click(chromedp.CSS(`#mail button[type="submit"]`)),
			chromedp.WaitVisible(chromedp.CSS("#mail-page")),
		); err != nil {
			t.Fatal(err)
		}
		testkit.WaitText(ctx, t, "#mail-page", "Check your inbox")
		fits("the answer to the sign-up")
		mails := r.smtp.Wait(i+1, 5*time.Second)
		if len(mails) != i+1 || mails[i].To[0] != address {
			t.Fatalf("%d mails", len(mails))
		}
		if err := chromedp.Do(ctx,
			chromedp.Navigate(r.base+linkIn(t, confirmLink, mails[i])),
			chromedp.WaitVisible(chromedp.CSS(`#mail-page button[type="submit"]`)),
		); err != nil {
			t.Fatal(err)
		}
		testkit.WaitText(ctx, t, "#mail-page", "daily digest")
		fits("the confirmation page")
		if st := r.mailStatus(); st.Confirmed != i {
			t.Fatalf("opening the link confirmed: %+v", st)
		}
		if err := chromedp.Do(ctx, chromedp.Click(chromedp.CSS(`#mail-page button[type="submit"]`))); err != nil {
			t.Fatal(err)
		}
		testkit.WaitText(ctx, t, "#mail-page", "Confirmed")
		fits("the confirmed page")
		if st := r.mailStatus(); st.Confirmed != i+1 {
			t.Errorf("after the button: %+v", st)
		}
	}
}
