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
	rr := &rendered{
		body:     body,
		etag:     `"` + etag + `"`,
		gzETag:   `"` + etag + `-gz"`,
		modified: modified.UTC().Truncate(time.Second),
		ctype:    ctype,
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
		zw, _ := gzip.NewWriterLevel(&gz, gzip.BestCompression)
		_, _ = zw.Write(r.body)
		_ = zw.Close()
		r.gz = gz.Bytes()
		r.hdrGzLength = []string{strconv.Itoa(len(r.gz))}
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
	if notModified(r, rr) {
		w.WriteHeader(http.StatusNotModified)
		return 0
	}
	h["Content-Type"] = rr.hdrType
	h["X-Content-Type-Options"] = nosniff
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
	nosniff            = []string{"nosniff"}
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
