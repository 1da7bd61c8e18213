package main

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"time"

	"paperfeed/feed"
	"paperfeed/filter"
	"paperfeed/internal/refresh"
)

// feedRequest is what a route asks of serveFeed.
type feedRequest struct {
	// format is fixed by the route (/feed.rss), or "" when the format
	// parameter chooses it (RSS by default).
	format feed.Format
	// topic, when set, is a saved filter the request's parameters add to;
	// the self link repeats only the request's own parameters.
	topic *topic
	// rsshubPath reads RSSHub's path segments (/{period}/{min_upvotes}).
	rsshubPath bool
}

// feedHandler serves a feed route.
func (a *app) feedHandler(fr feedRequest) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { a.serveFeed(w, r, fr) })
}

// topicHandler serves /topics/NAME.rss|.atom|.json: the topic's saved
// filter, with any parameters of the request on top.
func (a *app) topicHandler(w http.ResponseWriter, r *http.Request) {
	file := r.PathValue("file")
	name, ext, _ := strings.Cut(file, ".")
	f, okFormat := feed.ParseFormat(ext)
	t, okTopic := a.topic(name)
	if !okFormat || !okTopic {
		names := make([]string, len(a.topics))
		for i, t := range a.topics {
			names[i] = t.Name
		}
		http.Error(w, fmt.Sprintf("404 no topic feed %q: topics are %s, each as .rss, .atom or .json", file, strings.Join(names, ", ")), http.StatusNotFound)
		return
	}
	a.serveFeed(w, r, feedRequest{format: f, topic: &t})
}

// serveFeed is where every feed route ends: the fast path for a URL
// already answered, else parse and validate, wait for the data, filter,
// render (cached), and answer with validators.
func (a *app) serveFeed(w http.ResponseWriter, r *http.Request, fr feedRequest) {
	f := fr.format
	if sw, ok := w.(*statusWriter); ok {
		defer func() { sw.format = string(f) }()
	}
	v := a.store.View()
	if fr.topic == nil && a.isReady() {
		if key, ok := a.cache.alias(rawKey(fr.format, r, a.baseURL(r)), v.Version); ok {
			if rr, ok := a.cache.get(key); ok {
				a.metrics.cacheHit.Inc()
				f = rr.format
				serveRendered(w, r, rr, a.feedCacheControl)
				return
			}
		}
	}
	// Past the fast path, waits (first load, a past listing, a render
	// slot) are bounded by the request timeout.
	ctx, cancel := context.WithTimeout(r.Context(), a.cfg.RequestTimeout)
	defer cancel()
	r = r.WithContext(ctx)
	q, selfQuery, err := a.parseFeedQuery(r, fr, v)
	if err == nil {
		f, err = chooseFormat(fr.format, q.Format)
	}
	if err != nil {
		badRequest(w, f, err)
		return
	}
	if ok, st := a.refresh.WaitLoaded(r.Context(), q.Source, a.cfg.StartupWait); !ok {
		msg, retry := notLoaded(q.Source, st, a.now())
		unavailable(w, f, msg, retry)
		return
	}
	base := a.baseURL(r)
	self := base + r.URL.Path
	if fr.format == "" && f != feed.RSS {
		selfQuery = joinQuery(selfQuery, "format="+string(f))
	}
	if selfQuery != "" {
		self += "?" + selfQuery
	}
	if err := a.resolveSeeds(r, &q); err != nil {
		var fe *filter.Error
		if errors.As(err, &fe) {
			badRequest(w, f, err)
		} else {
			unavailable(w, f, err.Error(), retryAfterFor(err))
		}
		return
	}
	v = a.store.View()
	ix, stamp, err := a.papersFor(r.Context(), &q, v)
	if err != nil {
		unavailable(w, f, "could not load that listing from Hugging Face: "+err.Error(), retryAfterFor(err))
		return
	}
	job := renderJob{format: f, query: q, index: ix, view: v, base: base, self: self, title: q.Title()}
	if fr.topic != nil {
		job.title = topicTitle(fr.topic.Name, q) // the topic's name first, as in the OPML file
	}
	job.key = string(f) + "|" + r.URL.Path + "|" + q.Canonical() + "|" + stamp + "|" + self
	if q.FilterTime > 0 {
		job.key += "|" + a.today().Format(time.DateOnly) // its window moves with the clock
	}
	if q.Rising() {
		job.key += "|" + a.now().UTC().Truncate(risingStep).Format(time.RFC3339) // gains move with the clock
	}
	if q.Digest != "" {
		listings, err := a.digestListings(r.Context(), q, v)
		if err != nil {
			unavailable(w, f, "getting the Hugging Face listings this digest needs: "+err.Error(), retryAfterFor(err))
			return
		}
		job.key += "|" + listings
	}
	rr, ok := a.cache.get(job.key)
	if ok {
		a.metrics.cacheHit.Inc()
	} else {
		a.metrics.cacheMiss.Inc()
		if rr, err = a.render(r.Context(), job); err != nil {
			// Always an answer, even to a client that left: never an
			// empty 200.
			var fe *filter.Error
			switch {
			case errors.As(err, &fe):
				badRequest(w, f, err)
			case errors.Is(err, context.DeadlineExceeded) || errors.Is(err, context.Canceled):
				unavailable(w, f, "this feed took too long to build; try again in a moment", 5*time.Second)
			default:
				unavailable(w, f, err.Error(), 2*time.Second)
			}
			return
		}
	}
	if fr.topic == nil && (q.Period() == "" || q.Source == feed.SourceArxiv) && q.FilterTime == 0 && !q.Rising() && q.Digest == "" {
		// The rolling window's data is the view alone: later requests
		// written the same way skip parsing (see aliasMap).
		a.cache.putAlias(rawKey(fr.format, r, base), v.Version, job.key)
	}
	serveRendered(w, r, rr, a.feedCacheControl)
}

