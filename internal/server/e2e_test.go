package server

import (
	"context"
	"net/http"
	"net/http/httptest"
	"strconv"
	"strings"
	"testing"
	"time"

	"paperfeed/feed"
	"paperfeed/internal/standin"
	"paperfeed/internal/state"
)

// testServer is the whole service, running (its refresh side started),
// served on a loopback port against replayed upstreams.
type testServer struct {
	URL string
	HF  *standin.HF
	svc *Service
}

// startServer starts the service with the test configuration and the
// settings in env, named as the environment names them (the command's
// own reading of the environment is tested at the root).
func startServer(t *testing.T, env map[string]string) *testServer {
	t.Helper()
	hf := replayHF(t)
	cfg := testConfig(newUpstream(t, hf))
	cfg.ArxivCategories, cfg.DataDir = nil, t.TempDir()
	for k, v := range env {
		if err := setEnv(&cfg, k, v); err != nil {
			t.Fatalf("%s=%s: %v", k, v, err)
		}
	}
	var backend state.Backend
	if cfg.DataDir != "" {
		b, err := state.Open(cfg.DataDir, discardLog(), time.Now)
		if err != nil {
			t.Fatal(err)
		}
		backend = b
	}
	topics, err := LoadTopics("")
	if err != nil {
		t.Fatal(err)
	}
	svc := New(cfg, &syncBuffer{}, time.Now, backend, topics)
	if _, err := svc.Refresh.Restore(); err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	svc.Start(ctx)
	srv := httptest.NewServer(svc.Handler())
	t.Cleanup(func() {
		srv.Close()
		cancel()
		_ = svc.Close()
	})
	return &testServer{URL: srv.URL, HF: hf, svc: svc}
}

// setEnv sets what a test's environment names.
func setEnv(cfg *Config, k, v string) error {
	var err error
	switch k {
	case "PAPERFEED_BASE_URL":
		cfg.BaseURL = v
	case "PAPERFEED_HF_TOKEN":
		cfg.HFToken = v
	case "PAPERFEED_HF_URL":
		cfg.HFURL = v
	case "PAPERFEED_DATA_DIR":
		cfg.DataDir = v
	case "PAPERFEED_THUMBNAILS":
		b, ok := feed.ParseBool(v)
		if !ok {
			return errNamed("not a yes-or-no word")
		}
		cfg.Thumbnails = b
	case "PAPERFEED_MAX_RENDERS":
		cfg.MaxRenders, err = strconv.Atoi(v)
	case "PAPERFEED_LOG_LEVEL":
		err = cfg.LogLevel.UnmarshalText([]byte(v))
	case "PAPERFEED_ARXIV_CATEGORIES":
		cfg.ArxivCategories = nil
		for _, c := range strings.Split(v, ",") {
			if c, ok := feed.ParseCategory(c); ok {
				cfg.ArxivCategories = append(cfg.ArxivCategories, c)
			}
		}
	case "PAPERFEED_ADDR", "PAPERFEED_HF_INTERVAL":
	default:
		return errUnknownSetting
	}
	return err
}

var errUnknownSetting = errNamed("the test harness does not read this setting")

type errNamed string

func (e errNamed) Error() string { return string(e) }

// get fetches a path and returns status, headers and body.
func (s *testServer) get(t *testing.T, path string, hdr ...string) (int, http.Header, string) {
	t.Helper()
	resp, b := roundTrip(t, http.MethodGet, s.URL+path, hdr...)
	return resp.StatusCode, resp.Header, string(b)
}
