// Command load measures paperfeed under load against a baseline that
// serves the same response bytes from memory, in the same run, so every
// claim is a ratio on the same machine.
//
//	go run ./bench/load               # from the repository root; needs wrk
//
// It builds paperfeed, starts a replay of the upstreams holding 7 HF
// listing days and one large arXiv day (4 categories), starts paperfeed
// and a baseline server, waits for paperfeed to settle after its start,
// warms both, then drives both with wrk in alternation for several
// rounds:
//
//	(a) one popular filtered feed, identity encoding
//	(b) the same with Accept-Encoding: gzip (baseline: the same
//	    pre-compressed bytes)
//	(c) a stream of filter URLs, each asked for once (render-cache
//	    misses)
//	(d) conditional requests answered 304
//
// and reports requests/s, p50 and p99, each server's CPU time per
// request, the ratios, the peak RSS of paperfeed after (c), and the
// upstream requests seen during the load. With -profiles it also writes
// CPU profiles of both servers (each scenario's first round) and
// paperfeed's heap profiles.
package main

import (
	"bytes"
	"compress/gzip"
	"encoding/json"
	"flag"
	"fmt"
	"io"
	"log"
	"log/slog"
	"net"
	"net/http"
	_ "net/http/pprof"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"time"

	"paperfeed/feed"
	"paperfeed/internal/recorded"
	"paperfeed/internal/standin"
	"paperfeed/internal/state"
)

func main() {
	if len(os.Args) > 1 && os.Args[1] == "baseline" {
		baseline(os.Args[2:])
		return
	}
	o := parseOptions()
	if _, err := exec.LookPath("wrk"); err != nil {
		log.Fatal("wrk is not installed (apt-get install wrk)")
	}
	tmp, err := os.MkdirTemp("", "paperfeed-load")
	if err != nil {
		log.Fatal(err)
	}
	defer os.RemoveAll(tmp)

	// The replay upstream, in this process (it idles during the load).
	site, err := standin.NewSite("testdata", standin.SiteOptions{})
	if err != nil {
		log.Fatal(err)
	}
	site.Arxiv.UseBigFeed(o.items)
	h := &harness{o: o, tmp: tmp, upURL: serve(site), pfAddr: freeAddr(), dbgAddr: freeAddr(),
		res: map[string]result{}, ratios: map[string]float64{}, spread: map[string][]float64{}}
	h.base = "http://" + h.pfAddr
	h.bin = filepath.Join(tmp, "paperfeed")
	run("go", "build", "-trimpath", "-o", h.bin, ".")
	if o.month > 0 {
		h.dataDir = filepath.Join(tmp, "data")
		// A first run saves the window; a month of older papers and
		// history is added behind it; the measured run starts from that.
		pf := h.start()
		waitLoaded(h.base, o.items)
		must(pf.Process.Signal(os.Interrupt))
		must(pf.Wait())
		fillState(h.dataDir, o.month)
	}
	h.pf = h.start()
	defer h.pf.Process.Kill()
	stopSampling := samplePeak(h.pf.Process.Pid)
	papers := waitLoaded(h.base, o.items)
	stopSampling()
	quiet(site)
	hitsBefore := total(site)
	log.Printf("loaded %d papers; RSS %.1f MB (peak so far %.1f MB), Go heap in use %.1f MB", papers,
		mb(currentRSS(h.pf.Process.Pid)), mb(peakRSS(h.pf.Process.Pid)), heapInUse(h.base)/(1<<20))

	meanSize := h.startBaseline()
	defer h.bl.Process.Kill()
	h.w = wrkRunner{duration: o.duration, conns: o.conns, threads: o.threads, tmp: tmp}
	h.memory("the start")
	h.profile("heap-start.pprof", "/debug/pprof/heap?gc=1")
	// Measure the steady state: first until paperfeed's own work after
	// the start (indexes, the collector and scavenger giving back the
	// start's memory) is done, then a short unmeasured run of each
	// server on the popular feed.
	settled := settle(h.pf.Process.Pid, time.Minute)
	log.Printf("settled %s after loading (CPU under 5%% over a second)", settled.Round(100*time.Millisecond))
	warm := wrkRunner{duration: 2 * time.Second, conns: o.conns, threads: o.threads}
	warm.run(h.pf.Process.Pid, h.base+popular, nil, "")
	warm.run(h.bl.Process.Pid, "http://"+h.blAddr+popular, nil, "")
	blPopular := "http://" + h.blAddr + popular
	if strings.Contains(o.only, "a") || strings.Contains(o.only, "d") {
		h.measure("a", h.base+popular, blPopular, nil)
	}
	if strings.Contains(o.only, "b") {
		h.measure("b", h.base+popular, blPopular, []string{"Accept-Encoding: gzip"})
	}
	if strings.Contains(o.only, "d") {
		// Against the baseline's full answers, as the target says.
		h.measure("d", h.base+popular, blPopular, []string{"If-None-Match: " + h.etag})
	}
	if strings.Contains(o.only, "c") {
		h.measureDistinct()
	}
	rss := peakRSS(h.pf.Process.Pid)
	h.memory("the load")
	h.profile("heap-load.pprof", "/debug/pprof/heap?gc=1")
	h.report(papers, meanSize, rss, total(site)-hitsBefore)
}

