package scrape

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/url"
	"regexp"
	"strconv"
	"strings"
	"time"

	"github.com/PuerkitoBio/goquery"
	"golang.org/x/net/html"

	"paperfeed/feed"
)

// ErrLayoutChanged means a listing page answered but no paper could be
// read from it: the page's structure is not what the parser knows.
var ErrLayoutChanged = errors.New("layout changed: no papers found in the listing page")

// Period kinds of a listing page.
const (
	PeriodDay   = feed.PeriodDay
	PeriodWeek  = feed.PeriodWeek
	PeriodMonth = feed.PeriodMonth
)

// Listing is one parsed Hugging Face listing page.
type Listing struct {
	// Date is the page's own listing day (UTC midnight) for day pages. It
	// can differ from the requested day: on weekends and holidays HF
	// serves the previous papers-day. Zero when the page does not say.
	Date time.Time
	// Period is "day", "week" or "month" when the page says so, else "".
	Period string
	// PrevDate is the listing day before this one, as the page links it;
	// zero when absent.
	PrevDate time.Time
	// FromCards is true when the listing was read from the rendered cards
	// because the JSON props were missing or unreadable.
	FromCards bool
	Papers    []feed.Paper
	// View says what served the listing: ViewBoth, ViewPage or ViewAPI
	// ("" when the API is not asked); PageErr and APIErr say why a view
	// did not.
	View            string `json:",omitempty"`
	PageErr, APIErr error  `json:"-"`
}

// ParseListing parses a Hugging Face Daily Papers listing page (day, week
// or month view).
func ParseListing(r io.Reader) (Listing, error) {
	doc, err := goquery.NewDocumentFromReader(r)
	if err != nil {
		return Listing{}, fmt.Errorf("read listing html: %w", err)
	}
	var propsErr error
	if props, ok := doc.Find(`[data-target="DailyPapers"]`).First().Attr("data-props"); ok {
		l, err := parseProps([]byte(props))
		if err == nil && len(l.Papers) > 0 {
			return l, nil
		}
		propsErr = err
	}
	l := parseCards(doc)
	if len(l.Papers) == 0 {
		if propsErr != nil {
			return Listing{}, fmt.Errorf("%w (props: %v)", ErrLayoutChanged, propsErr)
		}
		return Listing{}, ErrLayoutChanged
	}
	return l, nil
}

// ParseDailyPapersAPI parses the JSON array answered by HF's
// /api/daily_papers endpoint; items have the shape of the page props.
func ParseDailyPapersAPI(r io.Reader) ([]feed.Paper, error) {
	var items []hfItem
	if err := json.NewDecoder(r).Decode(&items); err != nil {
		return nil, fmt.Errorf("decode daily papers json: %w", err)
	}
	return convertItems(items, time.Time{}), nil
}

type hfProps struct {
	Date        string   `json:"date"`
	DateString  string   `json:"dateString"`
	PrevDate    string   `json:"prevDate"`
	PeriodType  string   `json:"periodType"`
	DailyPapers []hfItem `json:"dailyPapers"`
}

type hfUser struct {
	Name     string `json:"name"`
	User     string `json:"user"`
	Fullname string `json:"fullname"`
}

type hfOrg struct {
	Name     string `json:"name"`
	Fullname string `json:"fullname"`
}

type hfAuthor struct {
	Name   string `json:"name"`
	Hidden bool   `json:"hidden"`
}

type hfPaper struct {
	ID                 string     `json:"id"`
	Title              string     `json:"title"`
	Summary            string     `json:"summary"`
	Authors            []hfAuthor `json:"authors"`
	Upvotes            flexInt    `json:"upvotes"`
	PublishedAt        string     `json:"publishedAt"`
	SubmittedOnDailyAt string     `json:"submittedOnDailyAt"`
	GithubRepo         string     `json:"githubRepo"`
	GithubStars        flexInt    `json:"githubStars"`
	ProjectPage        string     `json:"projectPage"`
	AISummary          string     `json:"ai_summary"`
	AIKeywords         []string   `json:"ai_keywords"`
	Organization       *hfOrg     `json:"organization"`
}

type hfItem struct {
	Paper        hfPaper `json:"paper"`
	Title        string  `json:"title"`
	Summary      string  `json:"summary"`
	Thumbnail    string  `json:"thumbnail"`
	NumComments  flexInt `json:"numComments"`
	SubmittedBy  *hfUser `json:"submittedBy"`
	Organization *hfOrg  `json:"organization"`
}

// flexInt accepts a JSON number, a numeric string or null.
type flexInt int

