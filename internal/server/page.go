package server

import (
	"bytes"
	"context"
	"embed"
	"errors"
	"fmt"
	"html/template"
	"net/http"
	"net/url"
	"paperfeed/internal/server/pagekit"
	"path"
	"strconv"
	"strings"
	"time"

	"paperfeed/feed"
	"paperfeed/filter"
)

//go:embed web/index.html web/paper.html web/personal.html web/mail.html web/app.js web/style.css web/favicon.svg
var webFS embed.FS

var pageTmpl = template.Must(template.New("index.html").Funcs(template.FuncMap{
	"join":  strings.Join,
	"short": shortAbstract,
	"day":   func(t time.Time) string { return t.Format("Mon 2 Jan 2006") },
	"has": func(list []string, s string) bool {
		return strings.Contains(","+strings.Join(list, ",")+",", ","+s+",")
	},
	"list":        func(s ...string) []string { return s },
	"venueLine":   feed.VenueLine,
	"revisedLine": feed.RevisedLine,
	"gain":        feed.GainWords,
	// The has_code field shows a value written in any of the accepted
	// words.
	"truthy": func(s string) bool { b, ok := feed.ParseBool(s); return ok && b },
	"falsy":  func(s string) bool { b, ok := feed.ParseBool(s); return ok && !b },
}).ParseFS(webFS, "web/index.html", "web/paper.html", "web/personal.html", "web/mail.html"))

// contentSecurityPolicy allows only this server's own scripts, styles
// and images, and with thumbnails on, images from Hugging Face's image
// hosts: with -thumbnails=off a page loads nothing from another site.
func contentSecurityPolicy(thumbnails bool) string {
	img := "img-src 'self'; "
	if thumbnails {
		img = "img-src 'self' https://cdn-thumbnails.huggingface.co https://huggingface.co; "
	}
	return "default-src 'none'; script-src 'self'; style-src 'self'; " + img +
		"connect-src 'self'; form-action 'self'; base-uri 'none'; frame-ancestors 'none'"
}

// pageData is what the builder page shows for one filter.
type pageData struct {
	Form url.Values // the values as typed, to fill the form back
	// MoreFields are the fields of the parameters the page does not lay
	// out itself (filter.Param.Field), filled back; MoreOpen shows them
	// when one is set or wrong.
	MoreFields []moreField
	MoreOpen   bool
	Canonical  string
	Personal   bool // offer to make a personal feed (the live page, not an export)
	// Mail offers to e-mail the filter's papers (the live page, with
	// SMTP set); PushFilter is the filter as a subscription takes it (no
	// limit), Digest whether it is a digest already.
	Mail       bool
	PushFilter string
	Digest     bool
	Error      string
	ErrorField string
	// FieldErrors are every field's error, not only the first one's
	// (each field marked and its message beside it).
	FieldErrors map[string]string
	FeedURLs    []feedLink
	// The same URLs in the formats' order, for the autodiscovery links.
	Alternates []feedLink
	Title      string
	Papers     []previewItem
	Total      int
	Shown      int
	Ready      bool
	NotLoaded  string   // why the preview is empty: the source has not loaded
	Outage     []string // the sources the filter reads whose last fetch failed (outage.go)
	Topics     []topicLink
	OPML       string
	Categories []string
	Days       int
	Announce   []string
	// Newest listing and announcement days held, for the freshness line.
	NewestHF, NewestArxiv time.Time
	// Prefix is the path of the public base URL ("" or "/paperfeed"):
	// every link of the page starts with it.
	Prefix string
	// Venues are the venues venue= accepts; FactLabels name the paper
	// fact fields and their choices.
	Venues     []venueOption
	FactLabels map[string]string
	// Meta are <meta> elements of the head (a paper page's citation
	// tags).
	Meta []metaTag
	// Thumbnails shows the papers' thumbnails (from Hugging Face's
	// servers); MoreLike links each paper's like= feed (not in the static
	// export, which has no builder page).
	Thumbnails, MoreLike bool
	// status is the HTTP status of the answer.
	status int
}

