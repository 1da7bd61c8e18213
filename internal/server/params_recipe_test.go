package server

import (
	"encoding/json"
	"strconv"
	"strings"
	"testing"

	"paperfeed/feed"
	"paperfeed/filter"
)

// The recipe "Adding a filter parameter" (docs/architecture.md), done:
// one entry registered, and the parameter is accepted, filters every
// format, says its words in the title, has its field on the builder page
// and its clear 400, through the real handler.
func TestAFilterParameterIsOneEntryThroughTheHandler(t *testing.T) {
	t.Cleanup(filter.Register(filter.Param{
		Name: "max_authors",
		Set: func(q *filter.Query, key, val string, _ filter.Options) error {
			n, err := strconv.Atoi(val)
			if err != nil || n < 1 || n > 1000 {
				return &filter.Error{Param: key, Value: val, Reason: "must be a whole number of authors from 1 to 1000"}
			}
			return q.Write(key, strconv.Itoa(n))
		},
		Words: func(q *filter.Query) []string {
			if v := q.Value("max_authors"); v != "" {
				return []string{"at most " + v + " authors"}
			}
			return nil
		},
		Keep: func(q *filter.Query, p *feed.Paper) bool {
			n, _ := strconv.Atoi(q.Value("max_authors"))
			return len(p.Authors) <= n
		},
		Field: &filter.Field{Label: "At most authors", Number: true, Min: 1, Max: 1000, Placeholder: "3"},
	}))
	s := loadedServer(t, nil)

	var all, few struct {
		Title string `json:"title"`
		Items []struct {
			Authors []struct{ Name string } `json:"authors"`
		} `json:"items"`
	}
	for path, into := range map[string]any{"/feed.json?limit=500": &all, "/feed.json?limit=500&max_authors=3": &few} {
		code, _, body := s.get(t, path)
		if code != 200 {
			t.Fatalf("%s: %d %.300s", path, code, body)
		}
		if err := json.Unmarshal([]byte(body), into); err != nil {
			t.Fatal(err)
		}
	}
	want := 0
	for _, it := range all.Items {
		if len(it.Authors) <= 3 {
			want++
		}
	}
	if want == 0 || want == len(all.Items) {
		t.Fatalf("the recording has %d of %d papers with at most 3 authors: the test cannot tell", want, len(all.Items))
	}
	if len(few.Items) != want {
		t.Errorf("max_authors=3 kept %d items, want %d", len(few.Items), want)
	}
	for _, it := range few.Items {
		if len(it.Authors) > 3 {
			t.Errorf("max_authors=3 kept a paper with %d authors", len(it.Authors))
		}
	}
	if few.Title != "Daily Papers: at most 3 authors" {
		t.Errorf("title %q", few.Title)
	}
	for _, ext := range []string{"rss", "atom"} {
		_, _, body := s.get(t, "/feed."+ext+"?limit=500&max_authors=3")
		if n := strings.Count(body, map[string]string{"rss": "<item>", "atom": "<entry>"}[ext]); n != want {
			t.Errorf("%s: %d items, want %d", ext, n, want)
		}
	}
	code, _, body := s.get(t, "/feed.rss?max_authors=many")
	if code != 400 || !strings.Contains(body, "max_authors") || !strings.Contains(body, "whole number of authors") {
		t.Errorf("a bad value: %d %.300s", code, body)
	}
	_, _, page := s.get(t, "/?max_authors=3")
	if !strings.Contains(page, `<input name="max_authors" type="number" min="1" max="1000" inputmode="numeric" value="3" placeholder="3">`) ||
		!strings.Contains(page, "At most authors") {
		t.Errorf("the builder page has no filled max_authors field")
	}
	_, _, page = s.get(t, "/?max_authors=0")
	if !strings.Contains(page, `name="max_authors" type="number" min="1" max="1000" inputmode="numeric" value="0" placeholder="3" aria-invalid="true"`) {
		t.Errorf("the builder page does not mark the bad max_authors field")
	}
}
