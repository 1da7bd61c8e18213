package server

import (
	"encoding/json"
	"fmt"
	"html"
	"net/url"
	"regexp"
	"slices"
	"strings"
	"testing"
	"time"

	"paperfeed/internal/personal"
)

// Delete takes its confirmation as every yes/no does: 1/0, true/false,
// yes/no, on/off in any case; a no or a word it does not know deletes
// nothing and says so.
func TestPersonalDeleteConfirmYesNo(t *testing.T) {
	f := newFixture(t, nil).loaded(t)
	f.app.HTTP.personal.Side.Burst = 100 // a dozen feeds from one address
	base := f.srv.URL
	for _, no := range []string{"", "0", "no", "OFF", "maybe"} {
		token := create(t, base, url.Values{"filter": {"q=agents"}})
		resp, b := post(t, base, "/f/"+token+"/delete", url.Values{"confirm": {no}}, nil)
		if resp.StatusCode != 400 || !strings.Contains(string(b), "confirm=") {
			t.Errorf("confirm=%q: %d %s", no, resp.StatusCode, b)
		}
		if no == "maybe" && !strings.Contains(string(b), "1, true, yes or on") {
			t.Errorf("confirm=maybe does not say what is accepted: %s", b)
		}
		if _, err := f.app.HTTP.personal.Side.Store.PersonalGet(token); err != nil {
			t.Errorf("confirm=%q deleted the feed", no)
		}
	}
	for _, yes := range []string{"1", "true", "yes", "on", "YES", "True", "On"} {
		token := create(t, base, url.Values{"filter": {"q=agents"}})
		if resp, b := post(t, base, "/f/"+token+"/delete", url.Values{"confirm": {yes}}, nil); resp.StatusCode != 200 {
			t.Errorf("confirm=%s: %d %s", yes, resp.StatusCode, b)
		}
	}
}

// exportOf is an export whose feed and votes are given.
func exportOf(def map[string]any, votes map[string]any) string {
	b, _ := json.Marshal(map[string]any{"format": personal.ExportFormat, "feed": def, "votes": votes})
	return string(b)
}

// An import is checked like the form: hostile vote keys, junk seeds, an
// oversized name or a vote dated in the future are a 400 that names
// them, and nothing is stored.
func TestPersonalImportCheckedLikeTheForm(t *testing.T) {
	f := newFixture(t, nil).loaded(t)
	f.app.HTTP.personal.Side.Burst = 100
	base := f.srv.URL
	var held []string
	for id := range f.items(t, "/feed.json?q=agents") {
		held = append(held, id)
	}
	at := time.Now().UTC().Add(-time.Hour).Format(time.RFC3339)
	vote := map[string]any{"dir": "more", "at": at}
	for _, tc := range []struct {
		def   map[string]any
		votes map[string]any
		want  string
	}{
		{map[string]any{"name": "x"}, map[string]any{strings.Repeat("9", 9000): vote}, "votes="},
		{map[string]any{"name": "x"}, map[string]any{"../../x": vote}, `"../../x": not an arXiv ID`},
		{map[string]any{"name": "x"}, map[string]any{"<script>": vote}, "not an arXiv ID"},
		{map[string]any{"name": "x"}, map[string]any{"2501.00001": map[string]any{"dir": "more", "at": "9999-01-01T00:00:00Z"}}, "before now"},
		{map[string]any{"name": "x"}, map[string]any{"2501.00001": map[string]any{"dir": "more"}}, "dated"},
		{map[string]any{"name": "x", "like": []string{"2604.26835,junk"}}, nil, `like="2604.26835,junk": not an arXiv ID`},
		{map[string]any{"name": "x", "like": []string{"2604.26835 2604.26836"}}, nil, "like="},
		{map[string]any{"name": strings.Repeat("n", 5000)}, nil, "at most 100 characters"},
		{map[string]any{"name": "a\nb"}, nil, "control characters"},
		{map[string]any{"name": "x", "filter": "q=agents&bogus=1"}, nil, "bogus"},
		{map[string]any{"name": "x", "filter": strings.Repeat("q=a&", 1000)}, nil, "at most 2000 bytes"},
		{map[string]any{"name": "x", "like": []string{"2604.26835"}, "unlike": []string{"2604.26835v2"}}, nil, "liked too"},
		{map[string]any{"name": "x", "bogus": 1}, nil, `unknown field "bogus"`},
		{map[string]any{"name": "x", "votes": map[string]any{"2501.00001": vote}}, nil, `unknown field "votes"`}, // votes misplaced in feed
	} {
		before, _ := f.app.HTTP.personal.Side.Store.PersonalCount()
		resp, b := post(t, base, "/f", url.Values{}, map[string]string{"import_file": exportOf(tc.def, tc.votes)})
		if resp.StatusCode != 400 || !strings.Contains(string(b), tc.want) {
			t.Errorf("import %.80v %.80v: %d %.300s, want 400 saying %q", tc.def, tc.votes, resp.StatusCode, b, tc.want)
		}
		if after, _ := f.app.HTTP.personal.Side.Store.PersonalCount(); after != before {
			t.Errorf("a refused import stored a feed")
		}
	}
	// A good export in other spellings imports as the form would read it:
	// like= in the filter joins the seeds, versions and links are dropped.
	good := exportOf(map[string]any{"name": "  Good  ", "filter": "q=agents&like=" + held[0] + "v2&format=atom", "created": at},
		map[string]any{"https://arxiv.org/abs/" + held[1] + "v3": map[string]any{"dir": "less", "at": at}})
	resp, b := post(t, base, "/f", url.Values{}, map[string]string{"import_file": good})
	if resp.StatusCode != 201 {
		t.Fatalf("a good import: %d %.300s", resp.StatusCode, b)
	}
	rec := mustRecord(t, f.app, tokenIn.FindStringSubmatch(resp.Header.Get("Location"))[1])
	var def personal.Def
	if err := json.Unmarshal(rec.Def, &def); err != nil {
		t.Fatal(err)
	}
	if def.Name != "Good" || def.Filter != "q=agents" || fmt.Sprint(def.Like) != "["+held[0]+"]" || len(rec.Votes) != 1 || rec.Votes[held[1]] == "" {
		t.Errorf("imported as %+v with votes %v", def, rec.Votes)
	}
}