func (n *flexInt) UnmarshalJSON(b []byte) error {
	b = bytes.Trim(b, `"`)
	if len(b) == 0 || string(b) == "null" || string(b) == "-" {
		*n = 0
		return nil
	}
	f, err := strconv.ParseFloat(string(b), 64)
	if err != nil {
		return fmt.Errorf("not a number: %q", b)
	}
	*n = flexInt(f)
	return nil
}

func parseProps(b []byte) (Listing, error) {
	var p hfProps
	if err := json.Unmarshal(b, &p); err != nil {
		return Listing{}, fmt.Errorf("decode data-props: %w", err)
	}
	l := Listing{Period: p.PeriodType}
	own := p.DateString
	if own == "" {
		own = p.Date
	}
	if d, ok := parseDay(own); ok {
		l.Date = d
		if l.Period == "" {
			l.Period = PeriodDay
		}
	}
	if l.Period != "" && l.Period != PeriodDay {
		l.Date = time.Time{} // a week or month page names its period, not a day
	}
	l.PrevDate, _ = parseDay(p.PrevDate)
	l.Papers = convertItems(p.DailyPapers, l.Date)
	return l, nil
}

func convertItems(items []hfItem, pageDay time.Time) []feed.Paper {
	out := make([]feed.Paper, 0, len(items))
	seen := make(map[string]bool, len(items))
	for i := range items {
		p, ok := convertItem(&items[i], pageDay)
		if !ok || seen[p.ID] {
			continue
		}
		seen[p.ID] = true
		out = append(out, p)
	}
	return out
}

func convertItem(it *hfItem, pageDay time.Time) (feed.Paper, bool) {
	id, _, ok := feed.ParseArxivID(it.Paper.ID)
	if !ok {
		return feed.Paper{}, false
	}
	p := feed.Paper{
		ID:          id,
		OnHF:        true,
		Title:       feed.CleanLine(firstNonEmpty(it.Title, it.Paper.Title)),
		Abstract:    feed.Unwrap(firstNonEmpty(it.Paper.Summary, it.Summary)),
		Upvotes:     max(0, int(it.Paper.Upvotes)),
		Comments:    max(0, int(it.NumComments)),
		Thumbnail:   cleanURL(it.Thumbnail),
		GitHubRepo:  cleanURL(it.Paper.GithubRepo),
		GitHubStars: max(0, int(it.Paper.GithubStars)),
		ProjectPage: cleanURL(it.Paper.ProjectPage),
		AISummary:   feed.CleanLine(it.Paper.AISummary),
	}
	if p.Title == "" {
		return feed.Paper{}, false
	}
	for _, a := range it.Paper.Authors {
		if name := feed.CleanLine(a.Name); name != "" && !a.Hidden {
			p.Authors = append(p.Authors, name)
		}
	}
	for _, k := range it.Paper.AIKeywords {
		if k = feed.CleanLine(k); k != "" {
			p.AIKeywords = append(p.AIKeywords, k)
		}
	}
	if org := firstOrg(it.Organization, it.Paper.Organization); org != nil {
		p.Org = feed.Org{Name: feed.CleanLine(org.Name), FullName: feed.CleanLine(org.Fullname)}
	}
	if u := it.SubmittedBy; u != nil {
		p.SubmittedBy = feed.CleanLine(firstNonEmpty(u.Name, u.User))
	}
	if d, ok := parseDay(it.Paper.SubmittedOnDailyAt); ok {
		p.ListedOn = d
	} else {
		p.ListedOn = pageDay
	}
	if t, err := time.Parse(time.RFC3339, it.Paper.PublishedAt); err == nil {
		p.Published = t.UTC()
	}
	p.CodeURL = p.GitHubRepo
	return p, true
}

func firstOrg(orgs ...*hfOrg) *hfOrg {
	for _, o := range orgs {
		if o != nil && (o.Name != "" || o.Fullname != "") {
			return o
		}
	}
	return nil
}

func firstNonEmpty(s ...string) string {
	for _, v := range s {
		if strings.TrimSpace(v) != "" {
			return v
		}
	}
	return ""
}

// cleanURL keeps only absolute http(s) URLs, so a javascript: or relative
// value never reaches a feed as a link.
func cleanURL(s string) string {
	s = strings.TrimSpace(feed.CleanLine(s))
	u, err := url.Parse(s)
	if err != nil || (u.Scheme != "https" && u.Scheme != "http") || u.Host == "" {
		return ""
	}
	return u.String()
}

