package server

import (
	"net/url"
	"strings"
	"testing"
)

// Every route refuses a parameter it does not take with a 400 that names
// it and says what the route takes, and reads the names it takes in any
// case, as a feed does.
func TestUnknownParamsAreRefusedEverywhere(t *testing.T) {
	f := newFixture(t, nil).loaded(t)
	base := f.srv.URL
	token := create(t, base, url.Values{"name": {"p"}, "filter": {"q=agents"}})
	items, _ := personalItems(t, base, token)
	if len(items) == 0 {
		t.Fatal("no items")
	}
	vote, _ := url.Parse(items[0].Ext.Votes.More)
	id := items[0].Ext.ArxivID
	for _, c := range []struct{ path, param, takes string }{
		{"/papers/" + id + "?x=1", "x", "no parameters"},
		{"/papers/" + id + ".bib?x=1", "x", "no parameters"},
		{"/status?verbose=1", "verbose", "no parameters"},
		{"/metrics?x=1", "x", "no parameters"},
		{"/readyz?x=1", "x", "no parameters"},
		{"/healthz?x=1", "x", "no parameters"},
		{"/f/" + token + "?zzz=1", "zzz", "voted, saved"},
		{"/f/" + token + "/export?x=1", "x", "no parameters"},
		{vote.RequestURI() + "&limit=abc", "limit", "id, dir, sig"},
	} {
		resp, b := roundTrip(t, "GET", base+c.path)
		if resp.StatusCode != 400 || !strings.Contains(string(b), c.param) || !strings.Contains(string(b), "unknown parameter") ||
			!strings.Contains(string(b), c.takes) {
			t.Errorf("%s: %d %s", c.path, resp.StatusCode, b)
		}
	}
	for _, path := range []string{
		"/papers/" + id, "/status", "/f/" + token + "?voted=more",
		strings.Replace(strings.Replace(vote.RequestURI(), "sig=", "SIG=", 1), "dir=", "Dir=", 1),
	} {
		if resp, b := roundTrip(t, "GET", base+path); resp.StatusCode != 200 {
			t.Errorf("%s: %d %.300s", path, resp.StatusCode, b)
		}
	}
}
