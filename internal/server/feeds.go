package server

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"strconv"
	"strings"
	"time"

	"github.com/cespare/xxhash/v2"

	"paperfeed/feed"
	"paperfeed/filter"
	"paperfeed/internal/personal"
	"paperfeed/internal/server/personalweb"
)

// feedRequest is what a route asks of serveFeed.
type feedRequest struct {
	// format is fixed by the route (/feed.rss), or "" when the format
	// parameter chooses it (RSS by default).
	format feed.Format
	// topic, when set, is a saved filter the request's parameters add to;
	// the self link repeats only the request's own parameters.
	topic *Topic
	// rsshubPath reads RSSHub's path segments (/{period}/{min_upvotes}).
	rsshubPath bool
	// personal, when set, is the personal feed asked for (/f/TOKEN.rss).
	personal *personal.Feed
}

// feedHandler serves a feed route.
func (s *Server) feedHandler(fr feedRequest) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { s.serveFeed(w, r, fr) })
}

// topicHandler serves /topics/NAME.rss|.atom|.json: the topic's saved
// filter, with any parameters of the request on top.
func (s *Server) topicHandler(w http.ResponseWriter, r *http.Request) {
	file := r.PathValue("file")
	name, ext, _ := strings.Cut(file, ".")
	f, okFormat := feed.ParseFormat(ext)
	t, okTopic := findTopic(s.topics, name)
	if !okFormat || !okTopic {
		names := make([]string, len(s.topics))
		for i, t := range s.topics {
			names[i] = t.Name
		}
		fail(w, http.StatusNotFound, fmt.Sprintf("no topic feed %q: topics are %s, each as .rss, .atom or .json (or .bib, .ris: its papers' citations)", file, strings.Join(names, ", ")))
		return
	}
	s.serveFeed(w, r, feedRequest{format: f, topic: &t})
}

