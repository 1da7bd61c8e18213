package main

import (
	"bytes"
	"context"
	"strings"
	"testing"

	"paperfeed/internal/command"
	"paperfeed/internal/standin"
)

// paperfeed healthcheck: ready when the instance serves its feeds, else
// one line of cause (no answer at all, or why the data is missing).
func TestHealthcheckSaysReadyOrWhyNot(t *testing.T) {
	check := func(url string) (string, error) {
		var out bytes.Buffer
		err := command.Healthcheck(context.Background(), []string{"-url", url}, func(string) (string, bool) { return "", false }, &out)
		return out.String(), err
	}
	if _, err := check("http://127.0.0.1:1/readyz"); err == nil || !strings.Contains(err.Error(), "does not answer") {
		t.Errorf("nothing listening: %v", err)
	}
	down := runService(t, siteEnv("http://127.0.0.1:1", t.TempDir()))
	waitFor(t, "the first fetch to fail", func() bool { return down.status(t).Sources[0].LastError != "" })
	if _, err := check(down.base + "/readyz"); err == nil || !strings.Contains(err.Error(), "not ready: no data yet: the last fetch from Hugging Face failed") ||
		strings.Contains(err.Error(), "\n") {
		t.Errorf("upstream down: %v", err)
	}
	site, err := standin.NewSite("testdata", standin.SiteOptions{})
	if err != nil {
		t.Fatal(err)
	}
	up := runService(t, siteEnv(newUpstream(t, site), t.TempDir()))
	waitFor(t, "ready", func() bool { code, _, _ := up.get(t, "/readyz"); return code == 200 })
	if out, err := check(up.base + "/readyz"); err != nil || !strings.HasPrefix(out, "ready: ") {
		t.Errorf("ready instance: %q %v", out, err)
	}
}

// healthcheck -url takes the instance's base URL too (it asks /readyz
// there), and a URL that answers something else than paperfeed's status
// is told to end in /readyz.
func TestHealthcheckTakesTheBaseURL(t *testing.T) {
	site, err := standin.NewSite("testdata", standin.SiteOptions{})
	if err != nil {
		t.Fatal(err)
	}
	up := runService(t, siteEnv(newUpstream(t, site), t.TempDir()))
	waitFor(t, "ready", func() bool { code, _, _ := up.get(t, "/readyz"); return code == 200 })
	for _, u := range []string{up.base, up.base + "/"} {
		var out bytes.Buffer
		err := command.Healthcheck(context.Background(), []string{"-url", u}, func(string) (string, bool) { return "", false }, &out)
		if err != nil || !strings.HasPrefix(out.String(), "ready: ") {
			t.Errorf("-url %s: %q %v", u, out.String(), err)
		}
	}
	for _, path := range []string{"/healthz", "/feed.rss", "/status/x"} {
		err := command.Healthcheck(context.Background(), []string{"-url", up.base + path}, func(string) (string, bool) { return "", false }, &bytes.Buffer{})
		if err == nil || !strings.Contains(err.Error(), up.base+"/readyz") {
			t.Errorf("-url %s: %v, want the error to name %s/readyz", path, err, up.base)
		}
	}
}
