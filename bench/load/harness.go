package main

import (
	"bytes"
	"flag"
	"fmt"
	"log"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"sort"
	"time"
)

// popular is the popular feed of (a), (b) and (d).
const popular = "/feed.rss?q=agents+OR+reasoning&min_upvotes=5&source=all"

// options are the command's flags.
type options struct {
	duration       time.Duration
	rounds         int
	conns, threads int
	items          int
	out, profiles  string
	only           string
	month          int
	logLevel       string
}

func parseOptions() options {
	var o options
	flag.DurationVar(&o.duration, "duration", 8*time.Second, "length of one wrk run")
	flag.IntVar(&o.rounds, "rounds", 3, "rounds of alternating runs per scenario")
	flag.IntVar(&o.conns, "connections", 64, "wrk connections")
	flag.IntVar(&o.threads, "threads", 2, "wrk threads")
	flag.IntVar(&o.items, "arxiv-items", 4880, "papers in the replayed arXiv day")
	flag.StringVar(&o.out, "out", "", "also write the results table (Markdown) to this file")
	flag.StringVar(&o.profiles, "profiles", "", "write paperfeed's heap profile after the start and after the load, and a CPU profile of each scenario's first round, to this directory")
	flag.StringVar(&o.only, "only", "abcd", "scenarios to run")
	flag.IntVar(&o.month, "state-days", 30, "days of older papers and history in the state store paperfeed starts with (0: no data directory)")
	flag.StringVar(&o.logLevel, "log-level", "info", "paperfeed's log level (the default a user runs: an access log line per request, written to this command's standard error; warn: none)")
	flag.Parse()
	return o
}

// harness is one load run: paperfeed and the baseline, their addresses,
// and what the scenarios measured.
type harness struct {
	o                 options
	tmp, bin, dataDir string
	upURL             string
	pfAddr, dbgAddr   string
	base              string // paperfeed's base URL
	blAddr, blDbg     string
	pf, bl            *exec.Cmd
	etag              string // the popular feed's
	w                 wrkRunner
	res               map[string]result
	ratios            map[string]float64
	spread            map[string][]float64 // each round's ratio, sorted
}

// start starts paperfeed against the replay.
func (h *harness) start() *exec.Cmd {
	pf := exec.Command(h.bin)
	pf.Env = append(os.Environ(),
		"PAPERFEED_ADDR="+h.pfAddr, "PAPERFEED_HF_URL="+h.upURL, "PAPERFEED_HF_INTERVAL=0s",
		"PAPERFEED_ARXIV_RSS_URL="+h.upURL, "PAPERFEED_ARXIV_API_URL="+h.upURL+"/api/query", "PAPERFEED_ARXIV_INTERVAL=0s",
		"PAPERFEED_REFRESH=1h", "PAPERFEED_REFRESH_PAST=6h", "PAPERFEED_ARXIV_REFRESH=6h", "PAPERFEED_LOG_LEVEL="+h.o.logLevel,
		"PAPERFEED_BASE_URL=http://paperfeed.local", "PAPERFEED_DATA_DIR="+h.dataDir,
		// The replay has one (large) arXiv day; the state's older arXiv
		// days stay on disk, as a month-old instance's do.
		"PAPERFEED_ARXIV_DAYS=1", "PAPERFEED_DEBUG_ADDR="+h.dbgAddr)
	pf.Stderr = os.Stderr
	if err := pf.Start(); err != nil {
		log.Fatal(err)
	}
	return pf
}

// samplePeak samples a process's resident memory until stop is called,
// then logs where its peak was.
func samplePeak(pid int) (stop func()) {
	sampled, done := make(chan struct{}), make(chan struct{})
	go func() {
		defer close(done)
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
			if r := currentRSS(pid); r > peak {
				peak, anon, file, at = r, procStatus(pid, "RssAnon:"), procStatus(pid, "RssFile:"), time.Since(t0)
				where = mappings(pid)
			}
		}
	}()
	return func() { close(sampled); <-done }
}

