package server

import (
	"net/http"
	"net/http/httptest"
	"testing"
	"time"
)

func TestAcceptsGzip(t *testing.T) {
	for h, want := range map[string]bool{
		"": false, "gzip": true, "gzip, deflate, br": true, "br": false, "identity": false,
		"gzip;q=0": false, "gzip; q=0": false, "gzip;q=0.5": true, "GZIP": true, "*": true, "*;q=0": false,
		"x-gzip": true, "deflate, gzip;q=1.0": true, "gzip;q=0.0": false,
	} {
		if got := acceptsGzip(h); got != want {
			t.Errorf("acceptsGzip(%q) = %v", h, got)
		}
	}
}

// Client-sent validators are untrusted input: any value must be handled
// without a panic, and only a matching tag or a date not before the
// change may answer 304.
func FuzzConditionalHeaders(f *testing.F) {
	rr := newRendered([]byte("<rss/>"), "application/rss+xml", time.Date(2026, 8, 21, 10, 0, 0, 0, time.UTC))
	f.Add(rr.etag, "", "gzip")
	f.Add(`W/"x", `+rr.gzETag, "Fri, 21 Aug 2026 10:00:00 GMT", "br;q=0")
	f.Add("", "Thu, 20 Aug 2026 10:00:00 GMT", "*;q=0.1")
	f.Add("*", "garbage", "gzip;q=0")
	f.Fuzz(func(t *testing.T, inm, ims, ae string) {
		req := httptest.NewRequest(http.MethodGet, "/feed.rss", nil)
		req.Header.Set("If-None-Match", inm)
		req.Header.Set("If-Modified-Since", ims)
		req.Header.Set("Accept-Encoding", ae)
		w := httptest.NewRecorder()
		serveRendered(w, req, rr, []string{"public"})
		if w.Code == http.StatusNotModified {
			if inm != "" && !etagMatches(inm, rr.etag, rr.gzETag) {
				t.Fatalf("304 for If-None-Match %q", inm)
			}
			if inm == "" {
				if d, err := http.ParseTime(ims); err != nil || d.Before(rr.modified) {
					t.Fatalf("304 for If-Modified-Since %q", ims)
				}
			}
		} else if w.Code != http.StatusOK {
			t.Fatalf("status %d", w.Code)
		}
	})
}
