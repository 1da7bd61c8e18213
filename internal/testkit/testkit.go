// Package testkit holds what the tests of several packages share: the
// replayed upstreams on loopback, polling, plain HTTP round trips, a
// log buffer safe for concurrent use, and a feed parser. It is test
// support; nothing the service runs imports it.
package testkit

import (
	"bytes"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"sync"
	"testing"
	"time"

	"github.com/mmcdole/gofeed"

	"paperfeed/internal/standin"
)

// ReplayHF is the replay of Hugging Face's pages over the recorded days
// (testdata at the repository's root).
func ReplayHF(t testing.TB, testdata string) *standin.HF {
	t.Helper()
	hf, err := standin.NewHF(testdata, standin.DefaultDays())
	if err != nil {
		t.Fatal(err)
	}
	return hf
}

// Upstream serves a replay on a loopback port for the test's life.
func Upstream(t testing.TB, h http.Handler) string {
	t.Helper()
	s := httptest.NewServer(h)
	t.Cleanup(s.Close)
	return s.URL
}

// DiscardLog is a logger that writes nowhere.
func DiscardLog() *slog.Logger { return slog.New(slog.NewTextHandler(io.Discard, nil)) }

// WaitFor polls cond until it holds or 15 seconds pass.
func WaitFor(t testing.TB, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(15 * time.Second)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("timed out waiting for %s", what)
		}
		time.Sleep(20 * time.Millisecond)
	}
}

// RoundTrip sends one request with the header pairs in hdr and reads the
// whole answer, as the server sent it (no transparent gzip).
func RoundTrip(t testing.TB, method, url string, hdr ...string) (*http.Response, []byte) {
	t.Helper()
	req, err := http.NewRequest(method, url, nil)
	if err != nil {
		t.Fatal(err)
	}
	for i := 0; i+1 < len(hdr); i += 2 {
		req.Header.Set(hdr[i], hdr[i+1])
	}
	tr := http.DefaultTransport.(*http.Transport).Clone()
	tr.DisableCompression = true // see exactly what was sent
	resp, err := tr.RoundTrip(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	if err != nil {
		t.Fatal(err)
	}
	return resp, b
}

// ParseFeed parses a feed with gofeed, failing the test when it does not
// parse.
func ParseFeed(t testing.TB, body string) *gofeed.Feed {
	t.Helper()
	f, err := gofeed.NewParser().ParseString(body)
	if err != nil {
		t.Fatalf("feed does not parse: %v\n%.300s", err, body)
	}
	return f
}

// SyncBuffer is a bytes.Buffer safe for a logger and a reader.
type SyncBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (s *SyncBuffer) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.Write(p)
}

func (s *SyncBuffer) String() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.String()
}