// startBaseline starts the bare server serving the popular feed's exact
// bytes, and for (c) a distinct feed of the mean size of (c)'s answers
// (sampled from URLs (c) does not ask for); it returns that size.
func (h *harness) startBaseline() (meanSize int) {
	plain, hdr := fetch(h.base+popular, nil)
	gz, _ := fetch(h.base+popular, map[string]string{"Accept-Encoding": "gzip"})
	if len(plain) == 0 || len(gz) == 0 {
		log.Fatal("popular feed is empty")
	}
	h.etag = hdr.Get("ETag")
	plainFile, gzFile := filepath.Join(h.tmp, "body"), filepath.Join(h.tmp, "body.gz")
	must(os.WriteFile(plainFile, plain, 0o644))
	must(os.WriteFile(gzFile, gz, 0o644))
	distinctBody, meanSize := sampleDistinct(h.base, 900_000_000, 200)
	distinctFile := filepath.Join(h.tmp, "distinct")
	must(os.WriteFile(distinctFile, distinctBody, 0o644))
	log.Printf("(c): mean answer %d bytes; the baseline writes %d", meanSize, len(distinctBody))
	self, err := os.Executable()
	if err != nil {
		log.Fatal(err)
	}
	h.blAddr, h.blDbg = freeAddr(), freeAddr()
	h.bl = exec.Command(self, "baseline", "-addr", h.blAddr, "-body", plainFile, "-gz", gzFile, "-ctype", hdr.Get("Content-Type"), "-etag", h.etag,
		"-distinct", distinctFile, "-debug", h.blDbg)
	h.bl.Stderr = os.Stderr
	if err := h.bl.Start(); err != nil {
		log.Fatal(err)
	}
	waitUp("http://" + h.blAddr + "/")
	return meanSize
}

// memory logs paperfeed's memory after a phase.
func (h *harness) memory(after string) {
	pid := h.pf.Process.Pid
	log.Printf("after %s: RSS %.1f MB (anonymous %.1f MB, file-backed %.1f MB), peak %.1f MB, Go heap in use %.1f MB",
		after, mb(currentRSS(pid)), mb(procStatus(pid, "RssAnon:")), mb(procStatus(pid, "RssFile:")), mb(peakRSS(pid)), heapInUse(h.base)/(1<<20))
	log.Printf("  resident by mapping: %s", mappings(pid))
}

func (h *harness) profileOf(addr, name, path string) {
	if h.o.profiles == "" {
		return
	}
	must(os.MkdirAll(h.o.profiles, 0o755))
	b, _ := fetch("http://"+addr+path, nil)
	must(os.WriteFile(filepath.Join(h.o.profiles, name), b, 0o644))
}

// profile writes one of paperfeed's profiles.
func (h *harness) profile(name, path string) { h.profileOf(h.dbgAddr, name, path) }

// cpuProfile profiles a server (paperfeed's debug address or the
// baseline's) through the wrk run that starts now, the first round's;
// wait for it with the returned function.
func (h *harness) cpuProfile(addr, name string) (wait func()) {
	done := make(chan struct{})
	go func() {
		defer close(done)
		h.profileOf(addr, "cpu-"+name+".pprof", fmt.Sprintf("/debug/pprof/profile?seconds=%d", max(1, int(h.w.duration.Seconds())-1)))
	}()
	return func() { <-done }
}

// measure runs paperfeed and the baseline back to back, in turn first,
// each round; the ratio reported is the median of the rounds' ratios,
// which cancels most of the machine's drift.
func (h *harness) measure(name, pfURL, blURL string, headers []string) {
	defer h.memory("(" + name + ")")
	var p, b []result
	var rs []float64
	for r := 0; r < h.o.rounds; r++ {
		var pr, br result
		if r%2 == 1 {
			br = h.w.run(h.bl.Process.Pid, blURL, headers, "")
		}
		wait := func() {}
		if r == 0 {
			wait = h.cpuProfile(h.dbgAddr, name)
		}
		pr = h.w.run(h.pf.Process.Pid, pfURL, headers, "")
		wait()
		if r%2 == 0 {
			if r == 0 {
				wait = h.cpuProfile(h.blDbg, name+"-baseline")
			}
			br = h.w.run(h.bl.Process.Pid, blURL, headers, "")
			wait()
		}
		p, b = append(p, pr), append(b, br)
		rs = append(rs, pr.rps/br.rps)
	}
	h.keep(name, p, b, rs)
}

