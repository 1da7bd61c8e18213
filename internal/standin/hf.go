// Package standin holds the test stand-ins of the upstreams: it replays
// recorded Hugging Face and arXiv responses over HTTP for tests and load
// runs, with fault injection. It never touches the network.
package standin

import (
	"encoding/json"
	"fmt"
	"html"
	"maps"
	"net/http"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"sync"
	"time"
)

// Day is one listing day of the replay: the real API listing in File
// (a daily_papers_*.json in the test data directory) shown as day Date.
type Day struct {
	Date time.Time
	File string
}

// DefaultDays are eight listing days ending Friday 2026-08-21, with the
// weekend of 15-16 August empty, built from the real API recordings.
func DefaultDays() []Day {
	d := func(s string) time.Time { t, _ := time.Parse(time.DateOnly, s); return t }
	return []Day{
		{d("2026-08-21"), "daily_papers_date-2026-08-21_reserialized_2404589803.json"},
		{d("2026-08-20"), "daily_papers_date-2025-10-03_reserialized_2404589803.json"},
		{d("2026-08-19"), "daily_papers_date-2025-07-07_reserialized_2404589803.json"},
		{d("2026-08-18"), "daily_papers_date-2025-03-17_reserialized_2404589803.json"},
		{d("2026-08-17"), "daily_papers_2024-10-25_raw.json"},
		{d("2026-08-14"), "daily_papers_date-2024-05-27_reserialized_2404589803.json"},
		{d("2026-08-13"), "daily_papers_date-2024-04-04_raw_2404589803.json"},
		{d("2026-08-12"), "daily_papers_date-2024-03-12_raw_2404589803.json"},
	}
}

// Fault is what the replay does instead of answering normally.
type Fault struct {
	Status     int           // answer this status (e.g. 500, 429)
	RetryAfter string        // Retry-After header value with Status
	Hang       time.Duration // wait this long (or until the client leaves) before answering
	Truncate   bool          // send half of the body, then cut the connection
	Layout     bool          // answer a page with neither props nor cards
	Partial    int           // list only the first N papers of the day
	Slow       time.Duration // answer normally after this delay
}

// HF is a replay of huggingface.co's Daily Papers pages.
type HF struct {
	recorder
	mu   sync.Mutex
	days []dayData // the days published now, newest first
	all  []dayData // every day, newest first (see HideNewest)
	// apiUpvotes overrides upvotes in API answers only (a count that moved
	// between the page fetch and the API fetch).
	apiUpvotes map[string]int
	// paperTmpl is the recorded per-paper answer; artifacts override the
	// derived counts (hf_paper.go).
	paperTmpl map[string]any
	artifacts map[string]Artifacts
	derived   int // days AddDerivedDay added
}

type dayData struct {
	date  time.Time
	items []map[string]any
}

// NewHF loads the days from dir (the test data directory).
func NewHF(dir string, days []Day) (*HF, error) {
	h := &HF{recorder: newRecorder()}
	for _, d := range days {
		b, err := os.ReadFile(filepath.Join(dir, d.File))
		if err != nil {
			return nil, err
		}
		var items []map[string]any
		if err := json.Unmarshal(b, &items); err != nil {
			return nil, fmt.Errorf("%s: %w", d.File, err)
		}
		for _, it := range items {
			if p, ok := it["paper"].(map[string]any); ok {
				if _, has := p["submittedOnDailyAt"]; has {
					p["submittedOnDailyAt"] = d.Date.Format("2006-01-02") + "T00:00:00.000Z"
				}
			}
		}
		h.days = append(h.days, dayData{date: d.Date, items: items})
	}
	sort.Slice(h.days, func(i, j int) bool { return h.days[i].date.After(h.days[j].date) })
	h.all = h.days
	tmpl, err := loadPaperTemplate(dir)
	if err != nil {
		return nil, err
	}
	h.paperTmpl = tmpl
	return h, nil
}

