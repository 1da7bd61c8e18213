package scrape

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"strings"
	"time"

	"paperfeed/feed"
)

// HFClient fetches Hugging Face Daily Papers listings: the page, and
// when API is set the JSON API's view of the same period (see
// hf_views.go for how they combine).
type HFClient struct {
	// Base is the site root, "https://huggingface.co" or a stand-in.
	Base    string
	Fetcher *Fetcher // listing pages
	// API fetches /api/daily_papers, with a limiter of its own (the API
	// has its own rate bucket); nil asks the pages only.
	API *Fetcher
	// PaperAPI fetches /api/papers/{id} (PaperInfo); it shares the API's
	// rate bucket, so its limiter is API's when both are set.
	PaperAPI *Fetcher
	// Token, when set, is sent as "Authorization: Bearer" to Base's host,
	// and to no other host.
	Token string
}

// Latest fetches /papers, the newest listing day, with the API's view of
// that day. When the page fails, the API's newest day of the last week
// (from today back) serves instead.
func (c *HFClient) Latest(ctx context.Context, today time.Time) (Listing, error) {
	page, perr := c.get(ctx, "/papers", time.Time{})
	if c.API == nil {
		return page, perr
	}
	if perr == nil && !page.Date.IsZero() {
		return c.withAPI(ctx, page, nil, url.Values{"date": {page.Date.Format(time.DateOnly)}})
	}
	if perr == nil {
		return page, nil // a week or month view: the caller asks for today's day
	}
	// The API without a date answers the newest listing; its items say
	// their day. Failing that, ask for the last week's days in turn.
	api, aerr := c.apiListing(ctx, url.Values{}, time.Time{})
	if aerr == nil {
		if d := newestListed(api); !d.IsZero() {
			return c.apiOnly(listedOn(api, d), perr, d, PeriodDay), nil
		}
	}
	for d := today; aerr == nil || errors.Is(aerr, ErrEmptyListing); d = d.AddDate(0, 0, -1) {
		if d.Before(today.AddDate(0, 0, -6)) {
			break
		}
		if api, aerr = c.apiListing(ctx, url.Values{"date": {d.Format(time.DateOnly)}}, d); aerr == nil {
			return c.apiOnly(api, perr, d, PeriodDay), nil
		}
	}
	return Listing{}, bothFailed(perr, aerr)
}

// Day fetches the listing of one day. The page's own date may be earlier
// than day (weekends and holidays show the previous papers-day); the API
// is asked for the page's own date.
func (c *HFClient) Day(ctx context.Context, day time.Time) (Listing, error) {
	page, perr := c.get(ctx, "/papers/date/"+day.Format(time.DateOnly), day)
	if c.API == nil {
		return page, perr
	}
	on := day
	if perr == nil && !page.Date.IsZero() {
		on = page.Date
	}
	return c.withAPI(ctx, page, perr, url.Values{"date": {on.Format(time.DateOnly)}})
}

// newestListed is the newest listing day the papers state.
func newestListed(ps []feed.Paper) time.Time {
	var d time.Time
	for _, p := range ps {
		if p.ListedOn.After(d) {
			d = p.ListedOn
		}
	}
	return d
}

// listedOn keeps the papers listed on a day.
func listedOn(ps []feed.Paper, d time.Time) []feed.Paper {
	out := ps[:0:0]
	for _, p := range ps {
		if p.ListedOn.Equal(d) {
			out = append(out, p)
		}
	}
	return out
}

// withAPI adds the API's view of a period to a page fetch (page, perr).
func (c *HFClient) withAPI(ctx context.Context, page Listing, perr error, q url.Values) (Listing, error) {
	day, _ := time.Parse(time.DateOnly, q.Get("date"))
	api, aerr := c.apiListing(ctx, q, day)
	switch {
	case perr == nil && aerr == nil:
		page.Papers = MergeViews(page.Papers, api)
		page.View = ViewBoth
		return page, nil
	case perr == nil:
		page.View, page.APIErr = ViewPage, aerr
		return page, nil
	case aerr == nil:
		kind := PeriodDay
		if q.Has("week") {
			kind = PeriodWeek
		} else if q.Has("month") {
			kind = PeriodMonth
		}
		return c.apiOnly(api, perr, day, kind), nil
	}
	return Listing{}, bothFailed(perr, aerr)
}

