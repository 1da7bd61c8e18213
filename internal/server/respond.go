package server

import (
	"bytes"
	"compress/gzip"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/cespare/xxhash/v2"

	"paperfeed/feed"
	"paperfeed/filter"
	"paperfeed/internal/refresh"
	"paperfeed/scrape"
)

// newRendered prepares a feed response: the identity body and
// validators. The gzip body is made on first demand, once (see gzipped).
func newRendered(body []byte, f feed.Format, modified time.Time) *rendered {
	etag := etagOf(body)
	ctype := f.ContentType()
	rr := &rendered{
		body:     body,
		etag:     `"` + etag + `"`,
		gzETag:   `"` + etag + `-gz"`,
		modified: modified.UTC().Truncate(time.Second),
		ctype:    ctype,
		format:   f,
	}
	// Header values made once, assigned per request without allocating.
	rr.hdrETag, rr.hdrGzETag = []string{rr.etag}, []string{rr.gzETag}
	rr.hdrType = []string{ctype}
	rr.hdrLength = []string{strconv.Itoa(len(body))}
	if !rr.modified.IsZero() {
		rr.hdrModified = []string{rr.modified.Format(http.TimeFormat)}
	}
	return rr
}

// gzipped returns the compressed body, compressing it the first time.
func (r *rendered) gzipped() []byte {
	r.gzOnce.Do(func() {
		var gz bytes.Buffer
		gz.Grow(len(r.body) / 4)
		zw := gzipWriters.Get().(*gzip.Writer)
		zw.Reset(&gz)
		_, _ = zw.Write(r.body)
		_ = zw.Close()
		zw.Reset(nil)
		gzipWriters.Put(zw)
		r.gz = gz.Bytes()
		r.hdrGzLength = []string{strconv.Itoa(len(r.gz))}
	})
	return r.gz
}

// gzipWriters holds compressors between bodies: one at the best level
// holds about a megabyte of tables, too much to make per response.
var gzipWriters = sync.Pool{New: func() any {
	zw, _ := gzip.NewWriterLevel(nil, gzip.BestCompression)
	return zw
}}

// etagOf fingerprints a body: its xxHash64 and length. Equal bytes give
// equal tags, across restarts too.
func etagOf(body []byte) string {
	return strconv.FormatUint(xxhash.Sum64(body), 36) + "-" + strconv.FormatInt(int64(len(body)), 36)
}

// Every response written here and by the other handlers carries
// X-Content-Type-Options: nosniff, set once by the middleware (server.go).

// serveRendered writes a cached response: conditional GET (If-None-Match
// first, then If-Modified-Since as "not modified since"), gzip from the
// cached compressed bytes, Content-Length, caching headers. HEAD gets the
// headers only.
func serveRendered(w http.ResponseWriter, r *http.Request, rr *rendered, cacheControl []string) int {
	h := w.Header()
	useGzip := acceptsGzip(r.Header.Get("Accept-Encoding"))
	etag, body, length := rr.hdrETag, rr.body, rr.hdrLength
	if useGzip {
		body = rr.gzipped()
		etag, length = rr.hdrGzETag, rr.hdrGzLength
	}
	// Canonical keys assigned directly: this is the hot path.
	h["Vary"] = varyAcceptEncoding
	h["Cache-Control"] = cacheControl
	h["Etag"] = etag
	if rr.hdrModified != nil {
		h["Last-Modified"] = rr.hdrModified
	}
	if rr.hdrLink != nil {
		h["Link"] = rr.hdrLink
	}
	if notModified(r, rr) {
		w.WriteHeader(http.StatusNotModified)
		return 0
	}
	h["Content-Type"] = rr.hdrType
	if useGzip {
		h["Content-Encoding"] = gzipEncoding
	}
	h["Content-Length"] = length
	w.WriteHeader(http.StatusOK)
	if r.Method == http.MethodHead {
		return 0
	}
	n, _ := w.Write(body)
	return n
}

