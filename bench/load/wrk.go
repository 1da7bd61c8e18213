package main

import (
	"fmt"
	"log"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"sort"
	"strconv"
	"time"
)

type row struct {
	name   string
	pf, bl result
	ratio  string
	target string
}

type result struct {
	rps      float64
	p50, p99 string
	requests int
	cpu      time.Duration // the server's CPU time during the run
	non2xx   int
	errors   int
}

// cpuUS is a run's CPU time per request in µs.
func cpuUS(r result) string {
	if r.requests == 0 {
		return "-"
	}
	return fmt.Sprintf("%.1f", float64(r.cpu.Microseconds())/float64(r.requests))
}

func orDash(v float64) string {
	if v == 0 {
		return "-"
	}
	return fmt.Sprintf("%.0f", v)
}

func orDashS(s string) string {
	if s == "" {
		return "-"
	}
	return s
}

func median(rs []result) result {
	sort.Slice(rs, func(i, j int) bool { return rs[i].rps < rs[j].rps })
	m := rs[len(rs)/2]
	for _, r := range rs {
		m.non2xx = max(m.non2xx, r.non2xx)
		m.errors = max(m.errors, r.errors)
	}
	return m
}

type wrkRunner struct {
	duration       time.Duration
	conns, threads int
	tmp            string
}

var (
	rpsRe    = regexp.MustCompile(`Requests/sec:\s+([\d.]+)`)
	countRe  = regexp.MustCompile(`(\d+) requests in`)
	pctRe    = regexp.MustCompile(`(?m)^\s+(50|99)%\s+(\S+)`)
	non2xxRe = regexp.MustCompile(`Non-2xx or 3xx responses:\s+(\d+)`)
	sockRe   = regexp.MustCompile(`Socket errors: connect (\d+), read (\d+), write (\d+), timeout (\d+)`)
)

// run drives url with wrk, measuring the CPU time of the server pid.
func (w wrkRunner) run(pid int, url string, headers []string, script string) result {
	before := cpuTime(pid)
	args := []string{"-t", strconv.Itoa(w.threads), "-c", strconv.Itoa(w.conns), "-d", w.duration.String(), "--latency"}
	for _, h := range headers {
		args = append(args, "-H", h)
	}
	if script != "" {
		args = append(args, "-s", script)
	}
	args = append(args, url)
	outb, err := exec.Command("wrk", args...).CombinedOutput()
	if err != nil {
		log.Fatalf("wrk %v: %v\n%s", args, err, outb)
	}
	out := string(outb)
	r := result{cpu: cpuTime(pid) - before}
	if m := rpsRe.FindStringSubmatch(out); m != nil {
		r.rps, _ = strconv.ParseFloat(m[1], 64)
	}
	for _, m := range pctRe.FindAllStringSubmatch(out, -1) {
		if m[1] == "50" {
			r.p50 = m[2]
		} else {
			r.p99 = m[2]
		}
	}
	if m := countRe.FindStringSubmatch(out); m != nil {
		r.requests, _ = strconv.Atoi(m[1])
	}
	if m := non2xxRe.FindStringSubmatch(out); m != nil {
		r.non2xx, _ = strconv.Atoi(m[1])
	}
	if m := sockRe.FindStringSubmatch(out); m != nil {
		for _, s := range m[1:] {
			n, _ := strconv.Atoi(s)
			r.errors += n
		}
	}
	return r
}

// distinctScript writes a wrk Lua script whose every request is a URL
// not asked for before (a word no paper has, so every feed is full; a
// varying limit and source): thread t of n asks for offset+t,
// offset+t+n, offset+t+2n, ... and never wraps around.
func distinctScript(dir string, offset, threads int) string {
	path := filepath.Join(dir, fmt.Sprintf("distinct%d.lua", offset))
	src := fmt.Sprintf(`
local counter = 0
local threads = {}
function setup(thread)
  thread:set("id", #threads)
  table.insert(threads, thread)
end
function init(args)
  counter = 0
end
local sources = {"hf", "all", "arxiv"}
request = function()
  local k = %d + counter * %d + id
  counter = counter + 1
  local path = "/feed.rss?q=-zz" .. k .. "&limit=" .. (10 + k %% 40) .. "&source=" .. sources[(k %% 3) + 1]
  return wrk.format("GET", path)
end
`, offset, threads)
	must(os.WriteFile(path, []byte(src), 0o644))
	return path
}

// baseline serves one body from memory, as a server that does nothing
// else would: the bound on what paperfeed's cached path can reach.
