package server

import (
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"mime/multipart"
	"net/http"
	"net/url"
	"regexp"
	"slices"
	"strings"
	"testing"
	"time"

	"paperfeed/feed"
	"paperfeed/internal/redistest"
	"paperfeed/internal/state"
)

// post sends a form (urlencoded) or a multipart body to base+path,
// without following redirects.
func post(t *testing.T, base, path string, form url.Values, files map[string]string, hdr ...string) (*http.Response, []byte) {
	t.Helper()
	var body io.Reader
	ctype := "application/x-www-form-urlencoded"
	if files != nil {
		var buf bytes.Buffer
		mw := multipart.NewWriter(&buf)
		for k, vs := range form {
			for _, v := range vs {
				_ = mw.WriteField(k, v)
			}
		}
		for name, content := range files {
			fw, _ := mw.CreateFormFile(name, name+".txt")
			_, _ = fw.Write([]byte(content))
		}
		mw.Close()
		body, ctype = &buf, mw.FormDataContentType()
	} else {
		body = strings.NewReader(form.Encode())
	}
	req, err := http.NewRequest(http.MethodPost, base+path, body)
	if err != nil {
		t.Fatal(err)
	}
	req.Header.Set("Content-Type", ctype)
	for i := 0; i+1 < len(hdr); i += 2 {
		req.Header.Set(hdr[i], hdr[i+1])
	}
	resp, err := http.DefaultTransport.RoundTrip(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return resp, b
}

type personalItem struct {
	Ext struct {
		ArxivID string `json:"arxiv_id"`
		Votes   *struct {
			More string `json:"more_like_this"`
			Less string `json:"less_like_this"`
		} `json:"votes"`
	} `json:"_paperfeed"`
}

// personalItems reads a personal feed's JSON items.
func personalItems(t *testing.T, base, token string) ([]personalItem, http.Header) {
	t.Helper()
	resp, b := roundTrip(t, "GET", base+"/f/"+token+".json")
	if resp.StatusCode != 200 {
		t.Fatalf("personal feed: %d %s", resp.StatusCode, b)
	}
	var doc struct {
		Title string
		Items []personalItem
	}
	if err := json.Unmarshal(b, &doc); err != nil {
		t.Fatal(err)
	}
	return doc.Items, resp.Header
}

func ids(items []personalItem) []string {
	var out []string
	for _, it := range items {
		out = append(out, it.Ext.ArxivID)
	}
	return out
}

var tokenIn = regexp.MustCompile(`/f/([a-z2-7]{26})`)

// create makes a personal feed and returns its token.
func create(t *testing.T, base string, form url.Values) string {
	t.Helper()
	resp, b := post(t, base, "/f", form, nil)
	if resp.StatusCode != 201 {
		t.Fatalf("create: %d %s", resp.StatusCode, b)
	}
	m := tokenIn.FindStringSubmatch(resp.Header.Get("Location"))
	if m == nil {
		t.Fatalf("create: Location %q", resp.Header.Get("Location"))
	}
	return m[1]
}

// A personal feed from create to delete, through the real handler: vote
// links in every format, a GET that only asks, a POST that records and
// re-ranks, links refused when forged, foreign or cross-site.
func TestPersonalFeedVotes(t *testing.T) {
	f := newFixture(t, nil).loaded(t)
	base := f.srv.URL
	agents := f.items(t, "/feed.json?q=agents&sort=upvotes")
	var held []string
	for id := range agents {
		held = append(held, id)
	}
	slices.Sort(held)
	if len(held) < 4 {
		t.Fatalf("%d agents papers held", len(held))
	}
	token := create(t, base, url.Values{"name": {"Agents"}, "filter": {"min_similarity=0.01"}, "like": {held[0]}})
	items, h := personalItems(t, base, token)
	if len(items) == 0 || !strings.Contains(h.Get("Cache-Control"), "private") {
		t.Fatalf("personal feed: %d items, Cache-Control %q", len(items), h.Get("Cache-Control"))
	}
	for _, it := range items {
		if it.Ext.Votes == nil || !strings.Contains(it.Ext.Votes.More, "/f/"+token+"/vote?") {
			t.Fatalf("item %s has no vote links: %+v", it.Ext.ArxivID, it.Ext.Votes)
		}
	}
	for _, ext := range []string{".rss", ".atom"} {
		resp, b := f.get(t, "/f/"+token+ext)
		fd := parseFeed(t, string(b))
		if resp.StatusCode != 200 || !strings.Contains(fd.Title, "Agents") || len(fd.Items) != len(items) ||
			!strings.Contains(fd.Items[0].Description+fd.Items[0].Content, "Less like this") {
			t.Errorf("%s: %d, title %q, %d items: %.300s", ext, resp.StatusCode, fd.Title, len(fd.Items), fd.Items[0].Description)
		}
	}
	target := items[0]
	link, _ := url.Parse(target.Ext.Votes.Less)
	// A GET (a feed reader or mail scanner prefetching) records nothing.
	resp, page := roundTrip(t, "GET", base+link.RequestURI())
	if resp.StatusCode != 200 || !strings.Contains(string(page), `method="post"`) || !strings.Contains(string(page), "Less like this?") {
		t.Fatalf("vote link GET: %d %.300s", resp.StatusCode, page)
	}
	if after, _ := personalItems(t, base, token); !slices.Equal(ids(after), ids(items)) {
		t.Fatalf("a GET on a vote link changed the feed: %v -> %v", ids(items), ids(after))
	}
	form := link.Query()
	// Forged, foreign and cross-site POSTs are refused.
	forged := url.Values{"id": {held[3]}, "dir": {"less"}, "sig": form["sig"]}
	if resp, b := post(t, base, "/f/"+token+"/vote", forged, nil); resp.StatusCode != 400 || !strings.Contains(string(b), "not one this feed issued") {
		t.Errorf("a signature moved to another paper: %d %s", resp.StatusCode, b)
	}
	other := create(t, base, url.Values{"name": {"Other"}, "filter": {"q=agents"}})
	if resp, b := post(t, base, "/f/"+other+"/vote", form, nil); resp.StatusCode != 400 {
		t.Errorf("a vote link of another feed: %d %s", resp.StatusCode, b)
	}
	if resp, _ := post(t, base, "/f/"+token+"/vote", form, nil, "Origin", "https://evil.example"); resp.StatusCode != 403 {
		t.Errorf("a cross-site vote: %d", resp.StatusCode)
	}
	if resp, _ := post(t, base, "/f/"+token+"/vote", form, nil, "Sec-Fetch-Site", "cross-site"); resp.StatusCode != 403 {
		t.Errorf("a cross-site vote (Sec-Fetch-Site): %d", resp.StatusCode)
	}
	if after, _ := personalItems(t, base, token); !slices.Equal(ids(after), ids(items)) {
		t.Fatalf("a refused vote changed the feed")
	}
	// The POST records: the paper voted "less" leaves the feed.
	resp, _ = post(t, base, "/f/"+token+"/vote", form, nil, "Origin", base)
	if resp.StatusCode != 303 || !strings.Contains(resp.Header.Get("Location"), "/f/"+token) {
		t.Fatalf("vote POST: %d %s", resp.StatusCode, resp.Header.Get("Location"))
	}
	after, _ := personalItems(t, base, token)
	if slices.Contains(ids(after), target.Ext.ArxivID) {
		t.Errorf("the paper voted less like this is still in the feed: %v", ids(after))
	}
	// "More" on another: it becomes a liked seed (and stays an item,
	// marked liked), and the page lists both votes with undo buttons.
	more, _ := url.Parse(after[0].Ext.Votes.More)
	if resp, _ := post(t, base, "/f/"+token+"/vote", more.Query(), nil); resp.StatusCode != 303 {
		t.Fatalf("more vote: %d", resp.StatusCode)
	}
	resp, page = f.get(t, "/f/"+token)
	for _, want := range []string{"less like this", "more like this", target.Ext.ArxivID, after[0].Ext.ArxivID, `value="undo"`, "Export as JSON"} {
		if !strings.Contains(string(page), want) {
			t.Errorf("the feed's page lacks %q", want)
		}
	}
	if resp.Header.Get("Referrer-Policy") != "no-referrer" || !strings.Contains(resp.Header.Get("Cache-Control"), "no-store") {
		t.Errorf("page headers: %v", resp.Header)
	}
	// Export, and import as a new feed with the same votes.
	_, exported := f.get(t, "/f/"+token+"/export")
	resp, b := post(t, base, "/f", url.Values{}, map[string]string{"import_file": string(exported)})
	if resp.StatusCode != 201 {
		t.Fatalf("import: %d %s", resp.StatusCode, b)
	}
	copyToken := tokenIn.FindStringSubmatch(resp.Header.Get("Location"))[1]
	if a, c := mustRecord(t, f.app, token), mustRecord(t, f.app, copyToken); len(c.Votes) != 2 || fmt.Sprint(a.Votes) != fmt.Sprint(c.Votes) {
		t.Errorf("imported votes %v, exported %v", c.Votes, a.Votes)
	}
	// Delete: only with the confirmation, and then everything is gone.
	if resp, _ := post(t, base, "/f/"+token+"/delete", url.Values{}, nil); resp.StatusCode != 400 {
		t.Errorf("delete without confirm: %d", resp.StatusCode)
	}
	if resp, b := post(t, base, "/f/"+token+"/delete", url.Values{"confirm": {"yes"}}, nil); resp.StatusCode != 200 {
		t.Fatalf("delete: %d %s", resp.StatusCode, b)
	}
	for _, p := range []string{"/f/" + token, "/f/" + token + ".rss", "/f/" + token + "/export", link.RequestURI()} {
		if resp, _ := f.get(t, p); resp.StatusCode != 404 {
			t.Errorf("%s after delete: %d", p, resp.StatusCode)
		}
	}
	if _, err := f.app.HTTP.personal.Side.Store.PersonalGet(token); err != state.ErrNoPersonal {
		t.Errorf("the store still holds the deleted feed: %v", err)
	}
	if _, err := f.app.HTTP.personal.Side.Store.PersonalGet(copyToken); err != nil {
		t.Errorf("deleting one feed touched its copy: %v", err)
	}
}

func mustRecord(t *testing.T, a *app, token string) state.PersonalRecord {
	t.Helper()
	r, err := a.HTTP.personal.Side.Store.PersonalGet(token)
	if err != nil {
		t.Fatal(err)
	}
	return r
}

// Bad input is a clear 400; a token that names nothing a 404.
func TestPersonalFeedBadInput(t *testing.T) {
	f := newFixture(t, nil).loaded(t)
	base := f.srv.URL
	many := make([]string, 51)
	for i := range many {
		many[i] = fmt.Sprintf("2604.%05d", 26000+i)
	}
	for _, tc := range []struct {
		form  url.Values
		files map[string]string
		want  string
	}{
		{url.Values{"like": {"notanid"}}, nil, `like=notanid: "notanid" is not an arXiv ID`},
		{url.Values{"filter": {"limit=0"}}, nil, "limit=0"},
		{url.Values{"filter": {"q=agents&bogus=1"}}, nil, "bogus"},
		{url.Values{"like": {strings.Join(many, ",")}}, nil, "at most 50"},
		{url.Values{"like": {"2604.26835"}, "unlike": {"2604.26835"}}, nil, "liked too"},
		{url.Values{"name": {strings.Repeat("n", 101)}}, nil, "at most 100 characters"},
		{url.Values{}, map[string]string{"library_file": "nothing that names a paper\n# and a comment"}, "no arXiv"},
		{url.Values{}, map[string]string{"import_file": `{"format":"something else"}`}, "not a personal feed export"},
		{url.Values{}, map[string]string{"library_file": strings.Repeat("x", 3<<20)}, "over"},
	} {
		resp, b := post(t, base, "/f", tc.form, tc.files)
		if resp.StatusCode != 400 || !strings.Contains(string(b), tc.want) {
			t.Errorf("%v: %d %.200s, want 400 saying %q", tc.form, resp.StatusCode, b, tc.want)
		}
	}
	for _, p := range []string{"/f/aaaaaaaaaaaaaaaaaaaaaaaaaa", "/f/nope.rss", "/f/aaaaaaaaaaaaaaaaaaaaaaaaaa/vote?id=2501.00001&dir=more&sig=x"} {
		if resp, _ := f.get(t, p); resp.StatusCode != 404 {
			t.Errorf("%s: %d, want 404", p, resp.StatusCode)
		}
	}
	token := create(t, base, url.Values{"filter": {"q=agents"}})
	if resp, b := f.get(t, "/f/"+token+".rss?q=other"); resp.StatusCode != 400 || !strings.Contains(string(b), "takes no parameters") {
		t.Errorf("a personal feed with parameters: %d %s", resp.StatusCode, b)
	}
	if resp, _ := f.get(t, "/f/"+token+".xml"); resp.StatusCode != 404 {
		t.Errorf("an unknown format: %d", resp.StatusCode)
	}
}

// Seeds from a library: the service's own BibTeX of a held paper plus a
// book with no arXiv ID; the page says which entry had none.
func TestPersonalFeedFromLibrary(t *testing.T) {
	f := newFixture(t, nil).loaded(t)
	var id string
	for k := range f.items(t, "/feed.json?q=agents") {
		id = k
		break
	}
	_, bib := f.get(t, "/papers/"+id+".bib")
	_, ris := f.get(t, "/papers/"+id+".ris")
	lib := string(bib) + "\n@book{goodfellow2016deep, title={Deep Learning}, publisher={MIT Press}, year={2016}}\n"
	for name, text := range map[string]string{"bibtex": lib, "ris": string(ris)} {
		resp, page := post(t, f.srv.URL, "/f", url.Values{"filter": {"q=agents"}}, map[string]string{"library_file": text})
		if resp.StatusCode != 201 || !strings.Contains(string(page), "1 arXiv paper became a seed") {
			t.Fatalf("%s library: %d %.400s", name, resp.StatusCode, page)
		}
		if name == "bibtex" && !strings.Contains(string(page), "goodfellow2016deep “Deep Learning”") {
			t.Errorf("the page does not name the entry without an arXiv ID: %.600s", page)
		}
		token := tokenIn.FindStringSubmatch(resp.Header.Get("Location"))[1]
		rec := mustRecord(t, f.app, token)
		if !strings.Contains(string(rec.Def), id) {
			t.Errorf("%s: seed %s not kept: %s", name, id, rec.Def)
		}
	}
}

// Feeds and votes survive a restart on the state file.
func TestPersonalFeedSurvivesRestart(t *testing.T) {
	dir := t.TempDir()
	hf := replayHF(t)
	up := newUpstream(t, hf)
	start := func() (*app, string) {
		b, err := state.OpenBolt(dir, discardLog(), time.Now)
		if err != nil {
			t.Fatal(err)
		}
		a := testAppWith(t, up, nil, nil, b)
		if _, err := a.refresh.Restore(); err != nil {
			t.Fatal(err)
		}
		if _, err := a.refresh.RefreshSource(t.Context(), feed.SourceHF); err != nil {
			t.Fatal(err)
		}
		return a, newServer(t, a).URL
	}
	a, base := start()
	token := create(t, base, url.Values{"name": {"Kept"}, "filter": {"q=agents"}})
	items, _ := personalItems(t, base, token)
	link, _ := url.Parse(items[0].Ext.Votes.Less)
	if resp, _ := post(t, base, "/f/"+token+"/vote", link.Query(), nil); resp.StatusCode != 303 {
		t.Fatalf("vote: %d", resp.StatusCode)
	}
	a.Close()
	_, base = start()
	after, _ := personalItems(t, base, token)
	if slices.Contains(ids(after), items[0].Ext.ArxivID) || len(after) != len(items)-1 {
		t.Errorf("after a restart: %v (the vote against %s lost?)", ids(after), items[0].Ext.ArxivID)
	}
	// The signing secret is the file's: an old link still verifies.
	if resp, _ := roundTrip(t, "GET", base+link.RequestURI()); resp.StatusCode != 200 {
		t.Errorf("a vote link issued before the restart: %d", resp.StatusCode)
	}
}

// Two replicas on one Redis: a feed made through one is served by the
// other, a vote through the other re-ranks it on the first, and both
// sign with one secret.
func TestPersonalFeedAcrossReplicas(t *testing.T) {
	replica := redisReplicas(t, redistest.Start(t, ""))
	leader := replica()
	waitFor(t, "the leader to load", func() bool { return leader.Status().Ready })
	follower := replica()
	waitFor(t, "the follower to load", func() bool { return follower.Status().Ready })
	lbase, fbase := newServer(t, leader).URL, newServer(t, follower).URL
	token := create(t, lbase, url.Values{"name": {"Shared"}, "filter": {"source=all"}})
	onLeader, _ := personalItems(t, lbase, token)
	onFollower, _ := personalItems(t, fbase, token)
	if len(onLeader) == 0 || !slices.Equal(ids(onLeader), ids(onFollower)) {
		t.Fatalf("the replicas serve different personal feeds: %d vs %d items", len(onLeader), len(onFollower))
	}
	link, _ := url.Parse(onLeader[0].Ext.Votes.Less) // issued by the leader, posted to the follower
	if resp, b := post(t, fbase, "/f/"+token+"/vote", link.Query(), nil); resp.StatusCode != 303 {
		t.Fatalf("vote through the follower: %d %s", resp.StatusCode, b)
	}
	after, _ := personalItems(t, lbase, token)
	if slices.Contains(ids(after), onLeader[0].Ext.ArxivID) {
		t.Errorf("the leader still shows the paper voted less through the follower")
	}
	if resp, _ := post(t, fbase, "/f/"+token+"/delete", url.Values{"confirm": {"yes"}}, nil); resp.StatusCode != 200 {
		t.Fatalf("delete through the follower: %d", resp.StatusCode)
	}
	if resp, _ := roundTrip(t, "GET", lbase+"/f/"+token+".json"); resp.StatusCode != 404 {
		t.Errorf("the leader serves a feed deleted through the follower: %d", resp.StatusCode)
	}
}
