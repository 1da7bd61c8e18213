package main

import (
	"log/slog"
	"net/http"
	"testing"

	"github.com/mmcdole/gofeed"

	"paperfeed/internal/server"
	"paperfeed/internal/standin"
	"paperfeed/internal/testkit"
)

// What the command's tests share (the replays and helpers of testkit,
// named as the tests use them).

func replayHF(t testing.TB) *standin.HF { t.Helper(); return testkit.ReplayHF(t, "testdata") }
func newUpstream(t testing.TB, h http.Handler) string {
	t.Helper()
	return testkit.Upstream(t, h)
}
func discardLog() *slog.Logger { return testkit.DiscardLog() }
func waitFor(t *testing.T, what string, cond func() bool) {
	t.Helper()
	testkit.WaitFor(t, what, cond)
}
func parseFeed(t *testing.T, body string) *gofeed.Feed { t.Helper(); return testkit.ParseFeed(t, body) }
func roundTrip(t *testing.T, method, url string, hdr ...string) (*http.Response, []byte) {
	t.Helper()
	return testkit.RoundTrip(t, method, url, hdr...)
}

type syncBuffer = testkit.SyncBuffer

// serviceStatus is what /status answers.
type serviceStatus = server.Status

// testServer is a running service's address.
type testServer struct{ URL string }

// get fetches a path and returns status, headers and body.
func (s *testServer) get(t *testing.T, path string, hdr ...string) (int, http.Header, string) {
	t.Helper()
	resp, b := roundTrip(t, http.MethodGet, s.URL+path, hdr...)
	return resp.StatusCode, resp.Header, string(b)
}

// mustTopics are the built-in topics.
func mustTopics(t *testing.T) []server.Topic {
	t.Helper()
	ts, err := server.LoadTopics("")
	if err != nil {
		t.Fatal(err)
	}
	return ts
}

func keys[V any](m map[string]V) []string {
	var out []string
	for k := range m {
		out = append(out, k)
	}
	return out
}

// opmlDoc is what the tests read of an OPML file.
type opmlDoc struct {
	Body struct {
		Outlines []struct {
			XMLURL string `xml:"xmlUrl,attr"`
		} `xml:"outline"`
	} `xml:"body>outline"`
}
