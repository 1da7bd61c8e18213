package main

import (
	"fmt"
	"log/slog"
	"net/http"
	"runtime/debug"
	"time"

	"paperfeed/feed"
)

// routes is the whole route map of the service.
func (a *app) routes() http.Handler {
	mux := http.NewServeMux()
	get := func(pattern, name string, h http.Handler) { mux.Handle(pattern, a.route(name, onlyGet(h))) }
	// Feeds.
	get("/feed.rss", "feed", a.feedHandler(feed.RSS, nil))
	get("/feed.atom", "feed", a.feedHandler(feed.Atom, nil))
	get("/feed.json", "feed", a.feedHandler(feed.JSON, nil))
	get("/feed", "feed", a.feedHandler("", nil))
	// RSSHub's route shape: an RSSHub URL works by changing only the host.
	get("/huggingface/daily-papers", "rsshub", a.feedHandler("", rsshubPath))
	get("/huggingface/daily-papers/{period}", "rsshub", a.feedHandler("", rsshubPath))
	get("/huggingface/daily-papers/{period}/{min_upvotes}", "rsshub", a.feedHandler("", rsshubPath))
	// Topics and the page.
	get("/topics/{file}", "topic", http.HandlerFunc(a.topicHandler))
	get("/opml", "opml", http.HandlerFunc(a.opml))
	get("/{$}", "page", http.HandlerFunc(a.page))
	get("/preview", "preview", http.HandlerFunc(a.preview))
	get("/static/{file}", "static", http.HandlerFunc(serveStatic))
	// Operations.
	get("/healthz", "healthz", http.HandlerFunc(a.healthz))
	get("/readyz", "readyz", http.HandlerFunc(a.readyz))
	get("/status", "status", http.HandlerFunc(a.status))
	get("/metrics", "metrics", a.metrics.handler())
	mux.Handle("/", a.route("other", http.HandlerFunc(notFound)))
	return a.limits(mux)
}

// onlyGet answers 405 with Allow to any method but GET and HEAD (an
// OPTIONS request gets 204 and the Allow header).
func onlyGet(h http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		switch r.Method {
		case http.MethodGet, http.MethodHead:
			h.ServeHTTP(w, r)
			return
		case http.MethodOptions:
			w.Header().Set("Allow", "GET, HEAD, OPTIONS")
			w.WriteHeader(http.StatusNoContent)
			return
		}
		w.Header().Set("Allow", "GET, HEAD, OPTIONS")
		w.Header().Set("Cache-Control", "no-store")
		http.Error(w, fmt.Sprintf("405 method not allowed: %s %s only answers GET and HEAD", r.Method, r.URL.Path), http.StatusMethodNotAllowed)
	})
}

const maxQueryBytes = 4096

// limits rejects oversized queries before any work is done.
func (a *app) limits(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if len(r.URL.RawQuery) > maxQueryBytes {
			http.Error(w, fmt.Sprintf("query string too long: at most %d bytes", maxQueryBytes), http.StatusRequestURITooLong)
			return
		}
		next.ServeHTTP(w, r)
	})
}

// statusWriter records what a handler answered, for logs and metrics.
type statusWriter struct {
	http.ResponseWriter
	status int
	bytes  int
	format string
}

func (w *statusWriter) WriteHeader(code int) {
	if w.status == 0 {
		w.status = code
	}
	w.ResponseWriter.WriteHeader(code)
}

func (w *statusWriter) Write(b []byte) (int, error) {
	if w.status == 0 {
		w.status = http.StatusOK
	}
	n, err := w.ResponseWriter.Write(b)
	w.bytes += n
	return n, err
}

// route wraps a handler with the access log, metrics and panic recovery.
func (a *app) route(name string, h http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		start := time.Now()
		sw := &statusWriter{ResponseWriter: w}
		defer func() {
			if p := recover(); p != nil {
				if p == http.ErrAbortHandler {
					panic(p)
				}
				a.log.Error("handler panic", "route", name, "path", r.URL.Path, "panic", fmt.Sprint(p), "stack", string(debug.Stack()))
				if sw.status == 0 {
					http.Error(sw, "internal error", http.StatusInternalServerError)
				}
			}
			d := time.Since(start)
			status := sw.status
			if status == 0 {
				status = http.StatusOK
			}
			a.metrics.observe(name, sw.format, status, sw.bytes, d)
			level := slog.LevelInfo
			switch {
			case status == http.StatusServiceUnavailable:
				level = slog.LevelWarn // not ready, busy or upstream down: already logged where it happened
			case status >= 500:
				level = slog.LevelError
			}
			if !a.log.Enabled(r.Context(), level) {
				return
			}
			a.log.Log(r.Context(), level, "request", "method", r.Method, "path", r.URL.Path, "query", r.URL.RawQuery,
				"status", status, "bytes", sw.bytes, "duration", d, "remote", r.RemoteAddr)
		}()
		h.ServeHTTP(sw, r)
	})
}

func notFound(w http.ResponseWriter, r *http.Request) {
	http.Error(w, "404 not found: "+r.URL.Path+"\nfeeds are at /feed.rss, /feed.atom and /feed.json", http.StatusNotFound)
}
