package personalweb

import (
	"errors"
	"net/http"
	"net/url"
	"slices"
	"strings"
	"time"

	"paperfeed/feed"
	"paperfeed/filter"
	"paperfeed/internal/personal"
	"paperfeed/internal/server/pagekit"
)

// personalPageData is what a personal feed's page shows.
type personalPageData struct {
	Title      string
	Prefix     string
	Alternates []pagekit.FeedLink
	Citations  []pagekit.FeedLink // the feed as BibTeX and RIS
	Meta       []pagekit.MetaTag
	Feed       *personal.Feed
	Notes      []string
	Error      string
	Filter     string // the filter as the edit form shows it
	Holds      string // what the filter keeps, in words
	Like       []seedLine
	Unlike     []seedLine
	Votes      []voteLine
	Page       string // the page's own URL
	Export     string
	// The vote asked about (the confirmation page).
	Vote *voteLine
}

type seedLine struct{ ID, Title, URL string }

type voteLine struct {
	ID, Title, URL, Dir, Sig string
	Effect                   string // what the vote will do, in a sentence (the confirmation page)
	At                       time.Time
	Undo                     string // signature of undoing it
}

// personalPage answers a personal feed's page.
func (s *Routes) personalPage(w http.ResponseWriter, r *http.Request, f *personal.Feed, status int, notes []string) {
	d := s.personalData(r, f)
	d.Notes = notes
	switch {
	case r.URL.Query().Get("voted") != "":
		d.Notes = append(d.Notes, "Vote recorded: the feed re-ranks on its next request.")
	case r.URL.Query().Get("saved") != "":
		d.Notes = append(d.Notes, "Saved.")
	}
	s.writePersonal(w, "personal", d, status)
}

func (s *Routes) personalData(r *http.Request, f *personal.Feed) personalPageData {
	base := s.BaseURL(r)
	prefix := pagekit.BasePath(base)
	d := personalPageData{Title: f.Name, Prefix: prefix, Feed: f, Page: base + "/f/" + f.Token, Export: prefix + "/f/" + f.Token + "/export",
		Meta: []pagekit.MetaTag{{Name: "robots", Content: "noindex, nofollow"}}}
	for _, ff := range feed.Formats {
		l := pagekit.FeedLink{Label: ff.Label(), URL: base + "/f/" + f.Token + "." + string(ff), Type: ff.MediaType(), Format: ff}
		if ff.IsFeed() {
			d.Alternates = append(d.Alternates, l)
		} else {
			d.Citations = append(d.Citations, l)
		}
	}
	values, _ := url.ParseQuery(f.Filter)
	d.Filter = values.Encode()
	opts := s.Engine.Options()
	opts.SeedsLater = true
	if q, err := filter.Parse(values, opts); err == nil {
		d.Holds = strings.TrimSuffix(q.Description(), ".") // the page's sentence ends it
	}
	title := func(id string) string {
		if p := s.Engine.View().ByID[id]; p != nil {
			return p.Title
		}
		return ""
	}
	for _, id := range f.Like {
		d.Like = append(d.Like, seedLine{ID: id, Title: title(id), URL: prefix + "/papers/" + id})
	}
	for _, id := range f.Unlike {
		d.Unlike = append(d.Unlike, seedLine{ID: id, Title: title(id), URL: prefix + "/papers/" + id})
	}
	sg, err := s.Side.sign()
	for id, v := range f.Votes {
		l := voteLine{ID: id, Title: title(id), URL: prefix + "/papers/" + id, Dir: v.Dir, At: v.At}
		if err == nil {
			l.Undo = sg.Sign(f.Token, id, "undo")
		}
		d.Votes = append(d.Votes, l)
	}
	slices.SortFunc(d.Votes, func(a, b voteLine) int { return b.At.Compare(a.At) })
	return d
}

// voteConfirmPage asks to confirm a vote: feed readers and mail scanners
// fetch links ahead of the reader, so only the page's POST records.
func (s *Routes) voteConfirmPage(w http.ResponseWriter, r *http.Request, f *personal.Feed, id, dir string) {
	d := s.personalData(r, f)
	title := ""
	if p := s.Engine.View().ByID[id]; p != nil {
		title = p.Title
	}
	d.Title = "Confirm your vote"
	d.Vote = &voteLine{ID: id, Title: title, URL: d.Prefix + "/papers/" + id, Dir: dir, Sig: r.Form.Get("sig"), Effect: voteEffect(f, id, dir)}
	s.writePersonal(w, "vote", d, http.StatusOK)
}

// voteEffect says in a sentence what a vote will do to the feed (the
// rules of filter's SetSeeds; docs/ranking.md has the measurements).
func voteEffect(f *personal.Feed, id, dir string) string {
	liked := slices.ContainsFunc(f.Positives(), func(p string) bool { return p != id })
	switch {
	case dir == personal.More:
		return "This paper stays in your feed, marked as liked, and becomes one of its liked papers: papers like it move up."
	case dir == personal.Less && !liked:
		return "This paper leaves your feed. The feed has no liked papers yet, so nothing else changes."
	case dir == personal.Less:
		return "This paper leaves your feed, and papers like it move down a little: on average one vote moves about one of the other nine top papers below the top ten."
	}
	return "Your vote on this paper is removed: the feed ranks as if you had never cast it."
}

// personalFormError answers a create or edit form that cannot be used:
// a 400 that says what was wrong (the feed's page again when editing).
func (s *Routes) personalFormError(w http.ResponseWriter, r *http.Request, f *personal.Feed, err error) {
	status := http.StatusBadRequest
	var fe *filter.Error
	if !errors.As(err, &fe) && strings.Contains(err.Error(), "look up") {
		status = http.StatusServiceUnavailable
		w.Header().Set("Retry-After", "30")
	}
	if f == nil {
		w.Header().Set("Cache-Control", "no-store")
		s.Fail(w, status, err.Error())
		return
	}
	d := s.personalData(r, f)
	d.Error = err.Error()
	s.writePersonal(w, "personal", d, status)
}

func (s *Routes) writePersonal(w http.ResponseWriter, tmpl string, d personalPageData, status int) {
	w.Header().Set("X-Robots-Tag", "noindex, nofollow")
	s.WriteHTML(w, tmpl, d, status, "no-referrer", "private, no-store") // the token is in the URL
}
