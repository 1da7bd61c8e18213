package server

import (
	"bytes"
	"fmt"
	"net/http"
	"sync"
	"testing"
)

func TestDoorkeeperAdmitsTheSecondRequest(t *testing.T) {
	d := newDoorkeeper(1 << 4)
	if d.admit("a") {
		t.Error("a key asked for the first time was admitted")
	}
	for range 2 {
		if !d.admit("a") {
			t.Error("a key asked for again was not admitted")
		}
	}
	// Enough other keys take a's slot: a is new again, never wrongly old.
	for i := range 1000 {
		d.admit(fmt.Sprint("k", i))
	}
	admitted := 0
	for i := range 1000 {
		if d.admit(fmt.Sprint("never", i)) {
			admitted++
		}
	}
	if admitted != 0 {
		t.Errorf("%d keys never asked for were admitted", admitted)
	}
}

// A feed's first request is made into a pooled buffer and not kept, its
// second is made and kept, later ones are hits; all three answer the same
// bytes and validators. Many first requests at once share the pool: no
// answer may carry another's bytes (run with -race).
func TestFirstRenderIsPooledAndIdenticalToKept(t *testing.T) {
	f := newFixture(t, nil).loaded(t)
	paths := make([]string, 40)
	for i := range paths {
		format := []string{"rss", "atom", "json"}[i%3]
		paths[i] = fmt.Sprintf("/feed.%s?min_upvotes=%d&limit=%d", format, i%7, 3+i%11)
	}
	type answer struct {
		body       []byte
		etag, gzip string
		length     string
	}
	fetchAll := func() []answer {
		out := make([]answer, len(paths))
		var wg sync.WaitGroup
		for i, p := range paths {
			wg.Go(func() {
				r, b := f.get(t, p)
				_, gz := f.get(t, p, "Accept-Encoding", "gzip")
				if r.StatusCode != http.StatusOK {
					t.Errorf("%s: %d", p, r.StatusCode)
				}
				out[i] = answer{body: b, etag: r.Header.Get("ETag"), gzip: fmt.Sprint(len(gz)), length: r.Header.Get("Content-Length")}
			})
		}
		wg.Wait()
		return out
	}
	// Identity then gzip in one round: the gzip request is the key's
	// second, so round one holds a first render and a kept one.
	first := fetchAll()
	before := f.app.cache
	entries, _ := before.stats()
	if entries == 0 {
		t.Fatal("nothing kept after each key was asked for twice")
	}
	second := fetchAll()
	for i, p := range paths {
		a, b := first[i], second[i]
		if !bytes.Equal(a.body, b.body) || a.etag != b.etag || a.length != b.length || a.gzip != b.gzip {
			t.Errorf("%s: the first render differs from the kept one (etag %s/%s, length %s/%s)", p, a.etag, b.etag, a.length, b.length)
		}
		if fmt.Sprint(len(a.body)) != a.length {
			t.Errorf("%s: Content-Length %s for %d bytes", p, a.length, len(a.body))
		}
	}
	// Every answer is its own feed: the self links differ.
	for i := range paths {
		for j := range i {
			if bytes.Equal(first[i].body, first[j].body) {
				t.Errorf("%s and %s answered the same bytes", paths[i], paths[j])
			}
		}
	}
	if m, ok := f.metricsWith(t, `paperfeed_render_cache_requests_total{result="first"} 40`); !ok {
		t.Errorf("metrics: want 40 first renders:\n%s", m)
	}
}
