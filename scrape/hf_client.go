package scrape

import (
	"bytes"
	"context"
	"fmt"
	"strings"
	"time"

	"paperfeed/feed"
)

// HFClient fetches Hugging Face Daily Papers listing pages.
type HFClient struct {
	// Base is the site root, "https://huggingface.co" or a stand-in.
	Base    string
	Fetcher *Fetcher
}

// Latest fetches /papers, the newest listing day.
func (c *HFClient) Latest(ctx context.Context) (Listing, error) {
	return c.get(ctx, "/papers", time.Time{})
}

// Day fetches the listing of one day. The page's own date may be earlier
// than day (weekends and holidays show the previous papers-day).
func (c *HFClient) Day(ctx context.Context, day time.Time) (Listing, error) {
	return c.get(ctx, "/papers/date/"+day.Format(time.DateOnly), day)
}

// Period fetches a week ("week/2026-W47") or month ("month/2026-11")
// listing, or a day ("day/2024-08-01").
func (c *HFClient) Period(ctx context.Context, key string) (Listing, error) {
	kind, val, _ := strings.Cut(key, "/")
	switch kind {
	case PeriodDay:
		d, err := time.Parse(time.DateOnly, val)
		if err != nil {
			return Listing{}, fmt.Errorf("period %q: %w", key, err)
		}
		return c.Day(ctx, d)
	case PeriodWeek, PeriodMonth:
		l, err := c.get(ctx, "/papers/"+kind+"/"+val, time.Time{})
		if err == nil && l.Period == "" {
			l.Period = kind
		}
		return l, err
	}
	return Listing{}, fmt.Errorf("unknown period %q", key)
}

func (c *HFClient) get(ctx context.Context, path string, requested time.Time) (Listing, error) {
	url := strings.TrimRight(c.Base, "/") + path
	resp, err := c.Fetcher.Get(ctx, url, nil)
	if err != nil {
		return Listing{}, err
	}
	l, err := ParseListing(bytes.NewReader(resp.Body))
	if err != nil {
		return Listing{}, fmt.Errorf("GET %s: %w", url, err)
	}
	if l.Date.IsZero() && (l.Period == "" || l.Period == PeriodDay) && !requested.IsZero() {
		// Cards carry no date: the page is the day that was asked for.
		l.Date = requested
	}
	feed.FillListedOn(l.Papers, l.Date)
	return l, nil
}