// previewItem is one item of the preview: a paper with what the query
// adds (date, gain, notes), or a digest.
type previewItem struct {
	*feed.Paper
	When       time.Time
	Gain       int
	GainHours  int
	Notes      []string
	Similarity float64
	CloseTo    string
	Digest     *feed.Digest
	DigestHTML template.HTML // the digest's list, made and escaped by feed.DigestHTML
}

type venueOption struct{ Key, Name string }

// venueOptions are the venues the form offers.
var venueOptions = func() []venueOption {
	out := make([]venueOption, len(feed.VenueKeys))
	for i, k := range feed.VenueKeys {
		out[i] = venueOption{Key: k, Name: feed.VenueName(k)}
	}
	return out
}()

// factLabels are the paper fact fields' labels and choices.
var factLabels = map[string]string{
	"accepted": "Accepted", "accepted=1": "accepted", "accepted=0": "not yet",
	"has_model": "Model", "has_model=1": "with a model", "has_model=0": "without",
	"has_dataset": "Dataset", "has_dataset=1": "with a dataset", "has_dataset=0": "without",
	"has_demo": "Demo (Space)", "has_demo=1": "with a demo", "has_demo=0": "without",
	"revised": "Versions", "revised=1": "new versions", "revised=0": "first only",
}

// feedLink is a link to one of a page's feeds (shared with the personal pages).
type feedLink = pagekit.FeedLink

type topicLink struct {
	Name, Title, RSS, Atom, JSON string
}

const previewMax = 30

// renderPage answers the feed builder (tmpl "index.html": a GET form
// whose fields are the feed parameters, the feed URLs for the current
// filter, and a preview of the papers the feed holds now, all
// server-rendered) or its result part alone ("result", for the page's
// script).
func (s *Server) renderPage(w http.ResponseWriter, r *http.Request, tmpl string) {
	ctx, cancel := context.WithTimeout(r.Context(), s.cfg.RequestTimeout)
	defer cancel()
	d := s.pageData(r.WithContext(ctx))
	d.Personal, d.Mail = true, s.mail != nil
	if d.status == http.StatusServiceUnavailable {
		w.Header().Set("Retry-After", "5")
	}
	s.writeHTML(w, tmpl, d, d.status, "same-origin", "no-cache")
}

// writeHTML renders a page template and answers with it, under this
// server's content security policy.
func (s *Server) writeHTML(w http.ResponseWriter, tmpl string, data any, status int, referrer, cacheControl string) {
	var buf bytes.Buffer
	if err := pageTmpl.ExecuteTemplate(&buf, tmpl, data); err != nil {
		s.log.Error("render page", "error", err)
		fail(w, http.StatusInternalServerError, "render page failed")
		return
	}
	h := w.Header()
	h.Set("Content-Type", "text/html; charset=utf-8")
	h.Set("Content-Security-Policy", contentSecurityPolicy(s.cfg.Thumbnails))
	h.Set("X-Content-Type-Options", "nosniff")
	h.Set("Referrer-Policy", referrer)
	h.Set("Cache-Control", cacheControl)
	w.WriteHeader(status)
	_, _ = w.Write(buf.Bytes())
}

