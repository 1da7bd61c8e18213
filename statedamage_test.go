package main

import (
	"encoding/json"
	"fmt"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"paperfeed/internal/standin"
	"paperfeed/internal/state"
)

// A real state file cut short at several lengths: the real binary (a
// child process, so that a crash is this test's failure, not the test
// binary's) starts every time, moves the file aside, and serves.
func TestTruncatedStateFileStillStarts(t *testing.T) {
	if testing.Short() {
		t.Skip("starts processes")
	}
	site, err := standin.NewSite("testdata", standin.SiteOptions{})
	if err != nil {
		t.Fatal(err)
	}
	site.Arxiv.UseBigFeed(3000) // a state file of a few megabytes
	up := newUpstream(t, site)
	dir := t.TempDir()
	s := runService(t, siteEnv(up, dir))
	s.settled(t)
	s.stop()
	raw, err := os.ReadFile(filepath.Join(dir, state.FileName))
	if err != nil {
		t.Fatal(err)
	}
	for _, frac := range []float64{0.02, 0.3, 0.55, 0.8} {
		n := int(float64(len(raw)) * frac)
		t.Run(fmt.Sprintf("%d of %d bytes", n, len(raw)), func(t *testing.T) {
			d := t.TempDir()
			if err := os.WriteFile(filepath.Join(d, state.FileName), raw[:n], 0o600); err != nil {
				t.Fatal(err)
			}
			cmd, base, logs := startChild(t, siteEnv(up, d))
			srv := &testServer{URL: base}
			waitFor(t, "ready after a cut state file", func() bool {
				if cmd.ProcessState != nil {
					t.Fatalf("paperfeed exited: %s\n%s", cmd.ProcessState, logs.String())
				}
				code, _, _ := srv.get(t, "/readyz")
				return code == 200
			})
			if code, _, body := srv.get(t, "/feed.json?limit=3"); code != 200 || !strings.Contains(body, `"items"`) {
				t.Errorf("feed: %d %.200s", code, body)
			}
			if aside, _ := filepath.Glob(filepath.Join(d, state.FileName+".corrupt-*")); len(aside) != 1 && frac < 0.6 {
				t.Errorf("files moved aside: %v\n%s", aside, logs.String())
			}
		})
	}
}

// A valid state file on a read-only file system: read and served (the
// upstreams unreachable, so everything shown comes from the file), with
// writes off and said so in /status. Root gets a real read-only bind
// mount in a mount namespace of the child's own; another user a
// directory and file it may only read.
func TestReadOnlyStateIsServed(t *testing.T) {
	site, err := standin.NewSite("testdata", standin.SiteOptions{})
	if err != nil {
		t.Fatal(err)
	}
	up := newUpstream(t, site)
	dir := t.TempDir()
	s := runService(t, siteEnv(up, dir))
	s.settled(t)
	_, _, want := s.get(t, "/feed.json?limit=5")
	s.stop()

	vars := siteEnv("http://127.0.0.1:1", dir) // nothing answers there
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := ln.Addr().String()
	ln.Close()
	vars["PAPERFEED_ADDR"] = addr
	var cmd *exec.Cmd
	if os.Geteuid() == 0 {
		ro := t.TempDir()
		vars["PAPERFEED_DATA_DIR"] = ro
		cmd = exec.Command("unshare", "-m", "sh", "-c", `mount --bind -o ro "$1" "$2" && exec "$3"`, "sh", dir, ro, os.Args[0])
	} else {
		if err := os.Chmod(filepath.Join(dir, state.FileName), 0o444); err != nil {
			t.Fatal(err)
		}
		if err := os.Chmod(dir, 0o555); err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { _ = os.Chmod(dir, 0o755) })
		cmd = exec.Command(os.Args[0])
	}
	cmd.Env = append(os.Environ(), "PAPERFEED_RUN_MAIN=1")
	for k, v := range vars {
		cmd.Env = append(cmd.Env, k+"="+v)
	}
	logs := &syncBuffer{}
	cmd.Stderr = logs
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = cmd.Process.Kill(); _ = cmd.Wait() })
	srv := &testServer{URL: "http://" + addr}
	waitFor(t, "ready from the read-only state", func() bool {
		resp, err := http.Get(srv.URL + "/readyz")
		if err != nil {
			return false
		}
		resp.Body.Close()
		return resp.StatusCode == 200
	})
	if code, _, body := srv.get(t, "/feed.json?limit=5"); code != 200 || body != want {
		t.Errorf("the read-only state serves %d, the same feed as before: %v", code, body == want)
	}
	_, _, status := srv.get(t, "/status")
	var st serviceStatus
	if err := json.Unmarshal([]byte(status), &st); err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(st.Store.Kind, "read-only") || st.Store.LastError == "" || !st.Store.LastWrite.IsZero() || st.Store.Papers == 0 {
		t.Errorf("/status store: %+v", st.Store)
	}
	if !strings.Contains(logs.String(), "writes are off") {
		t.Errorf("the log does not say writes are off:\n%s", logs.String())
	}
}
