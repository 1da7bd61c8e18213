package main

import (
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"os/exec"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"
	"testing"
	"time"

	"paperfeed/internal/command"
	"paperfeed/internal/redistest"
	"paperfeed/internal/standin"
)

// replica is one paperfeed process of a cluster.
type replica struct {
	cmd  *exec.Cmd
	base string
	logs *syncBuffer
}

func (r *replica) get(path string) (int, http.Header, string, error) {
	resp, err := http.Get(r.base + path)
	if err != nil {
		return 0, nil, "", err
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	return resp.StatusCode, resp.Header, string(b), err
}

func (r *replica) status(t *testing.T) serviceStatus {
	t.Helper()
	_, _, body, err := r.get("/status")
	var st serviceStatus
	if err == nil {
		err = json.Unmarshal([]byte(body), &st)
	}
	if err != nil {
		t.Fatalf("status of %s: %v", r.base, err)
	}
	return st
}

func (r *replica) role(t *testing.T) string {
	st := r.status(t)
	if st.Cluster == nil {
		t.Fatalf("%s: no cluster status", r.base)
	}
	return st.Cluster.Role
}

var clusterPaths = []string{"/feed.rss", "/feed.atom?source=all", "/feed.json?limit=500&source=all", "/topics/agents.rss",
	"/feed.json?sort=trending&limit=20"}

// answers fetches every cluster path from a replica.
func answers(r *replica) (map[string]string, error) {
	out := map[string]string{}
	for _, p := range clusterPaths {
		code, h, body, err := r.get(p)
		if err != nil {
			return nil, err
		}
		if code != 200 {
			return nil, fmt.Errorf("%s %s: %d", r.base, p, code)
		}
		out[p] = h.Get("ETag") + "\n" + body
	}
	return out, nil
}

// sameAnswers waits until every replica answers every path with the same
// bytes and ETag.
func sameAnswers(t *testing.T, rs []*replica, what string) {
	t.Helper()
	var last string
	waitFor(t, what, func() bool {
		var ref map[string]string
		for _, r := range rs {
			a, err := answers(r)
			if err != nil {
				last = err.Error()
				return false
			}
			if ref == nil {
				ref = a
				continue
			}
			for p, v := range a {
				if v != ref[p] {
					last = fmt.Sprintf("%s differs on %s", p, r.base)
					return false
				}
			}
		}
		return true
	})
	_ = last
}

func hitsSnapshot(site *standin.Site) map[string]int {
	out := map[string]int{}
	for k, v := range site.HF.Hits() {
		out["hf "+k] = v
	}
	for k, v := range site.Arxiv.Hits() {
		out["arxiv "+k] = v
	}
	return out
}

// Three replicas on one Redis: one fetches, every resource once; all
// serve the same bytes and ETags; killing the leader hands over within
// the lease with no gap and no burst of fetches; with Redis stopped all
// keep serving, and when it is back (empty) they converge again.
func TestReplicasShareOneScrape(t *testing.T) {
	if testing.Short() {
		t.Skip("starts Redis and three processes")
	}
	srv := redistest.Start(t, "")
	site, err := standin.NewSite("testdata", standin.SiteOptions{})
	if err != nil {
		t.Fatal(err)
	}
	up := newUpstream(t, site)
	env := siteEnv(up, "")
	env["PAPERFEED_REDIS_URL"] = srv.URL("")
	env["PAPERFEED_REDIS_LEASE"] = "2s"
	env["PAPERFEED_LOG_LEVEL"] = "info"
	var rs []*replica
	for range 3 {
		cmd, base, logs := startChild(t, env)
		rs = append(rs, &replica{cmd: cmd, base: base, logs: logs})
	}
	for _, r := range rs {
		waitFor(t, "every replica ready", func() bool { code, _, _, _ := r.get("/readyz"); return code == 200 })
	}
	sameAnswers(t, rs, "the replicas to serve the same bytes")
	time.Sleep(500 * time.Millisecond)

	// One fetch per resource: the window's 7 day pages (the newest as
	// /papers), the arXiv feed once; the API once per day; each paper's
	// arXiv record once.
	hits := hitsSnapshot(site)
	for id, n := range site.Arxiv.Asked() {
		if n > 1 {
			t.Errorf("arXiv's record of %s looked up %d times by three replicas", id, n)
		}
	}
	if len(site.Arxiv.Asked()) == 0 {
		t.Error("no arXiv record was looked up")
	}
	for k, n := range hits {
		switch {
		case k == "hf /api/daily_papers" && n != 7, strings.HasPrefix(k, "hf /papers") && n != 1,
			strings.HasPrefix(k, "arxiv /rss/") && n != 1:
			t.Errorf("%s fetched %d times by three replicas", k, n)
		}
	}
	leaders := 0
	var leader *replica
	var followers []*replica
	for _, r := range rs {
		if r.role(t) == "leader" {
			leaders++
			leader = r
		} else {
			followers = append(followers, r)
		}
	}
	if leaders != 1 {
		t.Fatalf("%d leaders", leaders)
	}

	// Kill the leader: the others serve throughout and one takes over
	// within the lease, fetching nothing it need not.
	before := hitsSnapshot(site)
	var failures atomic.Int64
	stop := make(chan struct{})
	var wg sync.WaitGroup
	for _, f := range followers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for {
				select {
				case <-stop:
					return
				default:
				}
				if code, _, _, err := f.get("/feed.rss"); err != nil || code != 200 {
					failures.Add(1)
				}
				time.Sleep(20 * time.Millisecond)
			}
		}()
	}
	killed := time.Now()
	if err := leader.cmd.Process.Signal(syscall.SIGKILL); err != nil {
		t.Fatal(err)
	}
	_ = leader.cmd.Wait()
	var next *replica
	waitFor(t, "a new leader", func() bool {
		for _, f := range followers {
			if f.role(t) == "leader" {
				next = f
				return true
			}
		}
		return false
	})
	if d := time.Since(killed); d > 4*time.Second {
		t.Errorf("takeover after %s, want within the 2s lease and a campaign", d)
	}
	time.Sleep(2 * time.Second)
	close(stop)
	wg.Wait()
	if n := failures.Load(); n > 0 {
		t.Errorf("%d failed answers while the leader changed", n)
	}
	after := hitsSnapshot(site)
	for k, n := range after {
		if n != before[k] {
			t.Errorf("the takeover fetched %s %d more times; the schedule should have been resumed", k, n-before[k])
		}
	}
	sameAnswers(t, followers, "the two replicas to agree after the takeover")

	// Redis stops: both keep serving and say so.
	srv.Stop()
	time.Sleep(2500 * time.Millisecond)
	for _, f := range followers {
		if code, _, _, err := f.get("/feed.rss"); err != nil || code != 200 {
			t.Errorf("%s without Redis: %d %v", f.base, code, err)
		}
		if code, _, _, _ := f.get("/readyz"); code != 200 {
			t.Errorf("%s not ready without Redis", f.base)
		}
		if st := f.status(t); st.Cluster.LastError == "" {
			t.Errorf("%s: /status does not show Redis down", f.base)
		}
	}
	if hitsNow := hitsSnapshot(site); fmt.Sprint(hitsNow) != fmt.Sprint(after) {
		t.Error("a replica fetched while Redis was down (fallback is none)")
	}
	// Redis is back, empty: a leader again, which writes what it holds,
	// and the replicas agree.
	srv.Restart()
	waitFor(t, "a leader after Redis came back", func() bool {
		for _, f := range followers {
			if f.role(t) == "leader" {
				return true
			}
		}
		return false
	})
	sameAnswers(t, followers, "the replicas to converge after Redis came back")
	_ = next
}

// A wrong Redis password stops the start with a message naming the
// setting.
func TestWrongRedisPasswordStopsTheStart(t *testing.T) {
	srv := redistest.Start(t, "right")
	env := siteEnv("http://127.0.0.1:1", "")
	env["PAPERFEED_REDIS_URL"] = srv.URL("hunter2x")
	err := command.Serve(t.Context(), nil, func(k string) (string, bool) { v, ok := env[k]; return v, ok }, io.Discard, nil)
	if err == nil || !strings.Contains(err.Error(), "invalid -redis / PAPERFEED_REDIS_URL") || strings.Contains(err.Error(), "hunter2x") {
		t.Errorf("run with a wrong password: %v", err)
	}
}
