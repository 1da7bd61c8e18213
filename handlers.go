package main

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"time"

	"paperfeed/feed"
	"paperfeed/filter"
)

// pathRule adjusts a query from path segments (RSSHub routes).
type pathRule func(r *http.Request, q *filter.Query, today time.Time) error

// feedHandler serves one feed route. format is fixed by the route, or ""
// when the format parameter chooses it (RSS by default).
func (a *app) feedHandler(format feed.Format, rule pathRule) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		a.serveFeed(w, r, nil, format, rule, nil)
	})
}

// serveFeed answers a feed request for the parameters in values (nil:
// the request's query, parsed only when needed). extra, when not nil, is
// the part of the query the self link repeats (topics keep their own
// filter out of it).
func (a *app) serveFeed(w http.ResponseWriter, r *http.Request, values url.Values, format feed.Format, rule pathRule, extra url.Values) {
	f := format
	if sw, ok := w.(*statusWriter); ok {
		defer func() { sw.format = string(f) }()
	}
	v := a.store.View()
	if extra == nil && a.isReady() {
		if key, ok := a.aliases.get(rawKey(format, r, a.baseURL(r)), v.Version); ok {
			if rr, ok := a.cache.get(key); ok {
				a.metrics.cacheHit.Inc()
				f = rr.format
				serveRendered(w, r, rr, a.cc)
				return
			}
		}
	}
	// Past the fast path, waits (first load, a past listing, a render
	// slot) are bounded by the request timeout.
	ctx, cancel := context.WithTimeout(r.Context(), a.cfg.RequestTimeout)
	defer cancel()
	r = r.WithContext(ctx)
	opts := a.filterOptions(v)
	var err error
	if values == nil {
		values, err = filter.ParseRawQuery(r.URL.RawQuery)
	}
	var q filter.Query
	if err == nil {
		q, err = filter.Parse(values, opts)
	}
	if err == nil {
		f, err = chooseFormat(format, q.Format)
	}
	selfQuery := q.Canonical()
	if err == nil && extra != nil {
		sq, _ := filter.Parse(extra, opts)
		selfQuery = sq.Canonical()
	}
	if err == nil && rule != nil {
		err = rule(r, &q, a.today())
	}
	if err != nil {
		badRequest(w, f, err)
		return
	}
	if !a.waitReady(r.Context(), q.Source) {
		unavailable(w, f, notLoadedMessage(q.Source), 10*time.Second)
		return
	}
	base := a.baseURL(r)
	self := base + r.URL.Path
	if format == "" && f != feed.RSS {
		selfQuery = joinQuery(selfQuery, "format="+string(f))
	}
	if selfQuery != "" {
		self += "?" + selfQuery
	}
	v = a.store.View()
	src, stamp, err := a.papersFor(r.Context(), q, v)
	if err != nil {
		unavailable(w, f, "could not load that listing from Hugging Face: "+err.Error(), retryAfterFor(err))
		return
	}
	key := string(f) + "|" + r.URL.Path + "|" + q.Canonical() + "|" + stamp + "|" + self
	if q.FilterTime > 0 {
		key += "|" + a.today().Format(time.DateOnly) // its window moves with the clock
	}
	rr, ok := a.cache.get(key)
	if ok {
		a.metrics.cacheHit.Inc()
	} else {
		a.metrics.cacheMiss.Inc()
	}
	if !ok {
		rr, err = a.render(r.Context(), key, f, q, src, v, base, self)
		if err != nil {
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
	if (q.Period() == "" || q.Source == filter.SourceArxiv) && q.FilterTime == 0 {
		// The rolling window's data is the view alone: later requests
		// written the same way skip parsing (see aliasMap).
		a.aliases.put(rawKey(format, r, base), v.Version, key)
	}
	serveRendered(w, r, rr, a.cc)
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
	values, _ := url.ParseQuery(t.Query) // validated when the topics were loaded
	extra, err := filter.ParseRawQuery(r.URL.RawQuery)
	if err != nil {
		badRequest(w, f, err)
		return
	}
	for k, vs := range extra {
		for tk := range values { // names are case-insensitive: replace, not repeat
			if strings.EqualFold(tk, k) {
				delete(values, tk)
			}
		}
		values[k] = vs
	}
	a.serveFeed(w, r, values, f, nil, extra)
}

var errBusy = errors.New("server busy rendering feeds; try again in a moment")

// withRenderSlot runs fn holding one of the MaxRenders slots that bound
// the CPU spent filtering and rendering at once; it waits for a slot at
// most 2 seconds (errBusy).
func (a *app) withRenderSlot(ctx context.Context, fn func() error) error {
	wait, cancel := context.WithTimeout(ctx, 2*time.Second)
	defer cancel()
	select {
	case a.renders <- struct{}{}:
	case <-wait.Done():
		return errBusy
	}
	defer func() { <-a.renders }()
	return fn()
}

// render builds a response for a cache miss: one render per key however
// many requests miss at once, and at most MaxRenders renders at a time.
func (a *app) render(ctx context.Context, key string, f feed.Format, q filter.Query, ix *filter.Index, v *feed.View, base, self string) (*rendered, error) {
	res, err, _ := a.flight.Do("render/"+key, func() (any, error) {
		var papers []*feed.Paper
		err := a.withRenderSlot(ctx, func() error {
			var err error
			papers, err = q.Apply(ctx, ix, a.now())
			return err
		})
		if err != nil {
			return nil, err
		}
		// Last-Modified: the newest change of the feed's items; an empty
		// feed, or one of past listings the store never changed, takes the
		// data's newest change.
		var modified time.Time
		for _, p := range papers {
			if p.Changed.After(modified) {
				modified = p.Changed
			}
		}
		if modified.IsZero() {
			modified = v.Changed
		}
		meta := feed.Meta{
			Title:       q.Title(),
			Description: q.Description(),
			HomeURL:     base + "/" + queryPart(q.Canonical()),
			SelfURL:     self,
			Updated:     modified,
		}
		var buf bytes.Buffer
		buf.Grow(feed.SizeHint(papers))
		if err := feed.Render(&buf, f, meta, papers); err != nil {
			return nil, fmt.Errorf("render feed: %w", err)
		}
		rr := newRendered(buf.Bytes(), f.ContentType(), modified)
		rr.format = f
		a.cache.put(key, rr)
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

// papersFor picks the papers a query filters: the rolling window, or a
// past listing (date, week, month) fetched from Hugging Face on demand.
// stamp identifies the data version for the render cache.
func (a *app) papersFor(ctx context.Context, q filter.Query, v *feed.View) (*filter.Index, string, error) {
	stamp := strconv.FormatUint(v.Version, 10)
	period := q.Period()
	if period == "" || q.Source == filter.SourceArxiv {
		return a.index(v), stamp, nil
	}
	from, to := q.PeriodRange()
	if from.Equal(to) && heldDay(v.HFDays, from) {
		return a.index(v), stamp, nil
	}
	return a.periods.index(ctx, period, from, to, q.Source, v)
}

func heldDay(days []time.Time, d time.Time) bool {
	for _, x := range days {
		if x.Equal(d) {
			return true
		}
	}
	return false
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

// validHost accepts a Host header made of name, IPv4 or bracketed IPv6
// characters and an optional port, so a forged Host cannot inject markup
// into self links.
func validHost(h string) bool {
	if h == "" || len(h) > 260 {
		return false
	}
	for i := 0; i < len(h); i++ {
		c := h[i]
		if !('a' <= c && c <= 'z' || 'A' <= c && c <= 'Z' || '0' <= c && c <= '9' || c == '.' || c == '-' || c == ':' || c == '[' || c == ']') {
			return false
		}
	}
	return true
}

// baseURL is the public root of the service: the configured one, else
// the request's scheme and Host, or, with -trust-proxy, the proxy's
// X-Forwarded-Proto and X-Forwarded-Host (a malformed host falls back to
// localhost).
func (a *app) baseURL(r *http.Request) string {
	if a.cfg.BaseURL != "" {
		return a.cfg.BaseURL
	}
	scheme := "http"
	if r.TLS != nil {
		scheme = "https"
	}
	host := r.Host
	if a.cfg.TrustProxy {
		// Only a proxy the operator put in front may say how the client
		// reached it; anyone else could poison self links.
		if p := r.Header.Get("X-Forwarded-Proto"); p == "https" || p == "http" {
			scheme = p
		}
		if h := r.Header.Get("X-Forwarded-Host"); h != "" {
			host = strings.TrimSpace(strings.Split(h, ",")[0])
		}
	}
	if !validHost(host) {
		host = "localhost"
	}
	return scheme + "://" + host
}

func queryPart(q string) string {
	if q == "" {
		return ""
	}
	return "?" + q
}

func joinQuery(a, b string) string {
	if a == "" {
		return b
	}
	return a + "&" + b
}

// badRequest answers 400 with the filter's message, as JSON for JSON
// feeds and plain text otherwise.
func badRequest(w http.ResponseWriter, f feed.Format, err error) {
	var fe *filter.Error
	body := map[string]any{"error": err.Error()}
	if errors.As(err, &fe) {
		body["param"] = fe.Param
		if fe.Value != "" {
			body["value"] = fe.Value
		}
		body["reason"] = fe.Reason
	}
	writeError(w, f, http.StatusBadRequest, body, 0)
}

func unavailable(w http.ResponseWriter, f feed.Format, msg string, retry time.Duration) {
	writeError(w, f, http.StatusServiceUnavailable, map[string]any{"error": msg}, retry)
}

func writeError(w http.ResponseWriter, f feed.Format, status int, body map[string]any, retry time.Duration) {
	h := w.Header()
	h.Set("Cache-Control", "no-store")
	h.Set("X-Content-Type-Options", "nosniff")
	if retry > 0 {
		h.Set("Retry-After", strconv.Itoa(int(max(1, retry.Round(time.Second).Seconds()))))
	}
	if f == feed.JSON {
		h.Set("Content-Type", "application/json; charset=utf-8")
		w.WriteHeader(status)
		_ = json.NewEncoder(w).Encode(body)
		return
	}
	h.Set("Content-Type", "text/plain; charset=utf-8")
	w.WriteHeader(status)
	fmt.Fprintf(w, "%d %s\n%s\n", status, http.StatusText(status), body["error"])
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

func (a *app) healthz(w http.ResponseWriter, _ *http.Request) {
	w.Header().Set("Content-Type", "text/plain; charset=utf-8")
	w.Header().Set("Cache-Control", "no-store")
	fmt.Fprintln(w, "ok")
}

type statusDoc struct {
	Ready       bool         `json:"ready"`
	Version     string       `json:"version"`
	DataVersion uint64       `json:"data_version"`
	DataChanged time.Time    `json:"data_changed,omitzero"`
	Papers      int          `json:"papers"`
	Sources     []statusJSON `json:"sources"`
	RenderCache struct {
		Entries int `json:"entries"`
		Bytes   int `json:"bytes"`
	} `json:"render_cache"`
}

func (a *app) statusDoc() statusDoc {
	v := a.store.View()
	d := statusDoc{Ready: a.isReady(), Version: version, DataVersion: v.Version, DataChanged: v.Changed, Papers: len(v.Papers)}
	d.Sources = []statusJSON{a.hfStatus.snapshot(), a.arxivStatus.snapshot()}
	d.RenderCache.Entries, d.RenderCache.Bytes = a.cache.stats()
	return d
}

func (a *app) status(w http.ResponseWriter, _ *http.Request) {
	writeJSON(w, http.StatusOK, a.statusDoc())
}

// readyz is 200 once data is loaded, 503 before; the body is the status.
func (a *app) readyz(w http.ResponseWriter, _ *http.Request) {
	d := a.statusDoc()
	code := http.StatusOK
	if !d.Ready {
		code = http.StatusServiceUnavailable
		w.Header().Set("Retry-After", "5")
	}
	writeJSON(w, code, d)
}

func writeJSON(w http.ResponseWriter, code int, v any) {
	w.Header().Set("Content-Type", "application/json; charset=utf-8")
	w.Header().Set("Cache-Control", "no-store")
	w.WriteHeader(code)
	enc := json.NewEncoder(w)
	enc.SetIndent("", "  ")
	_ = enc.Encode(v)
}