// serveAPI answers /api/daily_papers as HF does: the items listed on a
// date (none for a weekend), in an ISO week or a month, or the newest
// day's without a parameter; the items carry the AI fields the 2026
// pages lack.
func (h *HF) serveAPI(w http.ResponseWriter, r *http.Request, fault Fault) {
	q := r.URL.Query()
	h.mu.Lock()
	var items []map[string]any
	switch {
	case q.Get("date") != "":
		d, err := time.Parse(time.DateOnly, q.Get("date"))
		if err != nil {
			h.mu.Unlock()
			http.Error(w, `{"error":"Invalid date"}`, http.StatusBadRequest)
			return
		}
		for _, day := range h.days {
			if day.date.Equal(d) {
				items = day.items
			}
		}
	case q.Get("week") != "" || q.Get("month") != "":
		for _, day := range h.days {
			y, wk := day.date.ISOWeek()
			if fmt.Sprintf("%04d-W%02d", y, wk) == q.Get("week") || day.date.Format("2006-01") == q.Get("month") {
				items = append(items, day.items...)
			}
		}
	default:
		items = h.days[0].items
	}
	if fault.Partial > 0 && fault.Partial < len(items) {
		items = items[:fault.Partial]
	}
	if items == nil {
		items = []map[string]any{}
	}
	if len(h.apiUpvotes) > 0 {
		items = withUpvotes(items, h.apiUpvotes)
	}
	b, err := json.Marshal(items)
	h.mu.Unlock()
	if err != nil {
		http.Error(w, err.Error(), http.StatusInternalServerError)
		return
	}
	w.Header().Set("Content-Type", "application/json; charset=utf-8")
	if fault.Truncate {
		w.Header().Set("Content-Length", fmt.Sprint(len(b)))
		_, _ = w.Write(b[:len(b)/2])
		if hj, ok := w.(http.Hijacker); ok {
			if c, _, err := hj.Hijack(); err == nil {
				c.Close()
			}
		}
		return
	}
	if fault.Layout {
		_, _ = w.Write([]byte(`{"error":"the API changed"}`))
		return
	}
	_, _ = w.Write(b)
}

// SetAPIUpvotes makes the API, and only the API, answer n upvotes for a
// paper.
func (h *HF) SetAPIUpvotes(id string, n int) {
	h.mu.Lock()
	defer h.mu.Unlock()
	if h.apiUpvotes == nil {
		h.apiUpvotes = map[string]int{}
	}
	h.apiUpvotes[id] = n
}

func withUpvotes(items []map[string]any, up map[string]int) []map[string]any {
	out := make([]map[string]any, len(items))
	for i, it := range items {
		out[i] = it
		if p, ok := it["paper"].(map[string]any); ok {
			if n, ok := up[fmt.Sprint(p["id"])]; ok {
				c, pc := maps.Clone(it), maps.Clone(p)
				pc["upvotes"] = float64(n)
				c["paper"] = pc
				out[i] = c
			}
		}
	}
	return out
}

// HideNewest makes the k newest days unpublished (until called with 0):
// a new listing day appears when they come back.
func (h *HF) HideNewest(k int) {
	h.mu.Lock()
	defer h.mu.Unlock()
	h.days = h.all[min(k, len(h.all)-1):]
}

// SetGitHubRepo gives a paper a code repository (code added later).
func (h *HF) SetGitHubRepo(id, repo string) {
	h.mu.Lock()
	defer h.mu.Unlock()
	for _, d := range h.all {
		for _, it := range d.items {
			if p, ok := it["paper"].(map[string]any); ok && p["id"] == id {
				p["githubRepo"] = repo
			}
		}
	}
}

// SetUpvotes changes a paper's upvotes in the recordings (a count that
// moves between two refreshes).
func (h *HF) SetUpvotes(id string, n int) {
	h.mu.Lock()
	defer h.mu.Unlock()
	for _, d := range h.all {
		for _, it := range d.items {
			if p, ok := it["paper"].(map[string]any); ok && p["id"] == id {
				p["upvotes"] = float64(n)
			}
		}
	}
}