var (
	varyAcceptEncoding = []string{"Accept-Encoding"}
	gzipEncoding       = []string{"gzip"}
)

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
	if h == "" {
		return false
	}
	if h == "gzip" || h == "gzip, deflate" || h == "gzip, deflate, br" || h == "gzip, deflate, br, zstd" {
		return true // the common headers, without parsing
	}
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

// badRequest answers 400 with the filter's message, as JSON for JSON
// feeds and plain text otherwise.
func badRequest(w http.ResponseWriter, f feed.Format, err error) {
	var fe *filter.Error
	body := map[string]any{"error": err.Error()}
	if errors.As(err, &fe) {
		body["param"] = fe.Param
		if fe.Value != "" {
			body["value"] = fe.Value
		}
		body["reason"] = fe.Reason
	}
	writeError(w, f, http.StatusBadRequest, body, 0)
}

func unavailable(w http.ResponseWriter, f feed.Format, msg string, retry time.Duration) {
	writeError(w, f, http.StatusServiceUnavailable, map[string]any{"error": msg}, retry)
}

// fail answers an error that is not a feed's in plain text: the status
// and its text on the first line, then msg, which says what was wrong
// and what is accepted.
func fail(w http.ResponseWriter, status int, msg string) {
	writeError(w, "", status, map[string]any{"error": msg}, 0)
}

// writeError is the one writer of error answers (fail, badRequest,
// unavailable): never cached, with the Retry-After given, as JSON for
// JSON feeds and plain text otherwise.
func writeError(w http.ResponseWriter, f feed.Format, status int, body map[string]any, retry time.Duration) {
	h := w.Header()
	h.Set("Cache-Control", "no-store")
	h.Set("X-Content-Type-Options", "nosniff")
	h.Del("Content-Length")
	if retry > 0 {
		h.Set("Retry-After", strconv.Itoa(int(max(1, retry.Round(time.Second).Seconds()))))
	}
	if f == feed.JSON {
		h.Set("Content-Type", "application/json; charset=utf-8")
		w.WriteHeader(status)
		_ = json.NewEncoder(w).Encode(body)
		return
	}
	h.Set("Content-Type", "text/plain; charset=utf-8")
	w.WriteHeader(status)
	fmt.Fprintf(w, "%d %s\n%s\n", status, http.StatusText(status), printable(fmt.Sprint(body["error"])))
}

// printable writes a message's control characters (a value a request
// carried, echoed back) as escapes, so a text answer holds text.
func printable(s string) string {
	if !strings.ContainsFunc(s, isControl) {
		return s
	}
	var b strings.Builder
	for _, r := range s {
		if isControl(r) {
			fmt.Fprintf(&b, "\\x%02x", r)
			continue
		}
		b.WriteRune(r)
	}
	return b.String()
}

func isControl(r rune) bool { return r < 0x20 || r == 0x7f || (r >= 0x80 && r < 0xa0) }

func writeJSON(w http.ResponseWriter, code int, v any) {
	w.Header().Set("Content-Type", "application/json; charset=utf-8")
	w.Header().Set("Cache-Control", "no-store")
	w.WriteHeader(code)
	enc := json.NewEncoder(w)
	enc.SetIndent("", "  ")
	_ = enc.Encode(v)
}

// maxClientRetryAfter caps the Retry-After passed on to clients.
const maxClientRetryAfter = 15 * time.Minute

// retryAfterFor is the Retry-After of a 503 caused by err: the
// upstream's own (capped), else the past-listing budget's refill time,
// else a few seconds while a fetch is under way, else 30 seconds.
func retryAfterFor(err error) time.Duration {
	switch ra := scrape.RetryAfter(err, time.Now()); {
	case ra > 0:
		return min(ra, maxClientRetryAfter)
	case errors.Is(err, refresh.ErrBudget):
		return refresh.PastRefill
	case errors.Is(err, refresh.ErrPending):
		return 10 * time.Second
	case errors.Is(err, refresh.ErrSeedBudget):
		return refresh.SeedRefill
	case errors.Is(err, refresh.ErrAsked):
		return 5 * time.Second
	}
	return 30 * time.Second
}