// parseDay reads "2024-08-01" or an RFC 3339 timestamp as a UTC day.
func parseDay(s string) (time.Time, bool) {
	s = strings.TrimSpace(s)
	if len(s) < 10 {
		return time.Time{}, false
	}
	if len(s) > 10 {
		if t, err := time.Parse(time.RFC3339, s); err == nil {
			t = t.UTC()
			return time.Date(t.Year(), t.Month(), t.Day(), 0, 0, 0, 0, time.UTC), true
		}
	}
	t, err := time.Parse(time.DateOnly, s[:10])
	if err != nil || (len(s) > 10 && s[10] != 'T') {
		return time.Time{}, false
	}
	return t, true
}

var (
	paperHref = regexp.MustCompile(`^/papers/([^/?#]+)$`)
	dateHref  = regexp.MustCompile(`/papers(?:/date/|\?date=)(\d{4}-\d{2}-\d{2})`)
)

// parseCards reads the rendered <article> cards: the fallback source.
func parseCards(doc *goquery.Document) Listing {
	l := Listing{FromCards: true}
	seen := map[string]bool{}
	doc.Find("article").Each(func(_ int, card *goquery.Selection) {
		p, ok := parseCard(card)
		if ok && !seen[p.ID] {
			seen[p.ID] = true
			l.Papers = append(l.Papers, p)
		}
	})
	var dates []time.Time
	doc.Find("a[href]").Each(func(_ int, a *goquery.Selection) {
		if m := dateHref.FindStringSubmatch(a.AttrOr("href", "")); m != nil {
			if d, ok := parseDay(m[1]); ok {
				dates = append(dates, d)
			}
		}
	})
	// The earliest day linked is the previous one (the newest day links
	// only its previous day; others also link the next).
	for _, d := range dates {
		if l.PrevDate.IsZero() || d.Before(l.PrevDate) {
			l.PrevDate = d
		}
	}
	return l
}

func parseCard(card *goquery.Selection) (feed.Paper, bool) {
	link := card.Find("h3 a[href]").First()
	m := paperHref.FindStringSubmatch(link.AttrOr("href", ""))
	if m == nil {
		return feed.Paper{}, false
	}
	id, _, ok := feed.ParseArxivID(m[1])
	title := feed.CleanLine(link.Text())
	if !ok || title == "" {
		return feed.Paper{}, false
	}
	p := feed.Paper{ID: id, Title: title, OnHF: true, FromCards: true}
	p.Upvotes = cardCount(card.Find(`a[href^="/login?next="] .leading-none`).First().Text())
	p.Comments = cardCount(card.Find(`a[href$="#community"]`).First().Text())
	card.Find("img[src]").EachWithBreak(func(_ int, img *goquery.Selection) bool {
		if src := img.AttrOr("src", ""); strings.Contains(src, "social-thumbnails/papers/") {
			p.Thumbnail = cleanURL(src)
			return false
		}
		return true
	})
	card.Find(`a.rounded-full[href^="/"]`).EachWithBreak(func(_ int, a *goquery.Selection) bool {
		name := strings.Trim(a.AttrOr("href", ""), "/")
		if name == "" || strings.Contains(name, "/") {
			return true
		}
		p.Org = feed.Org{Name: name, FullName: feed.CleanLine(a.Text())}
		return false
	})
	// The GitHub badge links to the paper page and holds only the star count.
	card.Find(`a[href="/papers/` + m[1] + `"] > span`).EachWithBreak(func(_ int, s *goquery.Selection) bool {
		if n, err := strconv.Atoi(strings.TrimSpace(s.Text())); err == nil {
			p.GitHubStars = n
			return false
		}
		return true
	})
	p.SubmittedBy = submitter(card)
	return p, true
}

// submitter finds the "Submitted by NAME" badge of a card. Only each
// element's own text nodes are read, so a malformed page that nests
// everything in one card stays linear.
func submitter(card *goquery.Selection) string {
	name := ""
	card.Find("div").EachWithBreak(func(_ int, d *goquery.Selection) bool {
		var texts []string
		for c := d.Nodes[0].FirstChild; c != nil; c = c.NextSibling {
			if c.Type == html.TextNode {
				if t := strings.TrimSpace(c.Data); t != "" {
					texts = append(texts, t)
				}
			}
		}
		if len(texts) == 0 || !strings.HasPrefix(texts[0], "Submitted by") {
			return true
		}
		f := strings.Fields(strings.TrimPrefix(strings.Join(texts, " "), "Submitted by"))
		if len(f) > 0 {
			name = feed.CleanLine(f[len(f)-1])
		}
		return false
	})
	return name
}

// cardCount reads a card's counter; "-" (no votes yet) and junk are 0.
func cardCount(s string) int {
	n, err := strconv.Atoi(strings.TrimSpace(s))
	if err != nil || n < 0 {
		return 0
	}
	return n
}