// parseFeedQuery reads a feed request's filter and the canonical query
// its self link repeats.
func (a *app) parseFeedQuery(r *http.Request, fr feedRequest, v *feed.View) (q filter.Query, selfQuery string, err error) {
	opts := a.filterOptions(v)
	own, err := filter.ParseRawQuery(r.URL.RawQuery)
	if err != nil {
		return q, "", err
	}
	values := own
	if fr.topic != nil {
		values, _ = url.ParseQuery(fr.topic.Query) // validated when the topics were loaded
		for k, vs := range own {
			for tk := range values { // names are case-insensitive: replace, not repeat
				if strings.EqualFold(tk, k) {
					delete(values, tk)
				}
			}
			values[k] = vs
		}
	}
	if q, err = filter.Parse(values, opts); err != nil {
		return q, "", err
	}
	selfQuery = q.Canonical()
	if fr.topic != nil {
		sq, _ := filter.Parse(own, opts) // own parameters passed above, inside values
		selfQuery = sq.Canonical()
	}
	if fr.rsshubPath {
		err = rsshubPath(r, &q, a.today())
	}
	return q, selfQuery, err
}

var errBusy = errors.New("server busy rendering feeds; try again in a moment")

// resolveSeeds finds the seed papers of like=: held, or looked up on
// arXiv. An ID arXiv does not have is a *filter.Error (400); arXiv
// unreachable or the look-up budget spent is an error for a 503.
func (a *app) resolveSeeds(r *http.Request, q *filter.Query) error {
	if len(q.Like) == 0 {
		return nil
	}
	ctx := refresh.WithClient(r.Context(), a.clientAddr(r)) // look-ups a client may cause are bounded
	seeds, err := a.refresh.Seeds(ctx, q.Like)
	var unknown *refresh.ErrUnknownPapers
	switch {
	case errors.As(err, &unknown):
		return &filter.Error{Param: "like", Value: strings.Join(unknown.IDs, ","),
			Reason: "arXiv has no paper with this ID; check it, or leave it out"}
	case err != nil:
		return fmt.Errorf("could not look up the papers of like= on arXiv: %w", err)
	}
	q.Seeds = seeds
	return nil
}

// risingStep is how often a feed that reads gains (trending, min_gain)
// is rendered anew without a data change: gains move with the clock.
const risingStep = 10 * time.Minute

// withRenderSlot runs fn holding one of the MaxRenders slots that bound
// the CPU spent filtering and rendering at once; it waits for a slot at
// most 2 seconds (errBusy).
func (a *app) withRenderSlot(ctx context.Context, fn func() error) error {
	wait, cancel := context.WithTimeout(ctx, 2*time.Second)
	defer cancel()
	select {
	case a.renders <- struct{}{}:
	case <-wait.Done():
		if err := ctx.Err(); err != nil {
			return err // the client left while waiting: not a busy server
		}
		return errBusy
	}
	defer func() { <-a.renders }()
	return fn()
}

