// Package recorded reads the real Hugging Face API recordings in the test
// data directory as papers, for tests and benchmarks.
package recorded

import (
	"fmt"
	"os"
	"path/filepath"
	"time"

	"paperfeed/feed"
	"paperfeed/scrape"
)

// File parses one daily_papers_*.json recording.
func File(dir, name string) ([]feed.Paper, error) {
	f, err := os.Open(filepath.Join(dir, name))
	if err != nil {
		return nil, err
	}
	defer f.Close()
	ps, err := scrape.ParseDailyPapersAPI(f)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", name, err)
	}
	return ps, nil
}

// All parses every daily_papers_*.json recording, in file name order.
func All(dir string) ([]feed.Paper, error) {
	files, err := filepath.Glob(filepath.Join(dir, "daily_papers_*.json"))
	if err != nil || len(files) == 0 {
		return nil, fmt.Errorf("no daily_papers recordings in %s", dir)
	}
	var out []feed.Paper
	for _, f := range files {
		ps, err := File(dir, filepath.Base(f))
		if err != nil {
			return nil, err
		}
		out = append(out, ps...)
	}
	return out, nil
}

// Derived makes n papers from the recordings: the recorded papers
// repeated with new IDs (2611.NNNNN), spread over days before newest,
// perDay papers a day. For benchmarks that need more papers than were
// recorded.
func Derived(dir string, n, perDay int, newest time.Time) ([]*feed.Paper, error) {
	base, err := All(dir)
	if err != nil {
		return nil, err
	}
	out := make([]*feed.Paper, n)
	for i := range out {
		p := base[i%len(base)].Clone()
		p.ID = fmt.Sprintf("2611.%05d", i)
		p.ListedOn = newest.AddDate(0, 0, -i/perDay)
		out[i] = &p
	}
	return out, nil
}
