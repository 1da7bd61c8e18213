package main

import (
	"bufio"
	_ "embed"
	"fmt"
	"io"
	"net/url"
	"os"
	"regexp"
	"strings"
	"time"

	"paperfeed/filter"
)

// defaultTopics ships with the binary; a -topics file replaces it.
//
//go:embed web/topics.txt
var defaultTopics string

// topic is a named, saved filter served at /topics/NAME.{rss,atom,json}.
type topic struct {
	Name  string
	Query string // canonical query string
	Title string
}

var topicName = regexp.MustCompile(`^[a-z0-9][a-z0-9-]{0,39}$`)

// loadTopics reads the topics file (or the built-in one when path is
// empty). Format: one "name: query-string" per line; blank lines and
// lines starting with # are ignored. Every filter is validated.
func loadTopics(path string) ([]topic, error) {
	var r io.Reader = strings.NewReader(defaultTopics)
	src := "built-in topics"
	if path != "" {
		f, err := os.Open(path)
		if err != nil {
			return nil, fmt.Errorf("topics file: %w", err)
		}
		defer f.Close()
		r, src = f, path
	}
	return parseTopics(r, src)
}

func parseTopics(r io.Reader, src string) ([]topic, error) {
	var out []topic
	seen := map[string]bool{}
	sc := bufio.NewScanner(r)
	opts := filter.Options{Today: time.Now().UTC().Truncate(24 * time.Hour), Earliest: earliestListing, MaxDays: 60}
	for n := 1; sc.Scan(); n++ {
		line := strings.TrimSpace(sc.Text())
		if line == "" || strings.HasPrefix(line, "#") {
			continue
		}
		name, query, ok := strings.Cut(line, ":")
		name, query = strings.TrimSpace(name), strings.TrimSpace(query)
		if !ok || !topicName.MatchString(name) {
			return nil, fmt.Errorf("%s line %d: want \"name: filter\" with a name of lower-case letters, digits and dashes, got %q", src, n, line)
		}
		if seen[name] {
			return nil, fmt.Errorf("%s line %d: topic %q is defined twice", src, n, name)
		}
		v, err := url.ParseQuery(strings.TrimPrefix(query, "?"))
		if err != nil {
			return nil, fmt.Errorf("%s line %d (%s): %w", src, n, name, err)
		}
		if v.Has("since") || v.Has("until") {
			return nil, fmt.Errorf("%s line %d (%s): since and until expire; use days", src, n, name)
		}
		q, err := filter.Parse(v, opts)
		if err != nil {
			return nil, fmt.Errorf("%s line %d (%s): %w", src, n, name, err)
		}
		seen[name] = true
		out = append(out, topic{Name: name, Query: q.Canonical(), Title: q.Title()})
	}
	if err := sc.Err(); err != nil {
		return nil, fmt.Errorf("%s: %w", src, err)
	}
	return out, nil
}

func (a *app) topic(name string) (topic, bool) {
	for _, t := range a.topics {
		if t.Name == name {
			return t, true
		}
	}
	return topic{}, false
}