func (s *Server) pageData(r *http.Request) pageData {
	v := s.engine.View()
	base := s.baseURL(r)
	d := pageData{Ready: s.engine.Ready(), Categories: s.cfg.ArxivCategories, Days: max(s.cfg.Days, s.cfg.ArxivDays),
		Announce: filter.AnnounceTypes, OPML: base + "/opml", Prefix: basePath(base), status: http.StatusOK,
		Venues: venueOptions, FactLabels: factLabels, Thumbnails: s.cfg.Thumbnails, MoreLike: !isExport(r.Context())}
	if len(v.HFDays) > 0 {
		d.NewestHF = v.HFDays[0]
	}
	if len(v.ArxivDays) > 0 {
		d.NewestArxiv = v.ArxivDays[0]
	}
	for _, t := range s.topics {
		d.Topics = append(d.Topics, topicLink{Name: t.Name, Title: t.Holds, RSS: topicURL(d.Prefix, t.Name, feed.RSS),
			Atom: topicURL(d.Prefix, t.Name, feed.Atom), JSON: topicURL(d.Prefix, t.Name, feed.JSON)})
	}
	fail := func(status int, err error) pageData {
		d.status, d.Error = status, err.Error()
		var fe *filter.Error
		if errors.As(err, &fe) {
			d.ErrorField = fe.Param
			if d.FieldErrors == nil {
				d.FieldErrors = map[string]string{fe.Param: err.Error()}
			}
			d.MoreFields, d.MoreOpen = moreFields(d.Form, d.FieldErrors)
		}
		return d
	}
	values, err := filter.ParseRawQuery(r.URL.RawQuery)
	if err != nil {
		return fail(http.StatusBadRequest, err)
	}
	d.Form = values
	d.MoreFields, d.MoreOpen = moreFields(values, nil)
	// The form always sends format; the page shows every format, the
	// chosen one first.
	if fv := values.Get("format"); fv != "" {
		if _, ok := feed.ParseFormat(strings.ToLower(fv)); !ok {
			return fail(http.StatusBadRequest, &filter.Error{Param: "format", Value: fv, Reason: "must be one of " + feed.FormatNames()})
		}
	}
	vals := url.Values{}
	for k, vs := range values {
		if k != "format" {
			vals[k] = vs
		}
	}
	q, err := filter.Parse(vals, s.engine.Options())
	if err != nil {
		d.FieldErrors = fieldErrors(vals, err, s.engine.Options())
		return fail(http.StatusBadRequest, err)
	}
	d.Canonical = q.Canonical()
	d.PushFilter, d.Digest = pushFilter(d.Canonical), q.Digest != ""
	d.Title = q.Title()
	for _, f := range feed.Formats {
		if err := feedOnly(q, f); !f.IsFeed() && err != nil {
			if strings.ToLower(values.Get("format")) == string(f) {
				return fail(http.StatusBadRequest, err)
			}
			continue // a link that would answer 400: a digest or own GUIDs as citations
		}
		u := feedLink{Label: f.Label(), Type: f.MediaType(), URL: feedURL(base, f, d.Canonical), Format: f}
		if f.IsFeed() {
			d.Alternates = append(d.Alternates, u)
		}
		if strings.ToLower(values.Get("format")) == string(f) { // the chosen format comes first
			d.FeedURLs = append([]feedLink{u}, d.FeedURLs...)
		} else {
			d.FeedURLs = append(d.FeedURLs, u)
		}
	}
	if d.Canonical != "" {
		d.OPML = base + "/opml?feed=" + url.QueryEscape(d.Canonical)
	}
	d.Outage = outageLines(q.Source, s.refresh.States(), s.engine.Now())
	if ok, st := s.refresh.WaitLoaded(r.Context(), q.Source, 0); !ok {
		d.NotLoaded, _ = notLoaded(q.Source, st, s.shared(), s.engine.Now())
		return d
	}
	plan, err := s.engine.Plan(r.Context(), q, s.clientAddr(r))
	if err != nil {
		var fe *filter.Error
		if errors.As(err, &fe) {
			return fail(http.StatusBadRequest, err)
		}
		return fail(http.StatusServiceUnavailable, err)
	}
	d.Title = plan.Query.Title() // its seeds known by their titles
	// The preview filters like a feed render: in a render slot, within
	// the request's deadline.
	var items []feed.Item
	err = s.feeds.withSlot(r.Context(), func() error {
		var err error
		items, _, err = s.engine.Items(r.Context(), plan, func(q string) string { return pageURL(base, q) })
		return err
	})
	var fe *filter.Error
	switch {
	case errors.As(err, &fe):
		return fail(http.StatusBadRequest, err)
	case err != nil:
		return fail(http.StatusServiceUnavailable, fmt.Errorf("the preview could not be made now (%w); try again in a moment", err))
	}
	papers := make([]previewItem, len(items))
	for i, it := range items {
		papers[i] = previewItem{Paper: it.Paper, When: it.When(), Gain: it.Gain, GainHours: it.GainHours, Notes: it.Notes, Digest: it.Digest,
			Similarity: it.Similarity, CloseTo: it.CloseTo}
		if it.Digest != nil {
			papers[i].DigestHTML = template.HTML(it.Digest.HTML)
		}
	}
	d.Total = len(papers)
	d.Papers = papers[:min(len(papers), previewMax)]
	d.Shown = len(d.Papers)
	return d
}

