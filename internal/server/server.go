package server

import (
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"net/netip"
	"runtime/debug"
	"strings"
	"time"

	"paperfeed/feed"
	"paperfeed/internal/engine"
	"paperfeed/internal/notify"
	"paperfeed/internal/personal"
	"paperfeed/internal/refresh"
	"paperfeed/internal/server/mailweb"
	"paperfeed/internal/server/personalweb"
	"paperfeed/internal/state"
)

// Server is the HTTP side of the service: it parses requests, asks the
// engine, renders and writes; and it says how the service is doing.
type Server struct {
	cfg      Config
	log      *slog.Logger
	access   *accessLog
	metrics  *metrics
	engine   *engine.Engine
	refresh  *refresh.Service // what /status, /readyz and /metrics report
	topics   []Topic
	feeds    *renderer
	personal *personalweb.Routes // personal feeds' handlers (package personalweb)

	notifyStatus func() []notify.Status // nil without notifications
	mail         *mailweb.Side          // readers' e-mail; nil without SMTP
	websub       *websub                // nil without -websub-hub
}

func newHTTPSide(cfg Config, log *slog.Logger, access *accessLog, m *metrics, e *engine.Engine, r *refresh.Service, topics []Topic, ps state.PersonalStore) *Server {
	s := &Server{cfg: cfg, log: log, access: access, metrics: m, engine: e, refresh: r, topics: topics, feeds: newRenderer(cfg, e, m)}
	s.personal = personalweb.New(personalweb.Host{Engine: e, Log: log, RequestTimeout: cfg.RequestTimeout, StartupWait: cfg.StartupWait,
		ServeFeed: func(w http.ResponseWriter, r *http.Request, format feed.Format, f *personal.Feed) {
			s.serveFeed(w, r, feedRequest{format: format, personal: f})
		},
		WriteHTML: s.writeHTML, Fail: fail, KnownParams: knownParams, BaseURL: s.baseURL, ClientAddr: s.clientAddr,
		NotLoaded: func(source string, st refresh.SourceState) string {
			msg, _ := notLoaded(source, st, s.shared(), s.engine.Now())
			return msg
		},
	}, ps)
	if cfg.WebSubHub != "" {
		s.websub = newWebSub(cfg.WebSubHub, log, m, e)
	}
	return s
}

// routes is the whole route map of the service.
func (s *Server) routes() http.Handler {
	mux := http.NewServeMux()
	get := func(pattern, name string, h http.Handler) { mux.Handle(pattern, s.instrument(name, onlyGet(h))) }
	// Feeds.
	for _, f := range feed.Formats {
		get("/feed."+string(f), "feed", s.feedHandler(feedRequest{format: f}))
	}
	get("/feed", "feed", s.feedHandler(feedRequest{}))
	// RSSHub's route shape: an RSSHub URL works by changing only the host.
	rsshub := s.feedHandler(feedRequest{rsshubPath: true})
	get("/huggingface/daily-papers", "rsshub", rsshub)
	get("/huggingface/daily-papers/{period}", "rsshub", rsshub)
	get("/huggingface/daily-papers/{period}/{min_upvotes}", "rsshub", rsshub)
	// A paper's page and citations.
	get("/papers/{file}", "paper", noParams("a paper's page", http.HandlerFunc(s.paperHandler)))
	// Topics and the page.
	get("/topics/{file}", "topic", http.HandlerFunc(s.topicHandler))
	get("/opml", "opml", http.HandlerFunc(s.opml))
	// Personal feeds (package personalweb).
	post := func(pattern, name string, h http.HandlerFunc) { mux.Handle("POST "+pattern, s.instrument(name, h)) }
	post("/f", "personal", s.personal.Create)
	get("/f/{file}", "personal", http.HandlerFunc(s.personal.File))
	mux.Handle("/f/{token}/vote", s.instrument("vote", http.HandlerFunc(s.personal.Vote)))
	post("/f/{token}/edit", "personal", s.personal.Edit)
	post("/f/{token}/delete", "personal", s.personal.Delete)
	get("/f/{token}/export", "personal", noParams("an export", http.HandlerFunc(s.personal.Export)))
	// Readers' e-mail (package mailweb): a sign-up, and the pages of its
	// links (GET shows, POST does).
	mail := mailweb.New(mailweb.Host{Engine: s.engine, Log: s.log, BaseURL: s.baseURL, WriteHTML: s.writeHTML,
		ValidFilter: validSubscriptionFilter}, s.mail)
	post("/mail", "mail", mail.SignUp)
	mux.Handle("/mail/confirm/{token}", s.instrument("mail", http.HandlerFunc(mail.Confirm)))
	mux.Handle("/mail/unsubscribe/{token}", s.instrument("mail", http.HandlerFunc(mail.Unsubscribe)))
	get("/{$}", "page", http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { s.renderPage(w, r, "index.html") }))
	get("/preview", "preview", http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { s.renderPage(w, r, "result") }))
	get("/static/{file}", "static", http.HandlerFunc(serveStatic))
	get("/favicon.ico", "static", http.HandlerFunc(serveFavicon))
	// Operations.
	get("/healthz", "healthz", noParams("/healthz", http.HandlerFunc(healthz)))
	get("/readyz", "readyz", noParams("/readyz", readyzHandler(s.Status)))
	get("/status", "status", noParams("/status", statusHandler(s.Status)))
	get("/metrics", "metrics", noParams("/metrics", s.metrics.handler()))
	mux.Handle("/", s.instrument("other", http.HandlerFunc(notFound)))
	return limits(mux)
}

