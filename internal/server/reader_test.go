package server

import (
	"bufio"
	"compress/gzip"
	"encoding/json"
	"fmt"
	"net/url"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"paperfeed/feed"
)

// evalDir is the evaluation set of like= (its SOURCES.md says where it
// comes from): 8,000 papers and the dev queries, labels made by people.
var evalDir = filepath.Join("..", "..", "filter", "testdata", "eval")

type readerQuery struct {
	Name     string   `json:"name"`
	Seeds    []string `json:"seeds"`
	Relevant []string `json:"relevant"`
}

// loadReaderEval reads the evaluation set's papers (as Hugging Face
// papers listed on day) and dev queries.
func loadReaderEval(t *testing.T, day time.Time) ([]feed.Paper, []readerQuery) {
	t.Helper()
	f, err := os.Open(filepath.Join(evalDir, "papers.jsonl.gz"))
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	zr, err := gzip.NewReader(f)
	if err != nil {
		t.Fatal(err)
	}
	var papers []feed.Paper
	sc := bufio.NewScanner(zr)
	sc.Buffer(make([]byte, 1<<20), 1<<20)
	for sc.Scan() {
		var p struct{ ID, Title, Abstract string }
		if err := json.Unmarshal(sc.Bytes(), &p); err != nil {
			t.Fatal(err)
		}
		papers = append(papers, feed.Paper{ID: p.ID, Title: p.Title, Abstract: p.Abstract, OnHF: true, ListedOn: day,
			Authors: []string{"A. Author"}})
	}
	if err := sc.Err(); err != nil {
		t.Fatal(err)
	}
	b, err := os.ReadFile(filepath.Join(evalDir, "queries-dev.jsonl"))
	if err != nil {
		t.Fatal(err)
	}
	var qs []readerQuery
	for line := range strings.Lines(string(b)) {
		var q readerQuery
		if err := json.Unmarshal([]byte(line), &q); err != nil {
			t.Fatal(err)
		}
		qs = append(qs, q)
	}
	return papers, qs
}

type readerItem struct {
	Ext struct {
		ArxivID string `json:"arxiv_id"`
		Liked   bool   `json:"liked"`
		Votes   *struct {
			More string `json:"more_like_this"`
			Less string `json:"less_like_this"`
		} `json:"votes"`
	} `json:"_paperfeed"`
}

