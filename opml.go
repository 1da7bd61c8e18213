package main

import (
	"encoding/xml"
	"fmt"
	"net/http"
	"strings"

	"paperfeed/feed"
	"paperfeed/filter"
)

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

// opml serves an OPML 2.0 file of every topic, plus the custom feeds
// passed as feed=QUERY (each a feed URL's query string), in the format
// chosen by format= (rss by default): one import subscribes to all.
func (a *app) opml(w http.ResponseWriter, r *http.Request) {
	params, err := filter.ParseRawQuery(r.URL.RawQuery)
	if err != nil {
		badRequest(w, "", err)
		return
	}
	f := feed.RSS
	if s := params.Get("format"); s != "" {
		var ok bool
		if f, ok = feed.ParseFormat(s); !ok {
			badRequest(w, "", &filter.Error{Param: "format", Value: s, Reason: "must be one of rss, atom, json"})
			return
		}
	}
	for k := range params {
		if k != "format" && k != "feed" && !strings.HasPrefix(k, "utm_") {
			badRequest(w, "", &filter.Error{Param: k, Reason: "unknown parameter; /opml accepts feed (a feed URL's query string, repeatable) and format"})
			return
		}
	}
	base := a.baseURL(r)
	folder := opmlOutline{Text: "paperfeed", Title: "paperfeed"}
	for _, t := range a.topics {
		folder.Outlines = append(folder.Outlines, opmlOutline{
			Type: "rss", Text: t.Name + ": " + t.Title, Title: t.Name + ": " + t.Title,
			XMLURL: base + "/topics/" + t.Name + "." + string(f), HTMLURL: base + "/" + queryPart(t.Query),
		})
	}
	opts := a.filterOptions(a.store.View())
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
			XMLURL: base + "/feed." + string(f) + queryPart(q.Canonical()), HTMLURL: base + "/" + queryPart(q.Canonical()),
		})
	}
	doc := opmlDoc{Version: "2.0", Title: "paperfeed feeds", Docs: "http://opml.org/spec2.opml", Body: folder}
	out, err := xml.MarshalIndent(doc, "", "  ")
	if err != nil {
		http.Error(w, "render opml: "+err.Error(), http.StatusInternalServerError)
		return
	}
	w.Header().Set("Content-Type", "text/x-opml; charset=utf-8")
	w.Header().Set("Content-Disposition", `inline; filename="paperfeed.opml"`)
	w.Header().Set("Cache-Control", "public, max-age=300")
	_, _ = w.Write([]byte(xml.Header))
	_, _ = w.Write(out)
	_, _ = w.Write([]byte("\n"))
}