const maxQueryBytes = 4096

// limits rejects oversized queries before any work is done, and marks
// every response nosniff.
func limits(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header()["X-Content-Type-Options"] = nosniff
		if len(r.URL.RawQuery) > maxQueryBytes {
			fail(w, http.StatusRequestURITooLong, fmt.Sprintf("query string too long: at most %d bytes", maxQueryBytes))
			return
		}
		next.ServeHTTP(w, r)
	})
}

var nosniff = []string{"nosniff"}

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
		fail(w, http.StatusMethodNotAllowed, fmt.Sprintf("method not allowed: %s %s only answers GET and HEAD", r.Method, r.URL.Path))
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

// instrument wraps a route's handler with the access log, metrics and
// panic recovery.
func (s *Server) instrument(name string, h http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		start := time.Now()
		sw := &statusWriter{ResponseWriter: w}
		defer func() {
			if p := recover(); p != nil {
				if p == http.ErrAbortHandler {
					panic(p)
				}
				s.log.Error("handler panic", "route", name, "path", logPath(r.URL.Path), "panic", fmt.Sprint(p), "stack", string(debug.Stack()))
				if sw.status == 0 {
					fail(sw, http.StatusInternalServerError, "internal error")
				}
			}
			d := time.Since(start)
			status := sw.status
			if status == 0 {
				status = http.StatusOK
			}
			s.metrics.observe(name, sw.format, status, sw.bytes, d)
			s.access.record(r, status, sw.bytes, d)
		}()
		h.ServeHTTP(sw, r)
	})
}

func notFound(w http.ResponseWriter, r *http.Request) {
	fail(w, http.StatusNotFound, "no page at "+r.URL.Path+"; feeds are at /feed.rss, /feed.atom and /feed.json, the builder page at /")
}

// validHost accepts a Host header made of name, IPv4 or bracketed IPv6
// characters and an optional port, so a forged Host cannot inject markup
// into self links.
func validHost(h string) bool {
	if h == "" || len(h) > 260 {
		return false
	}
	for i := 0; i < len(h); i++ {
		c := h[i]
		if !('a' <= c && c <= 'z' || 'A' <= c && c <= 'Z' || '0' <= c && c <= '9' || c == '.' || c == '-' || c == ':' || c == '[' || c == ']') {
			return false
		}
	}
	return true
}

// baseURL is the public root of the service: the configured one, else
// the request's scheme and Host, or, with -trust-proxy, the proxy's
// X-Forwarded-Proto and X-Forwarded-Host (a malformed host falls back to
// localhost). Every link the service writes starts with it.
func (s *Server) baseURL(r *http.Request) string {
	if s.cfg.BaseURL != "" {
		return s.cfg.BaseURL
	}
	scheme := "http"
	if r.TLS != nil {
		scheme = "https"
	}
	host := r.Host
	if s.cfg.TrustProxy {
		// Only a proxy the operator put in front may say how the client
		// reached it; anyone else could poison self links.
		if p := r.Header.Get("X-Forwarded-Proto"); p == "https" || p == "http" {
			scheme = p
		}
		if h := r.Header.Get("X-Forwarded-Host"); h != "" {
			host = strings.TrimSpace(strings.Split(h, ",")[0])
		}
	}
	if !validHost(host) {
		host = "localhost"
	}
	return scheme + "://" + host
}

// clientAddr names the client of a request for per-client budgets: its
// address, or with -trust-proxy the last address the proxy appended to
// X-Forwarded-For; an IPv6 client by its /64, which one host holds
// whole.
func (s *Server) clientAddr(r *http.Request) string {
	host, _, err := net.SplitHostPort(r.RemoteAddr)
	if err != nil {
		host = r.RemoteAddr
	}
	if s.cfg.TrustProxy {
		if xff := r.Header.Values("X-Forwarded-For"); len(xff) > 0 {
			hops := strings.Split(xff[len(xff)-1], ",")
			if h := strings.TrimSpace(hops[len(hops)-1]); h != "" {
				host = h
			}
		}
	}
	ip, err := netip.ParseAddr(host)
	if err != nil {
		return host
	}
	if ip.Is6() && !ip.Is4In6() {
		p, _ := ip.Prefix(64)
		return p.String()
	}
	return ip.Unmap().String()
}

// The service's own URLs, from a base URL (or a base path) and a
// canonical query.

func pageURL(base, query string) string { return base + "/" + queryPart(query) }

func feedURL(base string, f feed.Format, query string) string {
	return base + "/feed." + string(f) + queryPart(query)
}

func topicURL(base, name string, f feed.Format) string {
	return base + "/topics/" + name + "." + string(f)
}

func queryPart(q string) string {
	if q == "" {
		return ""
	}
	return "?" + q
}

func joinQuery(a, b string) string {
	if a == "" {
		return b
	}
	return a + "&" + b
}