// PageTotal is the number of listing page requests received.
func (h *HF) PageTotal() int {
	n := 0
	for p, v := range h.Hits() {
		if strings.HasPrefix(p, "/papers") {
			n += v
		}
	}
	return n
}

// APITotal is the number of /api/daily_papers requests received.
func (h *HF) APITotal() int { return h.Hits()["/api/daily_papers"] }

// Total is the number of listing requests received (pages and
// /api/daily_papers; per-paper look-ups are PaperTotal).
func (h *HF) Total() int {
	n := 0
	for p, v := range h.Hits() {
		if !strings.HasPrefix(p, "/api/papers/") {
			n += v
		}
	}
	return n
}

// Newest is the newest listing day.
func (h *HF) Newest() time.Time { return h.days[0].date }

// Items returns the number of papers of a day.
func (h *HF) Items(day time.Time) int {
	for _, d := range h.days {
		if d.date.Equal(day) {
			return len(d.items)
		}
	}
	return 0
}

func (h *HF) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	fault := h.record(r)
	if serveFault(w, r, fault) {
		return
	}
	if r.URL.Path == "/api/daily_papers" {
		h.serveAPI(w, r, fault)
		return
	}
	if id, ok := strings.CutPrefix(r.URL.Path, "/api/papers/"); ok {
		h.servePaper(w, id)
		return
	}
	page, ok := h.page(r.URL.Path, fault.Partial)
	if !ok {
		http.NotFound(w, r)
		return
	}
	if fault.Layout {
		page = "<!doctype html><html><body><main><p>We are redesigning Daily Papers.</p></main></body></html>"
	}
	w.Header().Set("Content-Type", "text/html; charset=utf-8")
	if fault.Truncate {
		w.Header().Set("Content-Length", fmt.Sprint(len(page)))
		_, _ = w.Write([]byte(page[:len(page)/2]))
		if hj, ok := w.(http.Hijacker); ok {
			if c, _, err := hj.Hijack(); err == nil {
				c.Close()
			}
		}
		return
	}
	_, _ = w.Write([]byte(page))
}

// serveFault plays the delay, hang or status part of a fault. It
// reports whether the answer is complete.
func serveFault(w http.ResponseWriter, r *http.Request, fault Fault) bool {
	if fault.Slow > 0 || fault.Hang > 0 {
		select {
		case <-time.After(fault.Slow + fault.Hang):
		case <-r.Context().Done():
			return true
		}
		if fault.Hang > 0 {
			return true
		}
	}
	if fault.Status != 0 {
		if fault.RetryAfter != "" {
			w.Header().Set("Retry-After", fault.RetryAfter)
		}
		http.Error(w, http.StatusText(fault.Status), fault.Status)
		return true
	}
	return false
}

// page renders the listing page for a path.
func (h *HF) page(path string, partial int) (string, bool) {
	h.mu.Lock()
	defer h.mu.Unlock()
	switch {
	case path == "/papers" || path == "/papers/":
		return h.dayPage(0, partial), true
	case strings.HasPrefix(path, "/papers/date/"):
		d, err := time.Parse(time.DateOnly, strings.TrimPrefix(path, "/papers/date/"))
		if err != nil {
			return "", false
		}
		// HF serves the newest papers-day on or before the date.
		for i, day := range h.days {
			if !day.date.After(d) {
				return h.dayPage(i, partial), true
			}
		}
		return "", false
	case strings.HasPrefix(path, "/papers/week/"):
		key := strings.TrimPrefix(path, "/papers/week/")
		return h.periodPage("week", key, func(t time.Time) bool {
			y, w := t.ISOWeek()
			return fmt.Sprintf("%04d-W%02d", y, w) == key
		}), true
	case strings.HasPrefix(path, "/papers/month/"):
		key := strings.TrimPrefix(path, "/papers/month/")
		return h.periodPage("month", key, func(t time.Time) bool { return t.Format("2006-01") == key }), true
	}
	return "", false
}

