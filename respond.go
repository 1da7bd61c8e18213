package main

import (
	"bytes"
	"compress/gzip"
	"net/http"
	"strconv"
	"strings"
	"time"

	"github.com/cespare/xxhash/v2"
)

// newRendered prepares a response: the identity body and validators.
// The gzip body is made on first demand, once (see gzipped).
func newRendered(body []byte, ctype string, modified time.Time) *rendered {
	etag := etagOf(body)
	return &rendered{
		body:     body,
		etag:     `"` + etag + `"`,
		gzETag:   `"` + etag + `-gz"`,
		modified: modified.UTC().Truncate(time.Second),
		ctype:    ctype,
	}
}

// gzipped returns the compressed body, compressing it the first time.
func (r *rendered) gzipped() []byte {
	r.gzOnce.Do(func() {
		var gz bytes.Buffer
		gz.Grow(len(r.body) / 4)
		zw, _ := gzip.NewWriterLevel(&gz, gzip.BestCompression)
		_, _ = zw.Write(r.body)
		_ = zw.Close()
		r.gz = gz.Bytes()
	})
	return r.gz
}

// etagOf fingerprints a body: its xxHash64 and length. Equal bytes give
// equal tags, across restarts too.
func etagOf(body []byte) string {
	return strconv.FormatUint(xxhash.Sum64(body), 36) + "-" + strconv.FormatInt(int64(len(body)), 36)
}

// serveRendered writes a cached response: conditional GET (If-None-Match
// first, then If-Modified-Since as "not modified since"), gzip from the
// cached compressed bytes, Content-Length, caching headers. HEAD gets the
// headers only.
func serveRendered(w http.ResponseWriter, r *http.Request, rr *rendered, cacheControl string) int {
	h := w.Header()
	useGzip := acceptsGzip(r.Header.Get("Accept-Encoding"))
	etag, body := rr.etag, rr.body
	if useGzip {
		etag, body = rr.gzETag, rr.gzipped()
	}
	h.Set("Vary", "Accept-Encoding")
	h.Set("Cache-Control", cacheControl)
	h.Set("ETag", etag)
	if !rr.modified.IsZero() {
		h.Set("Last-Modified", rr.modified.Format(http.TimeFormat))
	}
	if notModified(r, rr) {
		w.WriteHeader(http.StatusNotModified)
		return 0
	}
	h.Set("Content-Type", rr.ctype)
	h.Set("X-Content-Type-Options", "nosniff")
	if useGzip {
		h.Set("Content-Encoding", "gzip")
	}
	h.Set("Content-Length", strconv.Itoa(len(body)))
	w.WriteHeader(http.StatusOK)
	if r.Method == http.MethodHead {
		return 0
	}
	n, _ := w.Write(body)
	return n
}

func notModified(r *http.Request, rr *rendered) bool {
	if inm := r.Header.Get("If-None-Match"); inm != "" {
		return etagMatches(inm, rr.etag, rr.gzETag)
	}
	if ims := r.Header.Get("If-Modified-Since"); ims != "" && !rr.modified.IsZero() {
		t, err := http.ParseTime(ims)
		return err == nil && !rr.modified.After(t)
	}
	return false
}

// etagMatches uses the weak comparison RFC 9110 prescribes for
// If-None-Match; either encoding's tag names the same content.
func etagMatches(header string, tags ...string) bool {
	for _, c := range strings.Split(header, ",") {
		c = strings.TrimPrefix(strings.TrimSpace(c), "W/")
		if c == "*" {
			return true
		}
		for _, t := range tags {
			if c == t {
				return true
			}
		}
	}
	return false
}

// acceptsGzip reads Accept-Encoding, honouring q=0.
func acceptsGzip(h string) bool {
	for _, part := range strings.Split(h, ",") {
		name, params, _ := strings.Cut(strings.TrimSpace(part), ";")
		name = strings.ToLower(strings.TrimSpace(name))
		if name != "gzip" && name != "x-gzip" && name != "*" {
			continue
		}
		q := strings.ReplaceAll(strings.ToLower(params), " ", "")
		if strings.HasPrefix(q, "q=0") && !strings.HasPrefix(q, "q=0.") || q == "q=0.0" || q == "q=0.00" || q == "q=0.000" {
			if name == "*" {
				continue
			}
			return false
		}
		return true
	}
	return false
}