// Four imports of the biggest export the bounds allow stay small: each
// stored feed is within personal.MaxStoredBytes.
func TestPersonalImportBoundedSize(t *testing.T) {
	f := newFixture(t, nil).loaded(t)
	at := time.Now().UTC().Add(-time.Hour).Format(time.RFC3339)
	votes := map[string]any{}
	for i := range personal.MaxVotes {
		votes[fmt.Sprintf("math-ph/%07d", i)] = map[string]any{"dir": "less", "at": at}
	}
	name := strings.Repeat("<&", personal.MaxName/2)
	export := exportOf(map[string]any{"name": name, "filter": "q=" + strings.Repeat("%C3%A9", 330)}, votes)
	resp, b := post(t, f.srv.URL, "/f", url.Values{}, map[string]string{"import_file": export})
	if resp.StatusCode != 201 {
		t.Fatalf("the largest import: %d %.300s", resp.StatusCode, b)
	}
	rec := mustRecord(t, f.app, tokenIn.FindStringSubmatch(resp.Header.Get("Location"))[1])
	size := len(rec.Def)
	for id, v := range rec.Votes {
		size += len(id) + len(v)
	}
	if size > personal.MaxStoredBytes {
		t.Errorf("stored in %d bytes, over %d", size, personal.MaxStoredBytes)
	}
	t.Logf("the largest feed the bounds allow: %d bytes stored (%d votes)", size, len(rec.Votes))
}

// The page a vote link opens says what the vote will do, for each kind
// of vote and feed: "less" on a feed with no liked paper removes the
// paper alone, "less" once a paper is liked also moves papers like it
// down, "more" keeps the paper, and undo says the vote goes; the page
// names the paper and records nothing.
func TestVoteConfirmationSaysWhatItDoes(t *testing.T) {
	f := newFixture(t, nil).loaded(t)
	base := f.srv.URL
	token := create(t, base, url.Values{"name": {"Agents"}, "filter": {"q=agents"}})
	items, _ := personalItems(t, base, token)
	if len(items) < 3 {
		t.Fatalf("%d items", len(items))
	}
	page := func(link string) string {
		t.Helper()
		u, _ := url.Parse(link)
		resp, b := roundTrip(t, "GET", base+u.RequestURI())
		if resp.StatusCode != 200 {
			t.Fatalf("GET %s: %d %s", u.RequestURI(), resp.StatusCode, b)
		}
		return string(b)
	}
	check := func(what, p string, want, not []string) {
		t.Helper()
		for _, w := range want {
			if !strings.Contains(p, w) {
				t.Errorf("%s: the page lacks %q", what, w)
			}
		}
		for _, w := range not {
			if strings.Contains(p, w) {
				t.Errorf("%s: the page says %q", what, w)
			}
		}
	}
	p := f.app.store.View().ByID[items[1].Ext.ArxivID]
	if p == nil {
		t.Fatalf("%s not held", items[1].Ext.ArxivID)
	}
	title := html.EscapeString(p.Title)
	check("less, nothing liked", page(items[1].Ext.Votes.Less),
		[]string{"Less like this?", "This paper leaves your feed", "no liked papers yet, so nothing else changes", title, "Nothing is recorded until you press"},
		[]string{"move down"})
	check("more", page(items[0].Ext.Votes.More),
		[]string{"More like this?", "stays in your feed, marked as liked", "papers like it move up"}, []string{"leaves your feed"})
	form, _ := url.Parse(items[0].Ext.Votes.More)
	if resp, _ := post(t, base, "/f/"+token+"/vote", form.Query(), nil, "Origin", base); resp.StatusCode != 303 {
		t.Fatalf("vote more: %d", resp.StatusCode)
	}
	items, _ = personalItems(t, base, token)
	var other personalItem
	for _, it := range items {
		if it.Ext.ArxivID != form.Query().Get("id") {
			other = it
			break
		}
	}
	check("less, a paper liked", page(other.Ext.Votes.Less),
		[]string{"This paper leaves your feed", "papers like it move down a little"}, []string{"nothing else changes"})
	_, own := roundTrip(t, "GET", base+"/f/"+token)
	sig := regexp.MustCompile(`name="dir" value="undo"><input type="hidden" name="sig" value="([^"]+)"`).FindStringSubmatch(string(own))
	if sig == nil {
		t.Fatalf("the feed's page has no undo button:\n%.2000s", own)
	}
	undo := base + "/f/" + token + "/vote?" + url.Values{"id": {form.Query().Get("id")}, "dir": {"undo"}, "sig": {sig[1]}}.Encode()
	check("undo", page(undo), []string{"Undo this vote?", "Your vote on this paper is removed"}, []string{"leaves your feed"})
	if after, _ := personalItems(t, base, token); !slices.Equal(ids(after), ids(items)) {
		t.Errorf("opening the vote pages changed the feed")
	}
}
