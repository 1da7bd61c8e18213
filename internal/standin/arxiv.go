package standin

import (
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"hash/fnv"
	"html"
	"net/http"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"sync"
	"time"
)

// ArxivDerivedDays are the derived combined-feed answers, in announcement
// order: Friday 2026-08-21, the empty weekend channel, Monday 2026-08-24.
var ArxivDerivedDays = []string{
	"rss_cs.AI+cs.CL+cs.CV+cs.LG_2026-08-21_derived.xml",
	"rss_cs.AI+cs.CL+cs.CV+cs.LG_2026-08-22_weekend-empty_derived.xml",
	"rss_cs.AI+cs.CL+cs.CV+cs.LG_2026-08-24_derived.xml",
}

// Arxiv is a replay of rss.arxiv.org and export.arxiv.org/api/query. The
// RSS answer is whichever day is current (SetDay); it carries an ETag,
// answers If-None-Match with 304 and sends Cache-Control max-age, as
// arXiv does. The API answers id_list look-ups with entries derived from
// the real API recordings (see entryFor).
type Arxiv struct {
	recorder
	mu      sync.Mutex
	days    [][]byte
	current int
	maxAge  int
	pool    []string // real API <entry> elements
	big     []byte   // optional large feed
	unknown map[string]bool
	asked   map[string]int // id_list look-ups by ID
	revised map[string]Revision
}

// Revision is what the API answers for a paper instead of its recorded
// or borrowed entry's values: its latest version, when it was posted,
// and its comment.
type Revision struct {
	Version int
	Updated time.Time
	Comment string
}

// NewArxiv loads the day files (in dir) and the API recordings.
func NewArxiv(dir string, days []string) (*Arxiv, error) {
	a := &Arxiv{recorder: newRecorder(), maxAge: 3600}
	for _, d := range days {
		b, err := os.ReadFile(filepath.Join(dir, d))
		if err != nil {
			return nil, err
		}
		a.days = append(a.days, b)
	}
	files, err := filepath.Glob(filepath.Join(dir, "api_query_*.xml"))
	if err != nil {
		return nil, err
	}
	for _, f := range files {
		b, err := os.ReadFile(f)
		if err != nil {
			return nil, err
		}
		a.pool = append(a.pool, entryRe.FindAllString(string(b), -1)...)
	}
	if len(a.pool) == 0 {
		return nil, fmt.Errorf("no API recordings in %s", dir)
	}
	return a, nil
}

var (
	entryRe    = regexp.MustCompile(`(?s)<entry>.*?</entry>`)
	entryIDRe  = regexp.MustCompile(`<id>[^<]*</id>`)
	versionRe  = regexp.MustCompile(`(v\d+)</id>`)
	feedItemRe = regexp.MustCompile(`(?s)\s*<item>.*?</item>`)
	guidIDRe   = regexp.MustCompile(`\d{4}\.\d{4,5}`)
)

// SetDay makes day i of the list the current feed answer.
func (a *Arxiv) SetDay(i int) {
	a.mu.Lock()
	a.current = i
	a.mu.Unlock()
}

// SetMaxAge sets the Cache-Control max-age of feed answers (seconds).
func (a *Arxiv) SetMaxAge(s int) {
	a.mu.Lock()
	a.maxAge = s
	a.mu.Unlock()
}

// UseBigFeed makes the feed answer a derived feed of n items: the items of
// the current day repeated with new IDs (2608.5xxxx), for load runs.
func (a *Arxiv) UseBigFeed(n int) {
	a.mu.Lock()
	defer a.mu.Unlock()
	src := string(a.days[a.current])
	items := feedItemRe.FindAllString(src, -1)
	if len(items) == 0 {
		return
	}
	var b strings.Builder
	head := src[:strings.Index(src, items[0])]
	b.WriteString(head)
	for i := 0; i < n; i++ {
		id := fmt.Sprintf("2608.%05d", 50000+i)
		b.WriteString(guidIDRe.ReplaceAllString(items[i%len(items)], id))
	}
	b.WriteString("\n  </channel>\n</rss>\n")
	a.big = []byte(b.String())
}