func baseline(args []string) {
	fs := flag.NewFlagSet("baseline", flag.ExitOnError)
	addr := fs.String("addr", "127.0.0.1:0", "")
	bodyFile := fs.String("body", "", "")
	gzFile := fs.String("gz", "", "")
	ctype := fs.String("ctype", "", "")
	etag := fs.String("etag", "", "")
	distinctFile := fs.String("distinct", "", "")
	debug := fs.String("debug", "", "serve net/http/pprof here (its CPU profiles, to set beside paperfeed's)")
	_ = fs.Parse(args)
	if *debug != "" {
		go func() { log.Print(http.ListenAndServe(*debug, nil)) }() // pprof's handlers are on the default mux
	}
	distinct, err := os.ReadFile(*distinctFile)
	must(err)
	dlen := strconv.Itoa(len(distinct))
	body, err := os.ReadFile(*bodyFile)
	must(err)
	gz, err := os.ReadFile(*gzFile)
	must(err)
	blen, glen := strconv.Itoa(len(body)), strconv.Itoa(len(gz))
	h := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		hd := w.Header()
		hd.Set("Content-Type", *ctype)
		hd.Set("ETag", *etag)
		if strings.HasPrefix(r.URL.Path, "/distinct") {
			hd.Set("Content-Length", dlen)
			_, _ = w.Write(distinct)
			return
		}
		if strings.Contains(r.Header.Get("Accept-Encoding"), "gzip") {
			hd.Set("Content-Encoding", "gzip")
			hd.Set("Content-Length", glen)
			_, _ = w.Write(gz)
			return
		}
		hd.Set("Content-Length", blen)
		_, _ = w.Write(body)
	})
	log.Fatal(http.ListenAndServe(*addr, h))
}

// sampleDistinct fetches n of (c)'s kind of URLs from offset on (ones
// (c) does not ask for) and returns the answer closest to their mean
// size, and the mean.
func sampleDistinct(base string, offset, n int) ([]byte, int) {
	sources := []string{"hf", "all", "arxiv"}
	var bodies [][]byte
	total := 0
	for i := range n {
		k := offset + i
		b, _ := fetch(fmt.Sprintf("%s/feed.rss?q=-zz%d&limit=%d&source=%s", base, k, 10+k%40, sources[k%3]), nil)
		bodies = append(bodies, b)
		total += len(b)
	}
	mean := total / n
	best := bodies[0]
	for _, b := range bodies {
		if abs(len(b)-mean) < abs(len(best)-mean) {
			best = b
		}
	}
	return best, mean
}

func abs(n int) int {
	if n < 0 {
		return -n
	}
	return n
}

func serve(h http.Handler) string {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	must(err)
	go func() { _ = http.Serve(ln, h) }()
	return "http://" + ln.Addr().String()
}

func freeAddr() string {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	must(err)
	defer ln.Close()
	return ln.Addr().String()
}

func run(name string, args ...string) {
	cmd := exec.Command(name, args...)
	cmd.Stdout, cmd.Stderr = os.Stderr, os.Stderr
	must(cmd.Run())
}

func waitUp(url string) {
	for i := 0; i < 200; i++ {
		if resp, err := http.Get(url); err == nil {
			resp.Body.Close()
			return
		}
		time.Sleep(50 * time.Millisecond)
	}
	log.Fatalf("%s did not come up", url)
}

// waitLoaded waits until paperfeed holds the 7 HF days and the arXiv day.
// fillState adds days of older papers and history to a saved state,
// ending the day before the oldest window day of the replay.
func fillState(dir string, days int) {
	b, err := state.OpenBolt(dir, slog.New(slog.NewTextHandler(io.Discard, nil)), time.Now)
	must(err)
	ps, err := recorded.All("testdata")
	must(err)
	ptrs := make([]*feed.Paper, len(ps))
	for i := range ps {
		ptrs[i] = &ps[i]
	}
	oldest := standin.DefaultDays()[6].Date
	must(state.FillMonth(b, ptrs, oldest, days, 50, 1000))
	st := b.Stats()
	must(b.Close())
	log.Printf("state: %d days of older papers and history added; %d papers, %.1f MB", days, st.Papers, float64(st.Size)/(1<<20))
}

func waitLoaded(base string, arxivItems int) int {
	deadline := time.Now().Add(2 * time.Minute)
	for time.Now().Before(deadline) {
		var st struct {
			Papers  int `json:"papers"`
			Sources []struct {
				Items int      `json:"items"`
				Days  []string `json:"days"`
			} `json:"sources"`
		}
		if resp, err := http.Get(base + "/status"); err == nil {
			_ = json.NewDecoder(resp.Body).Decode(&st)
			resp.Body.Close()
			if len(st.Sources) >= 2 && len(st.Sources[0].Days) == 7 && st.Sources[1].Items >= arxivItems {
				return st.Papers
			}
		}
		time.Sleep(200 * time.Millisecond)
	}
	log.Fatal("paperfeed did not load the replayed data in time")
	return 0
}

func total(site *standin.Site) int {
	n := 0
	for _, v := range site.HF.Hits() {
		n += v
	}
	for _, v := range site.Arxiv.Hits() {
		n += v
	}
	return n
}

// quiet waits until the upstream has seen no request for two seconds
// (the category look-ups after the first load).
func quiet(site *standin.Site) {
	last, since := total(site), time.Now()
	for time.Since(since) < 2*time.Second {
		time.Sleep(200 * time.Millisecond)
		if n := total(site); n != last {
			last, since = n, time.Now()
		}
	}
}

func fetch(url string, headers map[string]string) ([]byte, http.Header) {
	req, _ := http.NewRequest(http.MethodGet, url, nil)
	for k, v := range headers {
		req.Header.Set(k, v)
	}
	tr := &http.Transport{DisableCompression: true}
	resp, err := tr.RoundTrip(req)
	must(err)
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	must(err)
	if resp.StatusCode != 200 {
		log.Fatalf("%s: %d %s", url, resp.StatusCode, b)
	}
	if headers["Accept-Encoding"] == "gzip" {
		if _, err := gzip.NewReader(bytes.NewReader(b)); err != nil {
			log.Fatalf("%s: not gzip", url)
		}
	}
	return b, resp.Header
}