// Invalid reports whether a field's value is wrong; FieldError is what
// is wrong with it.
func (d pageData) Invalid(name string) bool      { return d.FieldErrors[name] != "" }
func (d pageData) FieldError(name string) string { return d.FieldErrors[name] }

// fieldErrors are the errors of every field of a form, the first one's
// being err: each wrong parameter is left out and the rest read again,
// up to ten times, so that the page marks every field to mend at once.
func fieldErrors(vals url.Values, err error, o filter.Options) map[string]string {
	out := map[string]string{}
	rest := url.Values{}
	for k, v := range vals {
		rest[k] = v
	}
	for range 10 {
		var fe *filter.Error
		if !errors.As(err, &fe) || out[fe.Param] != "" {
			break
		}
		out[fe.Param] = err.Error()
		for k := range rest {
			if strings.EqualFold(k, fe.Param) {
				delete(rest, k)
			}
		}
		if _, err = filter.Parse(rest, o); err == nil {
			break
		}
	}
	return out
}

// moreField is one of pageData.MoreFields.
type moreField struct {
	filter.Field
	Name, Value, Error string
}

// Invalid reports whether the field's value is wrong.
func (f moreField) Invalid() bool { return f.Error != "" }

func moreFields(form url.Values, errs map[string]string) (fields []moreField, open bool) {
	for _, p := range filter.Params() {
		if p.Field != nil {
			f := moreField{Field: *p.Field, Name: p.Name, Value: form.Get(p.Name), Error: errs[p.Name]}
			fields = append(fields, f)
			open = open || f.Value != "" || f.Invalid()
		}
	}
	return fields, open
}

// basePath is the path part of a base URL, without a trailing slash.
func basePath(base string) string { return pagekit.BasePath(base) }

// shortAbstract cuts an abstract near n characters, at a word.
func shortAbstract(s string) string {
	const n = 280
	if len(s) <= n {
		return s
	}
	cut := strings.LastIndexByte(s[:n], ' ')
	if cut < n/2 {
		cut = n
	}
	return strings.TrimRight(s[:cut], " ,.;:") + "…"
}

// serveStatic serves the page's embedded script and style sheet.
func serveStatic(w http.ResponseWriter, r *http.Request) {
	name := r.PathValue("file")
	if name != "app.js" && name != "style.css" && name != "favicon.svg" {
		http.NotFound(w, r)
		return
	}
	b, err := webFS.ReadFile("web/" + name)
	if err != nil {
		http.NotFound(w, r)
		return
	}
	ctype := map[string]string{".css": "text/css; charset=utf-8", ".js": "text/javascript; charset=utf-8", ".svg": "image/svg+xml"}[path.Ext(name)]
	w.Header().Set("Content-Type", ctype)
	w.Header().Set("Cache-Control", "public, max-age=3600")
	w.Header().Set("X-Content-Type-Options", "nosniff")
	w.Header().Set("Content-Length", strconv.Itoa(len(b)))
	_, _ = w.Write(b)
}

// pushFilter is a canonical filter as a subscription takes it: without
// limit, which a subscription refuses (it sends every paper).
func pushFilter(canonical string) string {
	v, err := url.ParseQuery(canonical)
	if err != nil {
		return canonical
	}
	v.Del("limit")
	return v.Encode()
}