func (a *Arxiv) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	fault := a.record(r)
	a.mu.Lock()
	body := a.days[a.current]
	if a.big != nil {
		body = a.big
	}
	maxAge := a.maxAge
	a.mu.Unlock()
	if serveFault(w, r, fault) {
		return
	}
	switch {
	case strings.HasPrefix(r.URL.Path, "/rss/"):
		sum := sha256.Sum256(body)
		etag := `"` + hex.EncodeToString(sum[:8]) + `"`
		w.Header().Set("ETag", etag)
		w.Header().Set("Cache-Control", fmt.Sprintf("max-age=%d", maxAge))
		if r.Header.Get("If-None-Match") == etag {
			w.WriteHeader(http.StatusNotModified)
			return
		}
		w.Header().Set("Content-Type", "application/rss+xml; charset=utf-8")
		_, _ = w.Write(body)
	case r.URL.Path == "/api/query":
		w.Header().Set("Content-Type", "application/atom+xml; charset=utf-8")
		var b strings.Builder
		b.WriteString(`<?xml version='1.0' encoding='UTF-8'?>` + "\n" +
			`<feed xmlns:opensearch="http://a9.com/-/spec/opensearch/1.1/" xmlns:arxiv="http://arxiv.org/schemas/atom" xmlns="http://www.w3.org/2005/Atom">` + "\n" +
			`  <id>https://arxiv.org/api/replay</id>` + "\n  <title>arXiv Query: replay</title>\n")
		a.mu.Lock()
		unknown := a.unknown
		a.mu.Unlock()
		ids := strings.Split(r.URL.Query().Get("id_list"), ",")
		a.mu.Lock()
		if a.asked == nil {
			a.asked = map[string]int{}
		}
		for _, id := range ids {
			a.asked[strings.TrimSpace(id)]++
		}
		a.mu.Unlock()
		for _, id := range ids {
			if id = strings.TrimSpace(id); id != "" && !unknown[id] {
				b.WriteString("  " + a.entryFor(id) + "\n")
			}
		}
		b.WriteString("</feed>\n")
		_, _ = w.Write([]byte(b.String()))
	default:
		http.NotFound(w, r)
	}
}

// Revise makes the API answer a later version of a paper, with a new
// comment (an acceptance, typically).
func (a *Arxiv) Revise(id string, r Revision) {
	a.mu.Lock()
	defer a.mu.Unlock()
	if a.revised == nil {
		a.revised = map[string]Revision{}
	}
	a.revised[id] = r
}

var (
	updatedRe = regexp.MustCompile(`<updated>[^<]*</updated>`)
	commentRe = regexp.MustCompile(`<arxiv:comment[^>]*>[^<]*</arxiv:comment>`)
)

// revise applies a Revision to an entry.
func revise(e, id string, r Revision) string {
	e = entryIDRe.ReplaceAllString(e, fmt.Sprintf("<id>http://arxiv.org/abs/%sv%d</id>", id, r.Version))
	e = updatedRe.ReplaceAllString(e, "<updated>"+r.Updated.UTC().Format(time.RFC3339)+"</updated>")
	comment := `<arxiv:comment xmlns:arxiv="http://arxiv.org/schemas/atom">` + html.EscapeString(r.Comment) + `</arxiv:comment>`
	if commentRe.MatchString(e) {
		return commentRe.ReplaceAllLiteralString(e, comment)
	}
	return strings.Replace(e, "</entry>", "  "+comment+"\n</entry>", 1)
}

// Asked is how many times each ID was looked up on the API.
func (a *Arxiv) Asked() map[string]int {
	a.mu.Lock()
	defer a.mu.Unlock()
	out := make(map[string]int, len(a.asked))
	for id, n := range a.asked {
		out[id] = n
	}
	return out
}

// Unknown makes the API answer no entry for these IDs, as arXiv does for
// an ID it does not have.
func (a *Arxiv) Unknown(ids ...string) {
	a.mu.Lock()
	defer a.mu.Unlock()
	if a.unknown == nil {
		a.unknown = map[string]bool{}
	}
	for _, id := range ids {
		a.unknown[id] = true
	}
}

// entryFor answers an id_list look-up: the real recorded entry when the
// ID was recorded, else a real entry (chosen by a hash of the ID) with
// its <id> replaced (keeping its version), so the structure and categories are real arXiv data
// even though they belong to another paper.
func (a *Arxiv) entryFor(id string) string {
	e := a.poolEntry(id)
	a.mu.Lock()
	r, ok := a.revised[id]
	a.mu.Unlock()
	if ok {
		return revise(e, id, r)
	}
	return e
}

func (a *Arxiv) poolEntry(id string) string {
	for _, e := range a.pool {
		if strings.Contains(e, "/abs/"+id+"v") {
			return e
		}
	}
	h := fnv.New32a()
	_, _ = h.Write([]byte(id))
	e := a.pool[int(h.Sum32())%len(a.pool)]
	return entryIDRe.ReplaceAllStringFunc(e, func(old string) string {
		v := "v1" // the borrowed entry's version, with its dates
		if m := versionRe.FindStringSubmatch(old); m != nil {
			v = m[1]
		}
		return "<id>http://arxiv.org/abs/" + id + v + "</id>"
	})
}

// BigFeed returns a derived arXiv feed of n items: the items of the
// recorded-derived Friday feed repeated with new IDs, for benchmarks.
func BigFeed(dir string, n int) ([]byte, error) {
	a, err := NewArxiv(dir, ArxivDerivedDays[:1])
	if err != nil {
		return nil, err
	}
	a.UseBigFeed(n)
	return a.big, nil
}
