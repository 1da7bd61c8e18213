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
	"runtime"
	"sort"
	"strconv"
	"strings"
	"time"

	"paperfeed/feed"
	"paperfeed/internal/recorded"
	"paperfeed/internal/state"
	"paperfeed/internal/upstream"
)

func main() {
	if len(os.Args) > 1 && os.Args[1] == "baseline" {
		baseline(os.Args[2:])
		return
	}
	var (
		duration = flag.Duration("duration", 8*time.Second, "length of one wrk run")
		rounds   = flag.Int("rounds", 3, "rounds of alternating runs per scenario")
		conns    = flag.Int("connections", 64, "wrk connections")
		threads  = flag.Int("threads", 2, "wrk threads")
		items    = flag.Int("arxiv-items", 4880, "papers in the replayed arXiv day")
		out      = flag.String("out", "", "also write the results table (Markdown) to this file")
		profiles = flag.String("profiles", "", "write paperfeed's heap profile after the start and after the load, and a CPU profile of each scenario's first round, to this directory")
		only     = flag.String("only", "abcd", "scenarios to run")
		month    = flag.Int("state-days", 30, "days of older papers and history in the state store paperfeed starts with (0: no data directory)")
		logLevel = flag.String("log-level", "warn", "paperfeed's log level (info: an access log line per request, written to this command's standard error)")
	)
	flag.Parse()
	if _, err := exec.LookPath("wrk"); err != nil {
		log.Fatal("wrk is not installed (apt-get install wrk)")
	}
	tmp, err := os.MkdirTemp("", "paperfeed-load")
	if err != nil {
		log.Fatal(err)
	}
	defer os.RemoveAll(tmp)

	// The replay upstream, in this process (it idles during the load).
	site, err := upstream.NewSite("testdata", upstream.SiteOptions{})
	if err != nil {
		log.Fatal(err)
	}
	site.Arxiv.UseBigFeed(*items)
	upURL := serve(site)

	bin := filepath.Join(tmp, "paperfeed")
	run("go", "build", "-trimpath", "-o", bin, ".")
	self, err := os.Executable()
	if err != nil {
		log.Fatal(err)
	}

	pfAddr, dbgAddr := freeAddr(), freeAddr()
	dataDir := ""
	if *month > 0 {
		dataDir = filepath.Join(tmp, "data")
	}
	start := func() *exec.Cmd {
		pf := exec.Command(bin)
		pf.Env = append(os.Environ(),
			"PAPERFEED_ADDR="+pfAddr, "PAPERFEED_HF_URL="+upURL, "PAPERFEED_HF_INTERVAL=0s",
			"PAPERFEED_ARXIV_RSS_URL="+upURL, "PAPERFEED_ARXIV_API_URL="+upURL+"/api/query", "PAPERFEED_ARXIV_INTERVAL=0s",
			"PAPERFEED_REFRESH=1h", "PAPERFEED_REFRESH_PAST=6h", "PAPERFEED_ARXIV_REFRESH=6h", "PAPERFEED_LOG_LEVEL="+*logLevel,
			"PAPERFEED_BASE_URL=http://paperfeed.local", "PAPERFEED_DATA_DIR="+dataDir,
			// The replay has one (large) arXiv day; the state's older arXiv
			// days stay on disk, as a month-old instance's do.
			"PAPERFEED_ARXIV_DAYS=1", "PAPERFEED_DEBUG_ADDR="+dbgAddr)
		pf.Stderr = os.Stderr
		if err := pf.Start(); err != nil {
			log.Fatal(err)
		}
		return pf
	}
	base := "http://" + pfAddr
	if *month > 0 {
		// A first run saves the window; a month of older papers and
		// history is added behind it; the measured run starts from that.
		pf := start()
		waitLoaded(base, *items)
		must(pf.Process.Signal(os.Interrupt))
		must(pf.Wait())
		fillState(dataDir, *month)
	}
	pf := start()
	defer pf.Process.Kill()
	// Where the start's peak is: resident memory sampled until loaded.
	sampled := make(chan struct{})
	go func() {
		var peak, anon, file int64
		where := ""
		var at time.Duration
		t0 := time.Now()
		for {
			select {
			case <-sampled:
				log.Printf("start: resident memory peaked at %.1f MB (anonymous %.1f, file-backed %.1f) %s after start; by mapping then: %s",
					mb(peak), mb(anon), mb(file), at.Round(10*time.Millisecond), where)
				return
			case <-time.After(20 * time.Millisecond):
			}
			if r := currentRSS(pf.Process.Pid); r > peak {
				peak, anon, file, at = r, procStatus(pf.Process.Pid, "RssAnon:"), procStatus(pf.Process.Pid, "RssFile:"), time.Since(t0)
				where = mappings(pf.Process.Pid)
			}
		}
	}()
	papers := waitLoaded(base, *items)
	close(sampled)
	quiet(site)
	hitsBefore := total(site)
	loadedRSS := currentRSS(pf.Process.Pid)
	log.Printf("loaded %d papers; RSS %.1f MB (peak so far %.1f MB), Go heap in use %.1f MB", papers, float64(loadedRSS)/(1<<20), float64(peakRSS(pf.Process.Pid))/(1<<20), heapInUse(base)/(1<<20))

	// The popular feed and the baseline serving its exact bytes.
	const popular = "/feed.rss?q=agents+OR+reasoning&min_upvotes=5&source=all"
	plain, hdr := fetch(base+popular, nil)
	gz, _ := fetch(base+popular, map[string]string{"Accept-Encoding": "gzip"})
	if len(plain) == 0 || len(gz) == 0 {
		log.Fatal("popular feed is empty")
	}
	plainFile, gzFile := filepath.Join(tmp, "body"), filepath.Join(tmp, "body.gz")
	must(os.WriteFile(plainFile, plain, 0o644))
	must(os.WriteFile(gzFile, gz, 0o644))
	// (c)'s baseline: a bare server writing a distinct feed of the mean
	// size of (c)'s answers (sampled from URLs (c) does not ask for).
	distinctBody, meanSize := sampleDistinct(base, 900_000_000, 200)
	distinctFile := filepath.Join(tmp, "distinct")
	must(os.WriteFile(distinctFile, distinctBody, 0o644))
	log.Printf("(c): mean answer %d bytes; the baseline writes %d", meanSize, len(distinctBody))
	blAddr, blDbg := freeAddr(), freeAddr()
	bl := exec.Command(self, "baseline", "-addr", blAddr, "-body", plainFile, "-gz", gzFile, "-ctype", hdr.Get("Content-Type"), "-etag", hdr.Get("ETag"),
		"-distinct", distinctFile, "-debug", blDbg)
	bl.Stderr = os.Stderr
	if err := bl.Start(); err != nil {
		log.Fatal(err)
	}
	defer bl.Process.Kill()
	waitUp("http://" + blAddr + "/")

	w := wrkRunner{duration: *duration, conns: *conns, threads: *threads, tmp: tmp}
	var rows []row
	res := map[string]result{}
	ratios := map[string]float64{}
	spread := map[string][]float64{} // each round's ratio, sorted
	// measure runs paperfeed and the baseline back to back, in turn
	// first, each round; the ratio reported is the median of the rounds'
	// ratios, which cancels most of the machine's drift.
	memory := func(after string) {
		pid := pf.Process.Pid
		log.Printf("after %s: RSS %.1f MB (anonymous %.1f MB, file-backed %.1f MB), peak %.1f MB, Go heap in use %.1f MB",
			after, mb(currentRSS(pid)), mb(procStatus(pid, "RssAnon:")), mb(procStatus(pid, "RssFile:")), mb(peakRSS(pid)), heapInUse(base)/(1<<20))
		log.Printf("  resident by mapping: %s", mappings(pid))
	}
	profileOf := func(addr, name, path string) {
		if *profiles == "" {
			return
		}
		must(os.MkdirAll(*profiles, 0o755))
		b, _ := fetch("http://"+addr+path, nil)
		must(os.WriteFile(filepath.Join(*profiles, name), b, 0o644))
	}
	profile := func(name, path string) { profileOf(dbgAddr, name, path) }
	memory("the start")
	profile("heap-start.pprof", "/debug/pprof/heap?gc=1")
	// Measure the steady state: first until paperfeed's own work after
	// the start (indexes, the collector and scavenger giving back the
	// start's memory) is done, then a short unmeasured run of each
	// server on the popular feed.
	settled := settle(pf.Process.Pid, time.Minute)
	log.Printf("settled %s after loading (CPU under 5%% over a second)", settled.Round(100*time.Millisecond))
	warm := wrkRunner{duration: 2 * time.Second, conns: *conns, threads: *threads}
	warm.run(pf.Process.Pid, base+popular, nil, "")
	warm.run(bl.Process.Pid, "http://"+blAddr+popular, nil, "")
	// cpuProfile profiles a server (paperfeed's debug address or the
	// baseline's) through the wrk run that starts now, the first round's;
	// wait for it with the returned function.
	cpuProfile := func(addr, name string) (wait func()) {
		done := make(chan struct{})
		go func() {
			defer close(done)
			profileOf(addr, "cpu-"+name+".pprof", fmt.Sprintf("/debug/pprof/profile?seconds=%d", max(1, int(w.duration.Seconds())-1)))
		}()
		return func() { <-done }
	}
	measure := func(name, pfURL, blURL string, headers []string) {
		defer memory("(" + name + ")")
		var p, b []result
		var rs []float64
		for r := 0; r < *rounds; r++ {
			var pr, br result
			if r%2 == 1 && blURL != "" {
				br = w.run(bl.Process.Pid, blURL, headers, "")
			}
			wait := func() {}
			if r == 0 {
				wait = cpuProfile(dbgAddr, name)
			}
			pr = w.run(pf.Process.Pid, pfURL, headers, "")
			wait()
			if r%2 == 0 && blURL != "" {
				if r == 0 {
					wait = cpuProfile(blDbg, name+"-baseline")
				}
				br = w.run(bl.Process.Pid, blURL, headers, "")
				wait()
			}
			p = append(p, pr)
			if blURL != "" {
				b = append(b, br)
				rs = append(rs, pr.rps/br.rps)
			}
		}
		res[name] = median(p)
		if blURL != "" {
			res[name+" baseline"] = median(b)
			sort.Float64s(rs)
			ratios[name] = rs[len(rs)/2]
			spread[name] = rs
		}
	}
	if strings.Contains(*only, "a") || strings.Contains(*only, "d") {
		measure("a", base+popular, "http://"+blAddr+popular, nil)
	}
	if strings.Contains(*only, "b") {
		measure("b", base+popular, "http://"+blAddr+popular, []string{"Accept-Encoding: gzip"})
	}
	if strings.Contains(*only, "d") {
		// Against the baseline's full answers, as the target says.
		measure("d", base+popular, "http://"+blAddr+popular, []string{"If-None-Match: " + hdr.Get("ETag")})
	}
	if strings.Contains(*only, "c") {
		// (c): distinct URLs; the script walks through them, rounds apart;
		// paired with the baseline writing bytes of their mean size.
		var c, cb []result
		var rs []float64
		cpuWait := cpuProfile(dbgAddr, "c")
		for r := 0; r < *rounds; r++ {
			script := distinctScript(tmp, r*100_000_000, *threads)
			var pr, br result
			if r%2 == 1 {
				br = w.run(bl.Process.Pid, "http://"+blAddr+"/distinct", nil, "")
			}
			pr = w.run(pf.Process.Pid, base+"/", nil, script)
			if r%2 == 0 {
				br = w.run(bl.Process.Pid, "http://"+blAddr+"/distinct", nil, "")
			}
			c, cb = append(c, pr), append(cb, br)
			rs = append(rs, pr.rps/br.rps)
		}
		cpuWait()
		res["c"], res["c baseline"] = median(c), median(cb)
		sort.Float64s(rs)
		ratios["c"] = rs[len(rs)/2]
		spread["c"] = rs
	}
	rss := peakRSS(pf.Process.Pid)
	memory("the load")
	profile("heap-load.pprof", "/debug/pprof/heap?gc=1")
	upstreamDuring := total(site) - hitsBefore

	rf := func(k string) string {
		if v, ok := ratios[k]; ok {
			rs := spread[k]
			return fmt.Sprintf("%.2f (%.2f-%.2f)", v, rs[0], rs[len(rs)-1])
		}
		return ""
	}
	rows = append(rows,
		row{"(a) popular feed, identity", res["a"], res["a baseline"], rf("a"), ">= 0.95"},
		row{"(b) popular feed, gzip", res["b"], res["b baseline"], rf("b"), ">= 0.90"},
		row{"(c) distinct filter URLs (misses; baseline: bytes of their mean size)", res["c"], res["c baseline"], rf("c"), ">= 0.50, all 200"},
		row{"(d) conditional, 304 (baseline: full answers)", res["d"], res["d baseline"], rf("d"), ">= 1.00"},
	)
	var buf bytes.Buffer
	stateNote := "no state store"
	if *month > 0 {
		stateNote = fmt.Sprintf("a state store holding %d older days of papers and history", *month)
	}
	fmt.Fprintf(&buf, "Machine: %s, %d CPUs, %s; wrk -t%d -c%d -d%s, %d rounds: req/s, latency and CPU time per request (the server process's user and system time over the requests wrk counted) are the median round's, ratios the median of the rounds' paired ratios; %d papers loaded (%d HF days + %d arXiv), %s.\n\n",
		cpuModel(), runtime.NumCPU(), runtime.Version(), *threads, *conns, *duration, *rounds, papers, 7, *items, stateNote)
	fmt.Fprintln(&buf, "| scenario | paperfeed req/s | p50 | p99 | CPU µs/req | baseline req/s | p50 | p99 | CPU µs/req | ratio (rounds' range) | target |")
	fmt.Fprintln(&buf, "|---|---|---|---|---|---|---|---|---|---|---|")
	for _, r := range rows {
		fmt.Fprintf(&buf, "| %s | %.0f | %s | %s | %s | %s | %s | %s | %s | %s | %s |\n", r.name, r.pf.rps, r.pf.p50, r.pf.p99, cpuUS(r.pf),
			orDash(r.bl.rps), orDashS(r.bl.p50), orDashS(r.bl.p99), cpuUS(r.bl), orDashS(r.ratio), r.target)
	}
	fmt.Fprintf(&buf, "\n(c): %d non-2xx/3xx responses, %d socket errors, %d distinct URLs in its median round, each asked for once. Mean answer of (c): %d bytes. Peak RSS of paperfeed after (c): %.1f MB (target <= 100 MB). Upstream requests during the load: %d (target 0).\n",
		res["c"].non2xx, res["c"].errors, res["c"].requests, meanSize, float64(rss)/(1<<20), upstreamDuring)
	os.Stdout.Write(buf.Bytes())
	if *out != "" {
		must(os.WriteFile(*out, buf.Bytes(), 0o644))
	}
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
	oldest := upstream.DefaultDays()[6].Date
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

func total(site *upstream.Site) int {
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
func quiet(site *upstream.Site) {
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
