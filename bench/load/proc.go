package main

import (
	"fmt"
	"log"
	"os"
	"path/filepath"
	"runtime"
	"sort"
	"strconv"
	"strings"
	"time"
)

// cpuTime reads a process's user and system time from /proc (in clock
// ticks of 10 ms, the kernel's USER_HZ on Linux).
func cpuTime(pid int) time.Duration {
	b, err := os.ReadFile(fmt.Sprintf("/proc/%d/stat", pid))
	if err != nil {
		return 0
	}
	// The command name (field 2) is in parentheses and may hold spaces.
	_, rest, _ := strings.Cut(string(b), ") ")
	f := strings.Fields(rest)
	if len(f) < 13 {
		return 0
	}
	utime, _ := strconv.ParseInt(f[11], 10, 64)
	stime, _ := strconv.ParseInt(f[12], 10, 64)
	return time.Duration(utime+stime) * 10 * time.Millisecond
}

// settle waits until the process pid used under 5% of a CPU over a
// second, at most max; it returns how long it waited.
func settle(pid int, max time.Duration) time.Duration {
	t0 := time.Now()
	for time.Since(t0) < max {
		before := cpuTime(pid)
		time.Sleep(time.Second)
		if cpuTime(pid)-before < 50*time.Millisecond {
			break
		}
	}
	return time.Since(t0)
}

// currentRSS reads a process's resident set (VmRSS).
func currentRSS(pid int) int64 { return procStatus(pid, "VmRSS:") }

// mappings sums a process's resident memory by mapped file (anonymous
// memory under "[anon]"), largest first.
func mappings(pid int) string {
	b, err := os.ReadFile(fmt.Sprintf("/proc/%d/smaps", pid))
	if err != nil {
		return err.Error()
	}
	by := map[string]int64{}
	name := ""
	for _, line := range strings.Split(string(b), "\n") {
		f := strings.Fields(line)
		switch {
		case len(f) >= 5 && strings.Contains(f[0], "-"):
			name = "[anon]"
			if len(f) >= 6 {
				name = filepath.Base(f[5])
			}
		case len(f) >= 2 && f[0] == "Rss:":
			kb, _ := strconv.ParseInt(f[1], 10, 64)
			by[name] += kb << 10
		}
	}
	names := make([]string, 0, len(by))
	for n := range by {
		names = append(names, n)
	}
	sort.Slice(names, func(i, j int) bool { return by[names[i]] > by[names[j]] })
	var parts []string
	for _, n := range names[:min(len(names), 4)] {
		parts = append(parts, fmt.Sprintf("%s %.1f MB", n, mb(by[n])))
	}
	return strings.Join(parts, ", ")
}

func mb(b int64) float64 { return float64(b) / (1 << 20) }

// heapInUse reads go_memstats_heap_inuse_bytes from /metrics.
func heapInUse(base string) float64 {
	b, _ := fetch(base+"/metrics", nil)
	for _, line := range strings.Split(string(b), "\n") {
		if rest, ok := strings.CutPrefix(line, "go_memstats_heap_inuse_bytes "); ok {
			v, _ := strconv.ParseFloat(rest, 64)
			return v
		}
	}
	return 0
}

// peakRSS reads a process's high-water resident set (VmHWM).
func peakRSS(pid int) int64 { return procStatus(pid, "VmHWM:") }

func procStatus(pid int, field string) int64 {
	b, err := os.ReadFile(fmt.Sprintf("/proc/%d/status", pid))
	must(err)
	for _, line := range strings.Split(string(b), "\n") {
		if rest, ok := strings.CutPrefix(line, field); ok {
			kb, _ := strconv.ParseInt(strings.Fields(rest)[0], 10, 64)
			return kb << 10
		}
	}
	return 0
}

func cpuModel() string {
	b, err := os.ReadFile("/proc/cpuinfo")
	if err != nil {
		return runtime.GOARCH
	}
	for _, line := range strings.Split(string(b), "\n") {
		if rest, ok := strings.CutPrefix(line, "model name"); ok {
			return strings.TrimSpace(strings.TrimPrefix(strings.TrimSpace(rest), ":"))
		}
	}
	return runtime.GOARCH
}

func must(err error) {
	if err != nil {
		log.Fatal(err)
	}
}