func (c *HFClient) apiOnly(api []feed.Paper, perr error, day time.Time, kind string) Listing {
	l := Listing{Period: kind, Papers: api, View: ViewAPI, PageErr: perr}
	if kind == PeriodDay {
		l.Date = day
		feed.FillListedOn(l.Papers, day)
	}
	return l
}

// bothFailed keeps both causes; the page's comes first, so a throttled
// page still reads as throttled.
func bothFailed(perr, aerr error) error {
	if aerr == nil {
		return perr
	}
	return &ViewsError{Page: perr, API: aerr}
}

// ViewsError is a listing neither view could serve, with each view's
// own error.
type ViewsError struct{ Page, API error }

func (e *ViewsError) Error() string {
	return fmt.Sprintf("%v (and the API: %v)", e.Page, e.API)
}

func (e *ViewsError) Unwrap() []error { return []error{e.Page, e.API} }

// apiListing fetches /api/daily_papers?q. An answer with no paper is
// ErrEmptyListing.
func (c *HFClient) apiListing(ctx context.Context, q url.Values, day time.Time) ([]feed.Paper, error) {
	u := strings.TrimRight(c.Base, "/") + "/api/daily_papers?" + q.Encode()
	resp, err := c.API.Get(ctx, u, c.auth(u))
	if err != nil {
		return nil, err
	}
	ps, err := ParseDailyPapersAPI(bytes.NewReader(resp.Body))
	if err != nil {
		return nil, fmt.Errorf("GET %s: %w", feed.RedactURL(u), err)
	}
	if len(ps) == 0 {
		return nil, fmt.Errorf("GET %s: %w", feed.RedactURL(u), ErrEmptyListing)
	}
	if !day.IsZero() {
		feed.FillListedOn(ps, day)
	}
	return ps, nil
}

// auth is the Authorization header for a URL: the token, for Base's host
// only.
func (c *HFClient) auth(u string) http.Header {
	if c.Token == "" {
		return nil
	}
	base, err1 := url.Parse(c.Base)
	target, err2 := url.Parse(u)
	if err1 != nil || err2 != nil || !strings.EqualFold(base.Host, target.Host) || base.Scheme != target.Scheme {
		return nil
	}
	return http.Header{"Authorization": {"Bearer " + c.Token}}
}

// Period fetches a week ("week/2026-W47") or month ("month/2026-11")
// listing, or a day ("day/2024-08-01").
func (c *HFClient) Period(ctx context.Context, key string) (Listing, error) {
	per, err := feed.ParsePeriod(key) // only a well-formed key becomes a URL
	if err != nil {
		return Listing{}, err
	}
	if per.Kind == PeriodDay {
		return c.Day(ctx, per.From)
	}
	l, err := c.get(ctx, "/papers/"+per.Kind+"/"+per.Value, time.Time{})
	if err == nil && l.Period == "" {
		l.Period = per.Kind
	}
	if c.API == nil {
		return l, err
	}
	return c.withAPI(ctx, l, err, url.Values{per.Kind: {per.Value}})
}

func (c *HFClient) get(ctx context.Context, path string, requested time.Time) (Listing, error) {
	url := strings.TrimRight(c.Base, "/") + path
	resp, err := c.Fetcher.Get(ctx, url, c.auth(url))
	if err != nil {
		return Listing{}, err
	}
	l, err := ParseListing(bytes.NewReader(resp.Body))
	if err != nil {
		return Listing{}, fmt.Errorf("GET %s: %w", feed.RedactURL(url), err)
	}
	if l.Date.IsZero() && (l.Period == "" || l.Period == PeriodDay) && !requested.IsZero() {
		// Cards carry no date: the page is the day that was asked for.
		l.Date = requested
	}
	feed.FillListedOn(l.Papers, l.Date)
	return l, nil
}
