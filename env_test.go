package main

import (
	"encoding/pem"
	"net"
	"net/http"
	"net/http/httptest"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"
)

// TestMain lets a test start the real binary: the test executable runs
// main() when PAPERFEED_RUN_MAIN is set, in a fresh process whose
// environment (proxies, CA bundle) is read as on a real start.
func TestMain(m *testing.M) {
	if os.Getenv("PAPERFEED_RUN_MAIN") == "1" {
		main()
		os.Exit(0)
	}
	os.Exit(m.Run())
}

// startProcess runs paperfeed as a child process with env and waits for
// /readyz.
func startProcess(t *testing.T, env ...string) string {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := ln.Addr().String()
	ln.Close()
	cmd := exec.Command(os.Args[0]) // TestMain runs main(), with no flags
	cmd.Env = append(os.Environ(), "PAPERFEED_RUN_MAIN=1", "PAPERFEED_ADDR="+addr, "PAPERFEED_HF_INTERVAL=0s", "PAPERFEED_DATA_DIR="+t.TempDir(),
		"PAPERFEED_ARXIV_CATEGORIES=", "PAPERFEED_LOG_LEVEL=warn")
	cmd.Env = append(cmd.Env, env...)
	var logs strings.Builder
	cmd.Stderr = &logs
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		// SIGTERM, as a container runtime stops it: a graceful shutdown
		// exits 0.
		_ = cmd.Process.Signal(syscall.SIGTERM)
		if err := cmd.Wait(); err != nil {
			t.Errorf("paperfeed did not shut down cleanly on SIGTERM: %v\n%s", err, logs.String())
		}
	})
	base := "http://" + addr
	deadline := time.Now().Add(20 * time.Second)
	for time.Now().Before(deadline) {
		if resp, err := http.Get(base + "/readyz"); err == nil {
			resp.Body.Close()
			if resp.StatusCode == 200 {
				return base
			}
		}
		time.Sleep(50 * time.Millisecond)
	}
	t.Fatalf("paperfeed did not become ready; its log:\n%s", logs.String())
	return ""
}

// Upstream requests go through HTTP_PROXY, as behind a corporate proxy.
func TestUpstreamThroughProxy(t *testing.T) {
	hf := replayHF(t)
	var mu sync.Mutex
	var hosts []string
	proxy := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		mu.Lock()
		hosts = append(hosts, r.Host)
		mu.Unlock()
		if !r.URL.IsAbs() {
			http.Error(w, "not a proxy request", http.StatusBadRequest)
			return
		}
		hf.ServeHTTP(w, r)
	}))
	defer proxy.Close()
	base := startProcess(t, "PAPERFEED_HF_URL=http://huggingface.invalid", "HTTP_PROXY="+proxy.URL, "http_proxy="+proxy.URL, "NO_PROXY=", "no_proxy=")
	resp, err := http.Get(base + "/feed.rss")
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != 200 {
		t.Fatalf("feed through the proxy: %d", resp.StatusCode)
	}
	mu.Lock()
	defer mu.Unlock()
	if len(hosts) == 0 || hosts[0] != "huggingface.invalid" {
		t.Errorf("the proxy saw %v", hosts)
	}
}

// An HTTPS upstream signed by a private CA is trusted through
// SSL_CERT_FILE, as with a corporate TLS-inspecting proxy.
func TestUpstreamCABundle(t *testing.T) {
	hf := replayHF(t)
	tlsSrv := httptest.NewTLSServer(hf)
	defer tlsSrv.Close()
	bundle := filepath.Join(t.TempDir(), "ca.pem")
	pemBytes := pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: tlsSrv.Certificate().Raw})
	if err := os.WriteFile(bundle, pemBytes, 0o644); err != nil {
		t.Fatal(err)
	}
	base := startProcess(t, "PAPERFEED_HF_URL="+tlsSrv.URL, "SSL_CERT_FILE="+bundle, "SSL_CERT_DIR=/nonexistent")
	resp, err := http.Get(base + "/feed.json")
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != 200 {
		t.Errorf("feed from the TLS upstream: %d", resp.StatusCode)
	}
}