// measureDistinct is (c): distinct URLs; the script walks through them,
// rounds apart; paired with the baseline writing bytes of their mean
// size.
func (h *harness) measureDistinct() {
	var c, cb []result
	var rs []float64
	cpuWait := h.cpuProfile(h.dbgAddr, "c")
	for r := 0; r < h.o.rounds; r++ {
		script := distinctScript(h.tmp, r*100_000_000, h.o.threads)
		var pr, br result
		if r%2 == 1 {
			br = h.w.run(h.bl.Process.Pid, "http://"+h.blAddr+"/distinct", nil, "")
		}
		pr = h.w.run(h.pf.Process.Pid, h.base+"/", nil, script)
		if r%2 == 0 {
			br = h.w.run(h.bl.Process.Pid, "http://"+h.blAddr+"/distinct", nil, "")
		}
		c, cb = append(c, pr), append(cb, br)
		rs = append(rs, pr.rps/br.rps)
	}
	cpuWait()
	h.keep("c", c, cb, rs)
}

// keep records a scenario's median rounds and its ratios.
func (h *harness) keep(name string, p, b []result, rs []float64) {
	h.res[name], h.res[name+" baseline"] = median(p), median(b)
	sort.Float64s(rs)
	h.ratios[name] = rs[len(rs)/2]
	h.spread[name] = rs
}

// report writes the results table to standard output and to -out.
func (h *harness) report(papers, meanSize int, rss int64, upstreamDuring int) {
	rf := func(k string) string {
		if v, ok := h.ratios[k]; ok {
			rs := h.spread[k]
			return fmt.Sprintf("%.2f (%.2f-%.2f)", v, rs[0], rs[len(rs)-1])
		}
		return ""
	}
	res := h.res
	rows := []row{
		{"(a) popular feed, identity", res["a"], res["a baseline"], rf("a"), ">= 0.95"},
		{"(b) popular feed, gzip", res["b"], res["b baseline"], rf("b"), ">= 0.90"},
		{"(c) distinct filter URLs (misses; baseline: bytes of their mean size)", res["c"], res["c baseline"], rf("c"), ">= 0.50, all 200"},
		{"(d) conditional, 304 (baseline: full answers)", res["d"], res["d baseline"], rf("d"), ">= 1.00"},
	}
	var buf bytes.Buffer
	stateNote := "no state store"
	if h.o.month > 0 {
		stateNote = fmt.Sprintf("a state store holding %d older days of papers and history", h.o.month)
	}
	fmt.Fprintf(&buf, "Machine: %s, %d CPUs, %s; wrk -t%d -c%d -d%s, %d rounds: req/s, latency and CPU time per request (the server process's user and system time over the requests wrk counted) are the median round's, ratios the median of the rounds' paired ratios; %d papers loaded (%d HF days + %d arXiv), %s.\n\n",
		cpuModel(), runtime.NumCPU(), runtime.Version(), h.o.threads, h.o.conns, h.o.duration, h.o.rounds, papers, 7, h.o.items, stateNote)
	fmt.Fprintln(&buf, "| scenario | paperfeed req/s | p50 | p99 | CPU µs/req | baseline req/s | p50 | p99 | CPU µs/req | ratio (rounds' range) | target |")
	fmt.Fprintln(&buf, "|---|---|---|---|---|---|---|---|---|---|---|")
	for _, r := range rows {
		fmt.Fprintf(&buf, "| %s | %.0f | %s | %s | %s | %s | %s | %s | %s | %s | %s |\n", r.name, r.pf.rps, r.pf.p50, r.pf.p99, cpuUS(r.pf),
			orDash(r.bl.rps), orDashS(r.bl.p50), orDashS(r.bl.p99), cpuUS(r.bl), orDashS(r.ratio), r.target)
	}
	fmt.Fprintf(&buf, "\n(c): %d non-2xx/3xx responses, %d socket errors, %d distinct URLs in its median round, each asked for once. Mean answer of (c): %d bytes. Peak RSS of paperfeed after (c): %.1f MB (target <= 100 MB). Upstream requests during the load: %d (target 0).\n",
		res["c"].non2xx, res["c"].errors, res["c"].requests, meanSize, float64(rss)/(1<<20), upstreamDuring)
	os.Stdout.Write(buf.Bytes())
	if h.o.out != "" {
		must(os.WriteFile(h.o.out, buf.Bytes(), 0o644))
	}
}