func (h *HF) dayPage(i, partial int) string {
	d := h.days[i]
	items := d.items
	if partial > 0 && partial < len(items) {
		items = items[:partial]
	}
	props := map[string]any{
		"dateString":  d.date.Format(time.DateOnly),
		"periodType":  "day",
		"dailyPapers": withoutAI(items),
		"canSubmit":   false,
		"isTrending":  false,
		"query":       map[string]any{},
	}
	if i+1 < len(h.days) {
		props["prevDate"] = h.days[i+1].date.Format(time.DateOnly)
	}
	if i > 0 {
		props["nextDate"] = h.days[i-1].date.Format(time.DateOnly)
	}
	return wrapPage(props)
}

func (h *HF) periodPage(kind, key string, in func(time.Time) bool) string {
	var items []map[string]any
	for _, d := range h.days {
		if in(d.date) {
			items = append(items, d.items...)
		}
	}
	sort.SliceStable(items, func(i, j int) bool { return upvotes(items[i]) > upvotes(items[j]) })
	if items == nil {
		items = []map[string]any{}
	}
	return wrapPage(map[string]any{"dateString": key, "periodType": kind, "dailyPapers": withoutAI(items)})
}

// withoutAI copies items without ai_summary and ai_keywords: the real
// 2026 listing pages no longer carry them (the API does).
func withoutAI(items []map[string]any) []map[string]any {
	out := make([]map[string]any, len(items))
	for i, it := range items {
		c := maps.Clone(it)
		if p, ok := it["paper"].(map[string]any); ok {
			p = maps.Clone(p)
			delete(p, "ai_summary")
			delete(p, "ai_keywords")
			c["paper"] = p
		}
		out[i] = c
	}
	return out
}

func upvotes(it map[string]any) float64 {
	p, _ := it["paper"].(map[string]any)
	n, _ := p["upvotes"].(float64)
	return n
}

func wrapPage(props map[string]any) string {
	b, _ := json.Marshal(props)
	return `<!doctype html><html><head><meta charset="utf-8"><title>Daily Papers - Hugging Face</title></head><body><main>` +
		`<div class="SVELTE_HYDRATER contents" data-target="DailyPapers" data-props="` + html.EscapeString(string(b)) + `"></div>` +
		`</main></body></html>`
}

// AddDerivedDay publishes a listing day of n papers derived from the
// recorded ones (a copy of each in turn, with an ID of its own,
// 2608.6NNNN for the first day added, 2608.7NNNN for the second, and so
// on, and its title marked "(derived N)"): a burst larger than any
// recorded day. It returns the new papers' IDs; the day is hidden and
// shown with HideNewest like the others.
func (h *HF) AddDerivedDay(date time.Time, n int) []string {
	h.mu.Lock()
	defer h.mu.Unlock()
	var src []map[string]any
	for _, d := range h.all {
		src = append(src, d.items...)
	}
	day := dayData{date: date}
	ids := make([]string, n)
	for i := range n {
		b, _ := json.Marshal(src[i%len(src)])
		var it map[string]any
		_ = json.Unmarshal(b, &it)
		ids[i] = fmt.Sprintf("2608.%d%04d", 6+h.derived, i)
		title := fmt.Sprintf("%v (derived %d)", it["title"], i)
		it["title"] = title
		if p, ok := it["paper"].(map[string]any); ok {
			p["id"], p["title"] = ids[i], title
			p["submittedOnDailyAt"] = date.Format("2006-01-02") + "T00:00:00.000Z"
		}
		day.items = append(day.items, it)
	}
	h.derived++
	h.all = append(h.all, day)
	sort.Slice(h.all, func(i, j int) bool { return h.all[i].date.After(h.all[j].date) })
	h.days = h.all
	return ids
}
