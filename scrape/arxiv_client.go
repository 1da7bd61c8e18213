package scrape

import (
	"bytes"
	"context"
	"fmt"
	"maps"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"sync"
	"time"

	"paperfeed/feed"
)

// ArxivClient fetches arXiv's category feeds and API. Give its Fetcher a
// Limiter shared by everything that talks to arXiv: arXiv asks for one
// request every 3 seconds, one connection at a time, from a client's
// whole traffic.
type ArxivClient struct {
	RSSBase string // "https://rss.arxiv.org"
	APIURL  string // "https://export.arxiv.org/api/query"
	Fetcher *Fetcher

	mu         sync.Mutex
	validators map[string][2]string // url -> ETag, Last-Modified
}

// FeedResult is one fetch of a category feed.
type FeedResult struct {
	Feed        ArxivFeed
	NotModified bool          // 304: nothing new since the last fetch
	MaxAge      time.Duration // the answer's Cache-Control max-age, 0 if none
}

// FeedURL is the combined RSS feed of the categories (cs.AI+cs.CL+...).
func (c *ArxivClient) FeedURL(categories []string) string {
	return strings.TrimRight(c.RSSBase, "/") + "/rss/" + strings.Join(categories, "+")
}

// Feed fetches the combined category feed, conditionally when an earlier
// answer gave validators.
func (c *ArxivClient) Feed(ctx context.Context, categories []string) (FeedResult, error) {
	u := c.FeedURL(categories)
	hdr := http.Header{}
	c.mu.Lock()
	if v, ok := c.validators[u]; ok {
		if v[0] != "" {
			hdr.Set("If-None-Match", v[0])
		}
		if v[1] != "" {
			hdr.Set("If-Modified-Since", v[1])
		}
	}
	c.mu.Unlock()
	resp, err := c.Fetcher.Get(ctx, u, hdr)
	if err != nil {
		return FeedResult{}, err
	}
	res := FeedResult{MaxAge: maxAge(resp.Header.Get("Cache-Control"))}
	if resp.NotModified() {
		res.NotModified = true
		return res, nil
	}
	f, err := ParseArxivFeed(bytes.NewReader(resp.Body))
	if err != nil {
		return FeedResult{}, fmt.Errorf("GET %s: %w", feed.RedactURL(u), err)
	}
	res.Feed = f
	c.mu.Lock()
	if c.validators == nil {
		c.validators = map[string][2]string{}
	}
	c.validators[u] = [2]string{resp.Header.Get("ETag"), resp.Header.Get("Last-Modified")}
	c.mu.Unlock()
	return res, nil
}

// MaxLookup is the most IDs one API request asks for.
const MaxLookup = 100

// Lookup fetches papers by ID from the arXiv API (at most MaxLookup).
func (c *ArxivClient) Lookup(ctx context.Context, ids []string) ([]feed.Paper, error) {
	if len(ids) > MaxLookup {
		return nil, fmt.Errorf("lookup of %d IDs: at most %d per request", len(ids), MaxLookup)
	}
	q := url.Values{"id_list": {strings.Join(ids, ",")}, "max_results": {strconv.Itoa(len(ids))}}
	u := c.APIURL + "?" + q.Encode()
	resp, err := c.Fetcher.Get(ctx, u, nil)
	if err != nil {
		return nil, err
	}
	ps, err := ParseArxivAPI(bytes.NewReader(resp.Body))
	if err != nil {
		return nil, fmt.Errorf("GET %s: %w", feed.RedactURL(u), err)
	}
	return ps, nil
}

// maxAge reads max-age from a Cache-Control header.
func maxAge(cc string) time.Duration {
	for _, d := range strings.Split(cc, ",") {
		k, v, ok := strings.Cut(strings.TrimSpace(d), "=")
		if ok && strings.EqualFold(k, "max-age") {
			if n, err := strconv.Atoi(strings.Trim(v, `"`)); err == nil && n > 0 {
				return time.Duration(n) * time.Second
			}
		}
	}
	return 0
}

// Validators returns the ETag and Last-Modified of each feed URL fetched,
// for a state that outlives the process.
func (c *ArxivClient) Validators() map[string][2]string {
	c.mu.Lock()
	defer c.mu.Unlock()
	return maps.Clone(c.validators)
}

// SetValidators restores validators saved by Validators.
func (c *ArxivClient) SetValidators(v map[string][2]string) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.validators = maps.Clone(v)
}