// TestSimulatedReader is a reader of personal feeds, through the real
// handler, over the evaluation set (the 8,000 papers in the store as one
// Hugging Face day): for each dev query a personal feed of its 3 seeds;
// read the first 10 items, vote "more like this" on the relevant ones
// and "less" on the others by POSTing their signed links, read the next
// 10 items not read yet, vote again, read again. The P@10 of rounds 2
// and 3 must beat the same feed without votes (its items 11-20 and
// 21-30); a paper voted "more" stays an item, marked as liked; one voted
// "less" leaves. docs/ranking.md has the table.
func TestSimulatedReader(t *testing.T) {
	if raceEnabled {
		t.Skip("ten times slower under the race detector; .ci/run runs it without")
	}
	f := newFixture(t, func(c *Config) { c.TrustProxy = true }).loaded(t)
	day := f.app.store.View().HFDays[0]
	papers, qs := loadReaderEval(t, day)
	f.app.store.PutHFDay(day, papers)
	if testing.Short() {
		qs = qs[:12]
	}
	base := f.srv.URL
	var votes, plain [3]float64
	for n, q := range qs {
		rel := map[string]bool{}
		for _, id := range q.Relevant {
			rel[id] = true
		}
		resp, b := post(t, base, "/f", url.Values{"name": {"reader"}, "filter": {"limit=100"}, "like": {strings.Join(q.Seeds, ",")}}, nil,
			"X-Forwarded-For", fmt.Sprintf("10.1.%d.%d", n/250, n%250)) // a creator each: creations are rate-limited per address
		if resp.StatusCode != 201 {
			t.Fatalf("%s: create: %d %s", q.Name, resp.StatusCode, b)
		}
		token := tokenIn.FindStringSubmatch(resp.Header.Get("Location"))[1]
		read := map[string]bool{}
		var more, less []string
		for round := range 3 {
			items := readerFeed(t, base, token)
			if n == 0 && round == 0 { // the confirmation page says what the vote will do
				for link, want := range map[string]string{items[0].Ext.Votes.More: "stays in your feed, marked as liked",
					items[0].Ext.Votes.Less: "papers like it move down a little"} {
					u, _ := url.Parse(link)
					if resp, page := roundTrip(t, "GET", base+u.RequestURI()); resp.StatusCode != 200 || !strings.Contains(string(page), want) {
						t.Errorf("vote page %s: %d, lacks %q", u.RequestURI(), resp.StatusCode, want)
					}
				}
			}
			if round == 0 {
				for r := range 3 {
					for _, it := range items[10*r : min(len(items), 10*r+10)] {
						if rel[it.Ext.ArxivID] {
							plain[r] += 0.1 / float64(len(qs))
						}
					}
				}
			}
			for _, it := range items {
				id := it.Ext.ArxivID
				switch {
				case slices.Contains(less, id):
					t.Errorf("%s: %s, voted less like this, is still an item", q.Name, id)
				case slices.Contains(more, id) != it.Ext.Liked:
					t.Errorf("%s: %s liked %v, voted more like this %v", q.Name, id, it.Ext.Liked, slices.Contains(more, id))
				}
			}
			if round > 0 && len(more) > 0 && n < 3 { // marked in RSS and Atom too
				for _, ext := range []string{".rss", ".atom"} {
					if _, b := roundTrip(t, "GET", base+"/f/"+token+ext); !strings.Contains(string(b), "You liked this") {
						t.Errorf("%s: the %s feed does not mark the liked papers", q.Name, ext)
					}
				}
			}
			for _, id := range more {
				if !slices.ContainsFunc(items, func(it readerItem) bool { return it.Ext.ArxivID == id }) {
					t.Errorf("%s: %s, voted more like this, left the feed", q.Name, id)
				}
			}
			batch := 0
			for _, it := range items {
				id := it.Ext.ArxivID
				if read[id] || batch == 10 {
					continue
				}
				read[id] = true
				batch++
				link := it.Ext.Votes.Less
				if rel[id] {
					votes[round] += 0.1 / float64(len(qs))
					link, more = it.Ext.Votes.More, append(more, id)
				} else {
					less = append(less, id)
				}
				if round == 2 {
					continue // the last round is read, not voted on
				}
				u, err := url.Parse(link)
				if err != nil {
					t.Fatal(err)
				}
				if resp, b := post(t, base, "/f/"+token+"/vote", u.Query(), nil); resp.StatusCode != 303 {
					t.Fatalf("%s: vote: %d %s", q.Name, resp.StatusCode, b)
				}
			}
		}
	}
	t.Logf("%d dev queries through the handler: P@10 round 1 %.3f; round 2 %.3f with votes, %.3f without (%.2fx); round 3 %.3f, %.3f (%.2fx)",
		len(qs), votes[0], votes[1], plain[1], votes[1]/plain[1], votes[2], plain[2], votes[2]/plain[2])
	if !testing.Short() && (votes[1] < 1.1*plain[1] || votes[2] < 1.15*plain[2]) {
		t.Errorf("votes do not teach: round 2 %.3f vs %.3f without votes, round 3 %.3f vs %.3f", votes[1], plain[1], votes[2], plain[2])
	}
}

// readerFeed reads a personal feed's JSON items.
func readerFeed(t *testing.T, base, token string) []readerItem {
	t.Helper()
	resp, b := roundTrip(t, "GET", base+"/f/"+token+".json")
	if resp.StatusCode != 200 {
		t.Fatalf("personal feed: %d %s", resp.StatusCode, b)
	}
	var doc struct{ Items []readerItem }
	if err := json.Unmarshal(b, &doc); err != nil {
		t.Fatal(err)
	}
	return doc.Items
}
