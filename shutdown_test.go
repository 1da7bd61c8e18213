package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"paperfeed/internal/command"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"
	"testing"
	"time"
)

// 2. SIGTERM under load: every request the server accepted gets a whole
// answer, and the others never reach a handler: the access log's count
// of feed requests equals the whole answers the clients received.
func TestShutdownUnderLoadAnswersWhole(t *testing.T) {
	hf := replayHF(t)
	up := newUpstream(t, hf)
	vars := map[string]string{
		"PAPERFEED_ADDR": "127.0.0.1:0", "PAPERFEED_HF_URL": up, "PAPERFEED_HF_INTERVAL": "0s",
		"PAPERFEED_ARXIV_CATEGORIES": "", "PAPERFEED_LOG_LEVEL": "info", "PAPERFEED_MAX_RENDERS": "1",
		"PAPERFEED_DATA_DIR": t.TempDir(),
	}
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	var logs syncBuffer
	addrc := make(chan string, 1)
	done := make(chan error, 1)
	go func() {
		done <- command.Serve(ctx, nil, func(k string) (string, bool) { v, ok := vars[k]; return v, ok }, &logs, addrc)
	}()
	base := "http://" + <-addrc
	waitFor(t, "ready", func() bool {
		resp, err := http.Get(base + "/readyz")
		if err != nil {
			return false
		}
		resp.Body.Close()
		return resp.StatusCode == 200
	})
	var (
		whole, refused, dropped atomic.Int64
		mu                      sync.Mutex
		bad                     []string
		stop                    atomic.Bool
		wg                      sync.WaitGroup
	)
	client := &http.Client{Transport: &http.Transport{DisableKeepAlives: true, DisableCompression: true}, Timeout: 20 * time.Second}
	for w := range 16 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for n := 0; !stop.Load(); n++ {
				// Half cached, half new filters that must render.
				path := "/feed.rss?q=agents"
				if n%2 == 1 {
					path = fmt.Sprintf("/feed.json?q=-zz%dx%d&limit=500", w, n)
				}
				resp, err := client.Get(base + path)
				if err != nil {
					if errors.Is(err, syscall.ECONNREFUSED) {
						refused.Add(1)
						continue
					}
					var ne *net.OpError
					if errors.As(err, &ne) && ne.Op == "dial" {
						refused.Add(1)
						continue
					}
					if errors.Is(err, io.EOF) || errors.Is(err, syscall.ECONNRESET) {
						// Connected in the kernel's backlog, never accepted:
						// the log count below proves no handler saw it.
						dropped.Add(1)
						continue
					}
					mu.Lock()
					bad = append(bad, "transport: "+err.Error())
					mu.Unlock()
					continue
				}
				b, rerr := io.ReadAll(resp.Body)
				resp.Body.Close()
				length, _ := strconv.Atoi(resp.Header.Get("Content-Length"))
				if rerr != nil || (resp.StatusCode == 200 && (len(b) == 0 || len(b) != length)) || (resp.StatusCode != 200 && resp.StatusCode != 503) {
					mu.Lock()
					bad = append(bad, fmt.Sprintf("%s: status %d, %d bytes of %s (%v)", path, resp.StatusCode, len(b), resp.Header.Get("Content-Length"), rerr))
					mu.Unlock()
					continue
				}
				whole.Add(1)
			}
		}()
	}
	time.Sleep(400 * time.Millisecond)
	cancel() // what SIGTERM does in main
	select {
	case err := <-done:
		if err != nil {
			t.Errorf("run: %v", err)
		}
	case <-time.After(15 * time.Second):
		t.Fatal("no shutdown")
	}
	time.Sleep(100 * time.Millisecond)
	stop.Store(true)
	wg.Wait()
	if len(bad) > 0 {
		t.Errorf("%d broken answers during shutdown, e.g. %s", len(bad), bad[0])
	}
	handled := int64(0)
	for _, line := range strings.Split(logs.String(), "\n") {
		if strings.Contains(line, "msg=request") && strings.Contains(line, "path=/feed.") {
			handled++
		}
	}
	if handled != whole.Load() {
		t.Errorf("handlers served %d feed requests, clients received %d whole answers", handled, whole.Load())
	}
	if whole.Load() == 0 || refused.Load() == 0 {
		t.Errorf("the load did not span the shutdown: %d whole answers, %d refused", whole.Load(), refused.Load())
	}
	t.Logf("%d whole answers, %d connections refused after shutdown, %d closed in the backlog", whole.Load(), refused.Load(), dropped.Load())
}
