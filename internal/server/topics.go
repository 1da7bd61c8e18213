package server

import (
	"bufio"
	_ "embed"
	"encoding/xml"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"os"
	"regexp"
	"strings"
	"time"

	"paperfeed/feed"
	"paperfeed/filter"
)

// defaultTopics ships with the binary; a -topics file replaces it.
//
//go:embed web/topics.txt
var defaultTopics string

// Topic is a named, saved filter served at /topics/NAME.{rss,atom,json}.
type Topic struct {
	Name  string
	Query string // canonical query string
	Title string // the topic feed's title: its source and name ("Daily Papers: agents")
	Holds string // what its filter holds, said in full ("Daily Papers: agent OR agents OR agentic")
}

// with is the topic's filter with the parameters of a request on top:
// a parameter the request names (in any case) replaces the topic's.
func (t Topic) with(own url.Values) url.Values {
	values, _ := url.ParseQuery(t.Query) // validated when the topics were loaded
	for k, vs := range own {
		for tk := range values {
			if strings.EqualFold(tk, k) {
				delete(values, tk)
			}
		}
		values[k] = vs
	}
	return values
}

// replacedBy reports whether the request's own parameters replace one
// of the named parameters the topic's filter sets (its keywords, its
// seeds): the topic's name then no longer says what the feed holds.
func (t Topic) replacedBy(own filter.Query, names ...string) bool {
	values, _ := url.ParseQuery(t.Query)
	for _, n := range names {
		if values.Get(n) != "" && own.Value(n) != "" {
			return true
		}
	}
	return false
}

var topicName = regexp.MustCompile(`^[a-z0-9][a-z0-9-]{0,39}$`)

// LoadTopics reads the topics file (or the built-in one when path is
// empty). Format: one "name: query-string" per line; blank lines and
// lines starting with # are ignored. Every filter is validated.
func LoadTopics(path string) ([]Topic, error) {
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

func parseTopics(r io.Reader, src string) ([]Topic, error) {
	var out []Topic
	seen := map[string]bool{}
	sc := bufio.NewScanner(r)
	opts := filter.Options{Today: feed.DayOf(time.Now()), Earliest: feed.FirstListing, MaxDays: feed.MaxDays}
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
		out = append(out, Topic{Name: name, Query: q.Canonical(), Title: q.NamedTitle(name, filter.Query{}), Holds: q.Title()})
	}
	if err := sc.Err(); err != nil {
		return nil, fmt.Errorf("%s: %w", src, err)
	}
	return out, nil
}

// findTopic is the topic of that name.
func findTopic(topics []Topic, name string) (Topic, bool) {
	for _, t := range topics {
		if t.Name == name {
			return t, true
		}
	}
	return Topic{}, false
}

// OPML: every topic and any custom feeds in one file a reader imports.

type opmlDoc struct {
	XMLName xml.Name    `xml:"opml"`
	Version string      `xml:"version,attr"`
	Title   string      `xml:"head>title"`
	Docs    string      `xml:"head>docs"`
	Body    opmlOutline `xml:"body>outline"`
}

type opmlOutline struct {
	Text     string        `xml:"text,attr"`
	Title    string        `xml:"title,attr,omitempty"`
	Type     string        `xml:"type,attr,omitempty"`
	XMLURL   string        `xml:"xmlUrl,attr,omitempty"`
	HTMLURL  string        `xml:"htmlUrl,attr,omitempty"`
	Outlines []opmlOutline `xml:"outline"`
}

// opml serves an OPML 2.0 file of every Topic, plus the custom feeds
// passed as feed=QUERY (each a feed URL's query string), in the format
// chosen by format= (rss by default): one import subscribes to all.
func (s *Server) opml(w http.ResponseWriter, r *http.Request) {
	params, err := filter.ParseRawQuery(r.URL.RawQuery)
	if err != nil {
		badRequest(w, "", err)
		return
	}
	f := feed.RSS
	if s := params.Get("format"); s != "" {
		var ok bool
		if f, ok = feed.ParseFormat(s); !ok || !f.IsFeed() {
			badRequest(w, "", &filter.Error{Param: "format", Value: s, Reason: "must be one of rss, atom, json (OPML lists feeds)"})
			return
		}
	}
	for k := range params {
		if k != "format" && k != "feed" && !strings.HasPrefix(k, "utm_") {
			badRequest(w, "", &filter.Error{Param: k, Reason: "unknown parameter; /opml accepts feed (a feed URL's query string, repeatable) and format"})
			return
		}
	}
	base := s.baseURL(r)
	folder := opmlOutline{Text: "paperfeed", Title: "paperfeed"}
	for _, t := range s.topics {
		folder.Outlines = append(folder.Outlines, opmlOutline{
			Type: "rss", Text: t.Title, Title: t.Title,
			XMLURL: topicURL(base, t.Name, f), HTMLURL: pageURL(base, t.Query),
		})
	}
	opts := s.engine.Options()
	for i, raw := range params["feed"] {
		v, err := filter.ParseRawQuery(strings.TrimPrefix(raw, "?"))
		var q filter.Query
		if err == nil {
			q, err = filter.Parse(v, opts)
		}
		if err != nil {
			badRequest(w, "", fmt.Errorf("feed #%d (%q): %w", i+1, raw, err))
			return
		}
		folder.Outlines = append(folder.Outlines, opmlOutline{
			Type: "rss", Text: q.Title(), Title: q.Title(),
			XMLURL: feedURL(base, f, q.Canonical()), HTMLURL: pageURL(base, q.Canonical()),
		})
	}
	doc := opmlDoc{Version: "2.0", Title: "paperfeed feeds", Docs: "http://opml.org/spec2.opml", Body: folder}
	out, err := xml.MarshalIndent(doc, "", "  ")
	if err != nil {
		fail(w, http.StatusInternalServerError, "render opml: "+err.Error())
		return
	}
	w.Header().Set("Content-Type", "text/x-opml; charset=utf-8")
	w.Header().Set("Content-Disposition", `inline; filename="paperfeed.opml"`)
	w.Header().Set("Cache-Control", "public, max-age=300")
	_, _ = w.Write([]byte(xml.Header))
	_, _ = w.Write(out)
	_, _ = w.Write([]byte("\n"))
}

// Topics are the topics served.
func (s *Server) Topics() []Topic { return s.topics }
