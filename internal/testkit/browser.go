package testkit

import (
	"context"
	"os"
	"os/exec"
	"slices"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/chromedp/cdproto/emulation"
	"github.com/chromedp/cdproto/network"
	"github.com/chromedp/chromedp"
)

// chromium finds the browser: $CHROMIUM, else Debian's chromium. CI
// installs it (.ci/install-deps), so there a missing browser fails.
func chromium(t testing.TB) string {
	t.Helper()
	for _, p := range []string{os.Getenv("CHROMIUM"), "/usr/bin/chromium", "chromium", "chromium-browser"} {
		if p == "" {
			continue
		}
		if path, err := exec.LookPath(p); err == nil {
			return path
		}
	}
	if os.Getenv("CI") != "" {
		t.Fatal("chromium is not installed; .ci/install-deps installs Debian's chromium")
	}
	t.Skip("chromium not installed (apt-get install chromium); CI runs this test")
	return ""
}

// Browser starts headless Chromium for the test's life, with JavaScript
// on or off, and returns its context.
func Browser(t testing.TB, jsEnabled bool) context.Context {
	t.Helper()
	opts := append(chromedp.DefaultExecAllocatorOptions[:],
		chromedp.ExecPath(chromium(t)),
		chromedp.NoSandbox,
		chromedp.DisableGPU,
		chromedp.Flag("disable-background-networking", true),
		chromedp.Flag("disable-component-update", true),
		chromedp.Flag("disable-sync", true),
		chromedp.Flag("disable-quic", true),
		chromedp.UserDataDir(t.TempDir()),
	)
	actx, cancel := chromedp.NewExecAllocator(context.Background(), opts...)
	t.Cleanup(cancel)
	ctx, cancel2 := chromedp.NewContext(actx)
	t.Cleanup(cancel2)
	// The first call starts the browser; it must not run under a timeout.
	if _, err := chromedp.Call(ctx, emulation.SetScriptExecutionDisabled, emulation.SetScriptExecutionDisabledParams{Value: !jsEnabled}); err != nil {
		t.Fatal(err)
	}
	ctx, cancel3 := context.WithTimeout(ctx, 60*time.Second)
	t.Cleanup(cancel3)
	return ctx
}

// Eval evaluates js in the page.
func Eval[T any](ctx context.Context, t testing.TB, js string) T {
	t.Helper()
	v, err := chromedp.Run(ctx, chromedp.Evaluate[T](js))
	if err != nil {
		t.Fatalf("%s: %v", js, err)
	}
	return v
}

// WaitText polls an element's text until it contains want.
func WaitText(ctx context.Context, t testing.TB, sel, want string) string {
	t.Helper()
	var text string
	deadline := time.Now().Add(20 * time.Second)
	for time.Now().Before(deadline) {
		if text = Eval[string](ctx, t, `(document.querySelector(`+strconv.Quote(sel)+`) || {}).textContent || ""`); strings.Contains(text, want) {
			return text
		}
		time.Sleep(100 * time.Millisecond)
	}
	t.Fatalf("%s never showed %q (last: %q)", sel, want, text)
	return ""
}

// SetViewport sizes the browser's window as a phone or a desktop.
func SetViewport(ctx context.Context, t testing.TB, w, h int64, mobile bool) {
	t.Helper()
	scale := 1.0
	if mobile {
		scale = 3
	}
	if _, err := chromedp.Call(ctx, emulation.SetDeviceMetricsOverride,
		emulation.SetDeviceMetricsOverrideParams{Width: w, Height: h, DeviceScaleFactor: scale, Mobile: mobile}); err != nil {
		t.Fatal(err)
	}
}

// Requests records the URL of every request the page in ctx makes from
// now on, and blocks those to any host but loopback, so a test sees what
// would leave the machine without anything leaving. The returned
// function lists them so far.
func Requests(ctx context.Context, t testing.TB) func() []string {
	t.Helper()
	var mu sync.Mutex
	var seen []string
	err := chromedp.Listen(ctx, func(ev any) {
		if e, ok := ev.(*network.EventRequestWillBeSent); ok {
			mu.Lock()
			seen = append(seen, e.Request.URL)
			mu.Unlock()
		}
	})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := chromedp.Call(ctx, network.Enable, network.EnableParams{}); err != nil {
		t.Fatal(err)
	}
	if _, err := chromedp.Call(ctx, network.SetBlockedURLs, network.SetBlockedURLsParams{URLPatterns: []*network.BlockPattern{
		{URLPattern: "http://127.0.0.1:*/*", Block: false},
		{URLPattern: "*://*/*", Block: true},
	}}); err != nil {
		t.Fatal(err)
	}
	return func() []string {
		mu.Lock()
		defer mu.Unlock()
		return slices.Clone(seen)
	}
}