// serveFeed is where every feed route ends: the fast path for a URL
// already answered, else parse and validate, wait for the data, ask the
// engine for a plan, render it (cached), and answer with validators. A
// request walks route -> parse -> engine -> render -> write.
func (s *Server) serveFeed(w http.ResponseWriter, r *http.Request, fr feedRequest) {
	f := fr.format
	if sw, ok := w.(*statusWriter); ok {
		defer func() { sw.format = string(f) }()
	}
	if fr.topic == nil && fr.personal == nil && s.engine.Ready() && !isExport(r.Context()) {
		if rr, ok := s.feeds.aliased(rawKey(fr.format, r, s.baseURL(r)), s.engine.View().Version); ok {
			f = rr.format
			s.watch(r.Context(), rr)
			serveRendered(w, r, rr, s.feeds.cacheControl)
			return
		}
	}
	// Past the fast path, waits (first load, a past listing, a render
	// slot) are bounded by the request timeout.
	ctx, cancel := context.WithTimeout(r.Context(), s.cfg.RequestTimeout)
	defer cancel()
	r = r.WithContext(ctx)
	q, own, selfQuery, err := s.parseFeedQuery(r, fr)
	if err == nil {
		f, err = chooseFormat(fr.format, q.Format)
	}
	if err == nil && !f.IsFeed() {
		err = feedOnly(q, f)
	}
	if err != nil {
		badRequest(w, f, err)
		return
	}
	if ok, st := s.engine.WaitLoaded(r.Context(), q.Source, s.cfg.StartupWait); !ok {
		msg, retry := notLoaded(q.Source, st, s.shared(), s.engine.Now())
		unavailable(w, f, msg, retry)
		return
	}
	base := s.baseURL(r)
	self := base + r.URL.Path
	if fr.format == "" && f != feed.RSS {
		selfQuery = joinQuery(selfQuery, "format="+string(f))
	}
	if selfQuery != "" {
		self += "?" + selfQuery
	}
	plan, err := s.engine.Plan(r.Context(), q, s.clientAddr(r))
	if err != nil {
		planFailed(w, f, err)
		return
	}
	// Titled after the plan's query, which knows its seeds' titles.
	job := renderJob{format: f, plan: plan, base: base, self: self, title: plan.Query.Title(), hub: s.websub}
	if fr.topic != nil {
		job.title = plan.Query.NamedTitle(fr.topic.Name, own) // as the OPML file names it
		if fr.topic.replacedBy(own, "q", "like") {
			job.title = plan.Query.Title() // the topic's name no longer says what it holds
		}
	}
	if q.OwnGUIDs() {
		job.guidScope = guidScope(q.Canonical(), r.PathValue("period"))
	}
	job.static = isExport(r.Context())
	job.key = string(f) + "|" + r.URL.Path + "|" + q.Canonical() + "|" + plan.Key + "|" + self
	if job.static {
		job.key += "|static"
	}
	cacheControl := s.feeds.cacheControl
	if pf := fr.personal; pf != nil {
		job.title = pf.Name + " (personal feed)"
		job.home = base + "/f/" + pf.Token
		job.key += "|" + personalweb.Revision(pf)
		if job.decorate, err = s.personal.VoteLinks(base, pf); err != nil {
			unavailable(w, f, "the personal feeds' store cannot be read right now", 10*time.Second)
			return
		}
		cacheControl = privateNoCache // a vote re-ranks on the next request
		job.hub = nil                 // never announced: its address is its key
		w.Header().Set("Referrer-Policy", "no-referrer")
		w.Header().Set("X-Robots-Tag", "noindex, nofollow")
	}
	rr, release, err := s.feeds.render(r.Context(), job)
	if err != nil {
		// Always an answer, even to a client that left: never an empty
		// 200.
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
	if release != nil {
		defer release() // a response made once, not kept
	} else if fr.topic == nil && plan.Aliasable && !job.static {
		// The window's data is the view alone: later requests written
		// the same way skip parsing (see renderCache).
		s.feeds.cache.putAlias(rawKey(fr.format, r, base), plan.Version(), job.key)
	}
	if fr.personal == nil {
		s.watch(r.Context(), rr)
	}
	serveRendered(w, r, rr, cacheControl)
}

// guidScope names a feed in its items' own GUIDs (guid=feed): its
// canonical filter, so any spelling of its URL and any format give the
// same GUIDs, and the period an RSSHub route's path names, which the
// filter does not hold (/huggingface/daily-papers alone is the window,
// as /feed.rss is).
func guidScope(canonical, period string) string {
	if period == "day" {
		period = "date" // the same route
	}
	if period != "" {
		canonical = "rsshub/" + period + "?" + canonical
	}
	return strconv.FormatUint(xxhash.Sum64String(canonical), 36)
}

// watch tells WebSub a feed was served (when a hub is set).
func (s *Server) watch(ctx context.Context, rr *rendered) {
	if s.websub != nil && rr.self != "" && rr.format.IsFeed() {
		s.websub.note(ctx, rr, s.engine.Now())
	}
}

var privateNoCache = []string{"private, no-cache"}

// planFailed answers a query the engine could not prepare: an invalid
// seed is a 400, a listing or seed on its way or an upstream that cannot
// be reached a 503 with a Retry-After.
func planFailed(w http.ResponseWriter, f feed.Format, err error) {
	var fe *filter.Error
	if errors.As(err, &fe) {
		badRequest(w, f, err)
		return
	}
	unavailable(w, f, err.Error(), retryAfterFor(err))
}

// parseFeedQuery reads a feed request's filter, the canonical query its
// self link repeats, and for a topic's feed, which adds the request's
// parameters to the topic's filter, those parameters alone (own).
func (s *Server) parseFeedQuery(r *http.Request, fr feedRequest) (q, own filter.Query, selfQuery string, err error) {
	opts := s.engine.Options()
	opts.RSSHubRoute = fr.rsshubPath // RSSHub's parameters for every route
	if fr.personal != nil {
		if r.URL.RawQuery != "" {
			return q, own, "", &filter.Error{Param: "query", Value: r.URL.RawQuery, Reason: "a personal feed takes no parameters; change its filter on its page (/f/TOKEN)"}
		}
		q, err = s.personal.Query(fr.personal)
		return q, own, "", err
	}
	values, err := filter.ParseRawQuery(r.URL.RawQuery)
	if err != nil {
		return q, own, "", err
	}
	if fr.topic != nil {
		if q, err = filter.Parse(fr.topic.with(values), opts); err != nil {
			return q, own, "", err
		}
		own, _ = filter.Parse(values, opts) // they passed above, with the topic's
		return q, own, own.Canonical(), nil
	}
	if q, err = filter.Parse(values, opts); err != nil {
		return q, own, "", err
	}
	selfQuery = q.Canonical()
	if fr.rsshubPath {
		err = rsshubPath(r, &q, s.engine.Today())
	}
	return q, own, selfQuery, err
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

// timeParam names the time parameter a query gives, if any.
func timeParam(q filter.Query) string {
	for _, name := range []string{"date", "week", "month", "days", "since", "until"} {
		if q.Value(name) != "" {
			return name
		}
	}
	return ""
}

// feedOnly refuses, for a citation format, the parameters that shape
// feed items, which a list of citations has none of.
func feedOnly(q filter.Query, f feed.Format) error {
	why := func(param, value, what string) error {
		return &filter.Error{Param: param, Value: value, Reason: fmt.Sprintf("%s, for feed readers; %s lists papers: drop %s, or ask for .rss, .atom or .json", what, f.Label(), param)}
	}
	switch {
	case q.Digest != "":
		return why("digest", q.Digest, "makes one item per closed period")
	case q.OwnGUIDs():
		return why("guid", q.GUID, "gives items GUIDs of the feed's own")
	case q.Brief > 0:
		return why("brief", strconv.Itoa(q.Brief), "cuts each item's text")
	case q.TGIV != "":
		return why("tgiv", q.TGIV, "links each item through Telegram's Instant View")
	}
	return nil
}

// rsshubPath reads RSSHub's /huggingface/daily-papers/{period}/{min}:
// period "date" is the newest listing day, "week" this ISO week, "month"
// this month; min is a minimum upvote count.
func rsshubPath(r *http.Request, q *filter.Query, today time.Time) error {
	p := r.PathValue("period")
	if p != "" {
		if name := timeParam(*q); name != "" {
			return &filter.Error{Param: name, Value: q.Value(name), Reason: "conflicts with the path, which chooses the period (" + p +
				"); give days, since, until, date, week or month on /huggingface/daily-papers, without a period segment"}
		}
		if q.Digest != "" {
			return &filter.Error{Param: "digest", Value: q.Digest, Reason: "covers the closed periods held, and the path chooses one period (" + p +
				"); give digest on /huggingface/daily-papers, without a period segment"}
		}
	}
	switch p {
	case "":
	case "date", "day": // the query gives no time of its own (above)
		q.Days = 1
	case "week":
		y, w := today.ISOWeek()
		q.Week = fmt.Sprintf("%04d-W%02d", y, w)
	case "month":
		q.Month = today.Format("2006-01")
	default:
		return &filter.Error{Param: "period", Value: p, Reason: "path segment must be date, week or month, as in /huggingface/daily-papers/week/20"}
	}
	if m := r.PathValue("min_upvotes"); m != "" {
		n, err := strconv.Atoi(m)
		if err != nil || n < 0 || n > 1_000_000_000 {
			return &filter.Error{Param: "min_upvotes", Value: m, Reason: "path segment must be a whole number of upvotes, 0 or more, as in /huggingface/daily-papers/week/20"}
		}
		if q.MinUpvotes > 0 {
			return &filter.Error{Param: "min_upvotes", Value: m, Reason: fmt.Sprintf("is given twice, in the path (/%s) and the query (min_upvotes=%d): give it once", m, q.MinUpvotes)}
		}
		q.SetUpvotesFloor(n)
	}
	return nil
}
