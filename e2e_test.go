package main

import (
	"net/http"
	"testing"
	"time"

	"paperfeed/internal/upstream"
)

// testServer is the real service started by run() on a loopback port
// against replayed upstreams.
type testServer struct {
	URL string
	HF  *upstream.HF
}

func startServer(t *testing.T, env map[string]string) *testServer {
	t.Helper()
	hf := replayHF(t)
	vars := map[string]string{
		"PAPERFEED_ADDR":             "127.0.0.1:0",
		"PAPERFEED_HF_URL":           newUpstream(t, hf),
		"PAPERFEED_HF_INTERVAL":      "0s",
		"PAPERFEED_ARXIV_CATEGORIES": "",
		"PAPERFEED_LOG_LEVEL":        "warn",
		"PAPERFEED_BASE_URL":         "http://paperfeed.test",
		"PAPERFEED_DATA_DIR":         t.TempDir(),
	}
	for k, v := range env {
		vars[k] = v
	}
	return &testServer{URL: runService(t, vars).base, HF: hf}
}

// get fetches a path and returns status, headers and body.
func (s *testServer) get(t *testing.T, path string, hdr ...string) (int, http.Header, string) {
	t.Helper()
	resp, b := roundTrip(t, http.MethodGet, s.URL+path, hdr...)
	return resp.StatusCode, resp.Header, string(b)
}

// waitFor polls cond until it holds or the deadline passes.
func waitFor(t *testing.T, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(15 * time.Second)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("timed out waiting for %s", what)
		}
		time.Sleep(20 * time.Millisecond)
	}
}