// renderJob is one feed to render on a cache miss.
type renderJob struct {
	key        string // render cache key
	format     feed.Format
	query      filter.Query
	index      *filter.Index // the papers to filter
	view       *feed.View    // the data they come from
	base, self string        // public base URL and the feed's self link
	title      string        // the feed's title
}

// render builds a response for a cache miss: one render per key however
// many requests miss at once, in a render slot.
func (a *app) render(ctx context.Context, job renderJob) (*rendered, error) {
	res, err, _ := a.renderFlight.Do(job.key, func() (any, error) {
		var items []feed.Item
		err := a.withRenderSlot(ctx, func() error {
			var err error
			if job.query.Digest != "" {
				items, err = a.digests(ctx, job)
			} else {
				items, err = job.query.Apply(ctx, job.index, a.now())
			}
			return err
		})
		if err != nil {
			return nil, err
		}
		// Last-Modified: the newest change of the feed's items (or the
		// newest item date); an empty feed, or one of past listings the
		// store never changed, takes the data's newest change.
		var modified time.Time
		for i := range items {
			it := &items[i]
			if it.Paper != nil && it.Paper.Changed.After(modified) {
				modified = it.Paper.Changed
			}
			if it.Date.After(modified) {
				modified = it.Date
			}
		}
		if modified.IsZero() {
			modified = job.view.Changed
		}
		meta := feed.Meta{
			Title:       job.title,
			Description: job.query.Description(),
			HomeURL:     pageURL(job.base, job.query.Canonical()),
			SelfURL:     job.self,
			Updated:     modified,
		}
		var buf bytes.Buffer
		buf.Grow(feed.SizeHint(items))
		if err := feed.Render(&buf, job.format, meta, items); err != nil {
			return nil, fmt.Errorf("render feed: %w", err)
		}
		rr := newRendered(buf.Bytes(), job.format, modified)
		a.cache.put(job.key, rr)
		entries, size := a.cache.stats()
		a.metrics.cacheSize.WithLabelValues("entries").Set(float64(entries))
		a.metrics.cacheSize.WithLabelValues("bytes").Set(float64(size))
		return rr, nil
	})
	if err != nil {
		return nil, err
	}
	return res.(*rendered), nil
}

func chooseFormat(route feed.Format, param string) (feed.Format, error) {
	if route == "" {
		if param == "" {
			return feed.RSS, nil
		}
		f, _ := feed.ParseFormat(param)
		return f, nil
	}
	if param != "" && feed.Format(param) != route {
		return route, &filter.Error{Param: "format", Value: param, Reason: fmt.Sprintf("conflicts with the route, which serves %s; drop format or use /feed?format=%s", route, param)}
	}
	return route, nil
}

// rsshubPath reads RSSHub's /huggingface/daily-papers/{period}/{min}:
// period "date" is the newest listing day, "week" this ISO week, "month"
// this month; min is a minimum upvote count.
func rsshubPath(r *http.Request, q *filter.Query, today time.Time) error {
	switch p := r.PathValue("period"); p {
	case "":
	case "date", "day":
		if q.Period() == "" && q.Days == 0 {
			q.Days = 1
		}
	case "week":
		if q.Period() == "" {
			y, w := today.ISOWeek()
			q.Week = fmt.Sprintf("%04d-W%02d", y, w)
		}
	case "month":
		if q.Period() == "" {
			q.Month = today.Format("2006-01")
		}
	default:
		return &filter.Error{Param: "period", Value: p, Reason: "path segment must be date, week or month, as in /huggingface/daily-papers/week/20"}
	}
	if m := r.PathValue("min_upvotes"); m != "" {
		n, err := strconv.Atoi(m)
		if err != nil || n < 0 || n > 1_000_000_000 {
			return &filter.Error{Param: "min_upvotes", Value: m, Reason: "path segment must be a whole number of upvotes, 0 or more, as in /huggingface/daily-papers/week/20"}
		}
		q.SetUpvotesFloor(n)
	}
	return nil
}
