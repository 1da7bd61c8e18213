package command

import (
	"errors"
	"flag"
	"fmt"
	"io"
	"net"
	"net/url"
	"slices"
	"strconv"
	"strings"
	"time"

	"golang.org/x/net/http/httpguts"

	"paperfeed/feed"
	"paperfeed/internal/server"
)

// Config is every setting of the service (server.Config); this file
// reads them: each is a flag whose default comes from an environment
// variable, and -h lists them all.
type Config = server.Config

// setting is one flag with its environment variable.
type setting struct {
	name, env, def, usage string
	parse                 func(string) error
}

func parseConfig(args []string, lookupEnv func(string) (string, bool), out io.Writer) (Config, error) {
	return parseCommandConfig("", args, lookupEnv, out)
}

// usageHeads are what -h prints above the flags, by command.
var usageHeads = map[string]string{
	"": `Usage:
  paperfeed [flags]                     serve the feeds and the feed builder page
  paperfeed export -o DIR [flags]       write every feed once into DIR, a static site (paperfeed export -h)
  paperfeed healthcheck [-url URL]      exit 0 when the local instance is ready, 1 with the cause
  paperfeed notify test NAME [flags]    send one sample message to a subscription of the -notify file

Serves Hugging Face Daily Papers and arXiv as RSS, Atom and JSON feeds.
Every flag can also be set by the environment variable named with it.

Flags:`,
	"notify": `Usage: paperfeed notify test NAME [flags]

Sends one sample message to the subscription NAME of the -notify file
and prints the channel's answer (or why it failed). The server's flags
and environment apply: -notify, the SMTP settings, -telegram-api, and
PAPERFEED_WEBHOOK_SECRET / PAPERFEED_SMTP_PASSWORD.

Flags:`,
	"export": `Usage: paperfeed export -o DIR -base-url URL [flags]

Runs one fetch cycle (or uses the state in -data-dir when it is fresh),
then writes every topic as .rss, .atom and .json, the default feed, an
OPML file and a static page into DIR, replacing what was there whole.

  -o DIR
    	the directory to write (required)
  -base-url URL
    	the public URL the files will be served from (required: self links
    	and the OPML file point there), e.g. https://example.org/papers

Every flag of the server applies (keep -data-dir between runs so papers
keep their dates and history); each can also be set by its environment
variable.

Flags:`,
}

// parseCommandConfig reads the settings of a command ("" serves,
// "export" writes a static site): flags, with environment defaults.
func parseCommandConfig(cmd string, args []string, lookupEnv func(string) (string, bool), out io.Writer) (Config, error) {
	var c Config
	var cats, level string
	fs := flag.NewFlagSet("paperfeed", flag.ContinueOnError)
	fs.SetOutput(out)
	settings := []setting{
		{"addr", "PAPERFEED_ADDR", ":8080", "address to listen on, host:port (:8080 is port 8080 on every interface)", listenAddr(&c.Addr)},
		{"base-url", "PAPERFEED_BASE_URL", "", "public URL of this service, for feed self links, with a path when a proxy serves it under one (default: from each request's Host)", baseURL(&c.BaseURL)},
		{"trust-proxy", "PAPERFEED_TRUST_PROXY", "false", "a reverse proxy is in front: take the scheme and host of self links from its X-Forwarded-Proto and X-Forwarded-Host", boolean(&c.TrustProxy)},
		{"days", "PAPERFEED_DAYS", "7", "Hugging Face listing days to keep (rolling window)", intRange(&c.Days, 1, feed.MaxDays)},
		{"refresh", "PAPERFEED_REFRESH", "15m", "how often the newest listing day is refetched (at least 1m)", dur(&c.Refresh, time.Minute)},
		{"refresh-past", "PAPERFEED_REFRESH_PAST", "3h", "how often the older days of the window are refetched (upvotes keep changing; at least 5m)", dur(&c.RefreshPast, 5*time.Minute)},
		{"hf-url", "PAPERFEED_HF_URL", "https://huggingface.co", "Hugging Face base URL (a mirror or a test server may stand in)", absURL(&c.HFURL)},
		{"hf-api", "PAPERFEED_HF_API", "true", "also ask Hugging Face's JSON API for every listing (AI summaries and keywords, and a fallback when the page changes); false: pages only", boolean(&c.HFAPI)},
		{"hf-artifacts", "PAPERFEED_HF_ARTIFACTS", "true", "count the models, datasets and Spaces Hugging Face links to each window paper (its per-paper API: at most 30 requests per 10 minutes, each paper every 6 to 24 hours); false: no counts", boolean(&c.HFArtifacts)},
		{"thumbnails", "PAPERFEED_THUMBNAILS", "on", "show the papers' thumbnails in feed items and on the pages (images from Hugging Face's servers: a request to them per reader); off: nothing loads from another site", boolean(&c.Thumbnails)},
		{"hf-interval", "PAPERFEED_HF_INTERVAL", "3s", "minimum spacing of requests to Hugging Face (anonymous limit: 100 pages per 5 minutes)", dur(&c.HFInterval, 0)},
		{"arxiv-categories", "PAPERFEED_ARXIV_CATEGORIES", "cs.AI,cs.CL,cs.CV,cs.LG", "arXiv categories to follow, comma-separated (empty: arXiv off)", str(&cats)},
		{"arxiv-rss-url", "PAPERFEED_ARXIV_RSS_URL", "https://rss.arxiv.org", "arXiv RSS base URL", absURL(&c.ArxivRSSURL)},
		{"arxiv-api-url", "PAPERFEED_ARXIV_API_URL", "https://export.arxiv.org/api/query", "arXiv API query URL", absURL(&c.ArxivAPIURL)},
		{"arxiv-days", "PAPERFEED_ARXIV_DAYS", "", "arXiv announcement days to keep (default: same as -days)", intRangeOrEmpty(&c.ArxivDays, 1, feed.MaxDays)},
		{"arxiv-interval", "PAPERFEED_ARXIV_INTERVAL", "3s", "minimum spacing of requests to arXiv (arXiv asks for 3s)", dur(&c.ArxivInterval, 0)},
		{"arxiv-refresh", "PAPERFEED_ARXIV_REFRESH", "1h", "how often the arXiv feed is checked (Cache-Control max-age can push it later; at least 1m)", dur(&c.ArxivRefresh, time.Minute)},
		{"contact", "PAPERFEED_CONTACT", "", "how to reach this instance's operator (URL or e-mail), sent in the User-Agent", headerText(&c.Contact)},
		{"upstream-timeout", "PAPERFEED_UPSTREAM_TIMEOUT", "30s", "timeout of one upstream request (at least 1s)", dur(&c.Timeout, time.Second)},
		{"request-timeout", "PAPERFEED_REQUEST_TIMEOUT", "30s", "timeout of one client request (at least 1s)", dur(&c.RequestTimeout, time.Second)},
		{"startup-wait", "PAPERFEED_STARTUP_WAIT", "10s", "how long a request waits for a source's first load while its first fetch runs (after a failed fetch: a 503 at once)", dur(&c.StartupWait, 0)},
		{"cache-entries", "PAPERFEED_CACHE_ENTRIES", "2000", "rendered responses kept in memory, at most", intRange(&c.CacheEntries, 1, 1_000_000)},
		{"cache-mb", "PAPERFEED_CACHE_MB", "16", "megabytes of rendered responses kept in memory, at most", intRange(&c.CacheMB, 1, 1<<16)},
		{"memory-limit", "PAPERFEED_MEMORY_LIMIT", "128MiB", "soft memory limit of the Go runtime (like GOMEMLIMIT; 0: none)", size(&c.MemoryLimit)},
		{"max-renders", "PAPERFEED_MAX_RENDERS", "4", "feed renders running at once (more wait briefly, then get a 503)", intRange(&c.MaxRenders, 1, 1024)},
		{"data-dir", "PAPERFEED_DATA_DIR", "paperfeed-data", "directory of the state kept across restarts (papers, history, fetch schedule); empty: memory only", str(&c.DataDir)},
		{"redis", "PAPERFEED_REDIS_URL", "", "Redis URL (redis://host:6379/0 or rediss://; the password best in PAPERFEED_REDIS_PASSWORD): replicas share their state there and one of them fetches; replaces -data-dir", redisURL(&c.Redis)},
		{"redis-fallback", "PAPERFEED_REDIS_FALLBACK", "none", "while Redis is unreachable: none (serve what is held, fetch nothing) or local (each replica fetches on its own)", oneOf(&c.RedisFallback, "none", "local")},
		{"redis-lease", "PAPERFEED_REDIS_LEASE", "15s", "how long the fetching replica's lease lasts without renewal (a takeover happens within it; at least 1s)", dur(&c.RedisLease, time.Second)},
		{"retention", "PAPERFEED_RETENTION", "720h", "how long the state keeps papers and their history after they left the window (at least 24h)", dur(&c.Retention, 24*time.Hour)},
		{"topics", "PAPERFEED_TOPICS", "", "topics file (default: the built-in topics)", str(&c.TopicsFile)},
		{"notify", "PAPERFEED_NOTIFY", "", "notify file: subscriptions that push papers to e-mail, Slack, Discord, Telegram or webhooks, one \"name: channel target filter\" per line (default: none)", str(&c.NotifyFile)},
		{"smtp-host", "PAPERFEED_SMTP_HOST", "", "SMTP server for e-mail subscriptions", str(&c.SMTP.Host)},
		{"smtp-port", "PAPERFEED_SMTP_PORT", "", "SMTP port (default: 587 with starttls, 465 with tls, 25 with none)", intRangeOrEmpty(&c.SMTP.Port, 1, 65535)},
		{"smtp-user", "PAPERFEED_SMTP_USER", "", "SMTP user name (the password: PAPERFEED_SMTP_PASSWORD)", str(&c.SMTP.User)},
		{"smtp-from", "PAPERFEED_SMTP_FROM", "", "sender address of e-mail subscriptions", str(&c.SMTP.From)},
		{"smtp-tls", "PAPERFEED_SMTP_TLS", "starttls", "SMTP encryption: starttls, tls, or none (loopback and tests only)", oneOf(&c.SMTP.TLS, "starttls", "tls", "none")},
		{"telegram-api", "PAPERFEED_TELEGRAM_API", "https://api.telegram.org", "Telegram Bot API base URL", absURL(&c.TelegramAPI)},
		{"websub-hub", "PAPERFEED_WEBSUB_HUB", "", "WebSub hub URL: feeds advertise it and the hub is pinged when a feed readers poll changes (default: off)", optionalURL(&c.WebSubHub)},
		{"debug-addr", "PAPERFEED_DEBUG_ADDR", "", "address for Go's pprof profiles (/debug/pprof/); keep it private (default: off)", addrOrEmpty(&c.DebugAddr)},
		{"log-level", "PAPERFEED_LOG_LEVEL", "info", "log level: debug, info, warn or error", str(&level)},
		{"log-format", "PAPERFEED_LOG_FORMAT", "text", "log format: text or json", oneOf(&c.LogFormat, "text", "json")},
	}
	values := map[string]*stringValue{}
	for _, s := range settings {
		def := s.def
		if v, ok := lookupEnv(s.env); ok {
			def = v
		}
		v := &stringValue{s: def}
		values[s.name] = v
		fs.Var(v, s.name, fmt.Sprintf("%s (env %s)", s.usage, s.env))
		if d := fs.Lookup(s.name); d != nil {
			d.DefValue = s.def
		}
	}
	fs.Usage = func() {
		fmt.Fprintln(out, usageHeads[cmd])
		fs.PrintDefaults()
		fmt.Fprintln(out, "\nEnvironment only (a secret has no flag, so it never shows in a process list):\n  PAPERFEED_HF_TOKEN\n    \ta Hugging Face access token, sent as \"Authorization: Bearer\" to Hugging Face only, for an account's higher rate limits\n  PAPERFEED_REDIS_PASSWORD\n    \tthe Redis password (any characters; it wins over one in -redis's URL)\n  PAPERFEED_SMTP_PASSWORD\n    \tthe SMTP password of -smtp-user\n  PAPERFEED_WEBHOOK_SECRET\n    \tthe key webhook subscriptions are signed with (HMAC-SHA256, X-Paperfeed-Signature)\n\nRead by every outgoing HTTP request (upstreams, the WebSub hub, chat and webhook channels; not SMTP):\n  HTTPS_PROXY, HTTP_PROXY, NO_PROXY\n    \tthe proxy of https:// and http:// requests (http://host:port, with user:password@ when it needs them), and the hosts that bypass it\n  SSL_CERT_FILE, SSL_CERT_DIR\n    \ta CA bundle file or directory trusted instead of the system's (e.g. a TLS-inspecting proxy's CA)")
	}
	if err := fs.Parse(args); err != nil {
		return c, err
	}
	if fs.NArg() > 0 {
		return c, fmt.Errorf("unexpected argument %q (all settings are flags, see -h)", fs.Arg(0))
	}
	for _, s := range settings {
		if err := s.parse(values[s.name].s); err != nil {
			// A URL's credentials are not repeated in the message.
			return c, fmt.Errorf("invalid -%s / %s=%q: %w", s.name, s.env, feed.RedactURL(values[s.name].s), err)
		}
	}
	if err := c.LogLevel.UnmarshalText([]byte(level)); err != nil {
		return c, fmt.Errorf("invalid -log-level / PAPERFEED_LOG_LEVEL=%q: must be debug, info, warn or error", level)
	}
	var err error
	if c.ArxivCategories, err = parseCategoryList(cats); err != nil {
		return c, fmt.Errorf("invalid -arxiv-categories / PAPERFEED_ARXIV_CATEGORIES=%q: %w", cats, err)
	}
	if c.ArxivDays == 0 {
		c.ArxivDays = c.Days
	}
	if tok, ok := lookupEnv("PAPERFEED_HF_TOKEN"); ok && tok != "" {
		tok = strings.TrimSpace(tok)
		if !httpguts.ValidHeaderFieldValue(tok) || strings.ContainsAny(tok, " \t") {
			return c, errors.New("invalid PAPERFEED_HF_TOKEN: must be one word without spaces or control characters (the value is not shown)")
		}
		c.HFToken = tok
	}
	if pw, ok := lookupEnv("PAPERFEED_REDIS_PASSWORD"); ok && pw != "" {
		// Any characters: it is passed to Redis as it is, never spliced
		// into a URL.
		if strings.ContainsAny(pw, "\r\n\x00") {
			return c, errors.New("invalid PAPERFEED_REDIS_PASSWORD: must be one line without NUL characters (the value is not shown)")
		}
		c.RedisPassword = pw
	}
	for _, sec := range []struct {
		env string
		dst *string
	}{{"PAPERFEED_SMTP_PASSWORD", &c.SMTP.Password}, {"PAPERFEED_WEBHOOK_SECRET", &c.WebhookSecret}} {
		if v, ok := lookupEnv(sec.env); ok && v != "" {
			if strings.ContainsAny(v, "\r\n\x00") {
				return c, fmt.Errorf("invalid %s: must be one line without NUL characters (the value is not shown)", sec.env)
			}
			*sec.dst = v
		}
	}
	return c, nil
}

type stringValue struct{ s string }

func (v *stringValue) String() string     { return v.s }
func (v *stringValue) Set(s string) error { v.s = s; return nil }

func str(p *string) func(string) error {
	return func(s string) error { *p = s; return nil }
}

func oneOf(p *string, allowed ...string) func(string) error {
	return func(s string) error {
		for _, a := range allowed {
			if s == a {
				*p = s
				return nil
			}
		}
		return fmt.Errorf("must be one of %s", strings.Join(allowed, ", "))
	}
}

func intRange(p *int, lo, hi int) func(string) error {
	return func(s string) error {
		n, err := strconv.Atoi(s)
		if err != nil || n < lo || n > hi {
			return fmt.Errorf("must be a whole number from %d to %d", lo, hi)
		}
		*p = n
		return nil
	}
}

func intRangeOrEmpty(p *int, lo, hi int) func(string) error {
	return func(s string) error {
		if s == "" {
			return nil
		}
		return intRange(p, lo, hi)(s)
	}
}

func dur(p *time.Duration, least time.Duration) func(string) error {
	return func(s string) error {
		d, err := time.ParseDuration(s)
		if err != nil || d < least {
			return fmt.Errorf("must be a duration like 15m or 90s, at least %s", shortDuration(least))
		}
		*p = d
		return nil
	}
}

// shortDuration writes d as a person would: 5m, 24h, 90s (not 5m0s).
func shortDuration(d time.Duration) string {
	s := d.String()
	if strings.HasSuffix(s, "m0s") {
		s = strings.TrimSuffix(s, "0s")
	}
	if strings.HasSuffix(s, "h0m") {
		s = strings.TrimSuffix(s, "0m")
	}
	return s
}

// size parses a byte count: 0, or a number with B, KiB, MiB, GiB (or
// KB, MB, GB).
func size(p *int64) func(string) error {
	return func(s string) error {
		if s == "0" {
			*p = 0
			return nil
		}
		for _, u := range []struct {
			suffix string
			mult   int64
		}{{"GiB", 1 << 30}, {"MiB", 1 << 20}, {"KiB", 1 << 10}, {"GB", 1e9}, {"MB", 1e6}, {"KB", 1e3}, {"B", 1}} {
			if num, ok := strings.CutSuffix(s, u.suffix); ok {
				n, err := strconv.ParseInt(strings.TrimSpace(num), 10, 64)
				if err != nil || n <= 0 {
					break
				}
				*p = n * u.mult
				if *p < 32<<20 {
					return errors.New("must be at least 32MiB, or 0 for none")
				}
				return nil
			}
		}
		return errors.New("must be a size like 128MiB or 1GiB, or 0 for none")
	}
}

func absURL(p *string) func(string) error {
	return func(s string) error {
		u, err := url.Parse(s)
		if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
			return errors.New("must be an absolute http(s) URL")
		}
		*p = strings.TrimRight(s, "/")
		return nil
	}
}

// optionalURL is absURL or empty.
func optionalURL(p *string) func(string) error {
	return func(s string) error {
		if s == "" {
			*p = ""
			return nil
		}
		return absURL(p)(s)
	}
}

// baseURL takes an absolute http(s) URL with an optional path, and no
// query, fragment or user information: self links are made from it.
func baseURL(p *string) func(string) error {
	return func(s string) error {
		if s == "" {
			return nil
		}
		if err := absURL(p)(s); err != nil {
			return err
		}
		u, _ := url.Parse(s)
		if u.RawQuery != "" || u.ForceQuery || u.Fragment != "" || strings.Contains(s, "#") || u.User != nil {
			return errors.New("must be an absolute http(s) URL without query, fragment or user, like https://feeds.example.org or https://example.org/paperfeed")
		}
		return nil
	}
}

// redisURL takes "" or a redis:// or rediss:// URL.
func redisURL(p *string) func(string) error {
	return func(s string) error {
		if s == "" {
			*p = ""
			return nil
		}
		u, err := url.Parse(s)
		if err != nil || (u.Scheme != "redis" && u.Scheme != "rediss") || u.Host == "" {
			return errors.New("must be a Redis URL like redis://:password@host:6379/0 or rediss://host:6380")
		}
		*p = s
		return nil
	}
}

// headerText takes text sent in an HTTP header: no control characters
// (a stray newline would make every upstream request fail).
func headerText(p *string) func(string) error {
	return func(s string) error {
		if !httpguts.ValidHeaderFieldValue(s) || strings.ContainsAny(s, "\t") {
			return errors.New("must not contain control characters such as a newline or tab (it is sent in the User-Agent header)")
		}
		*p = s
		return nil
	}
}

// addrOrEmpty takes a listen address host:port (host may be empty).
// listenAddr takes host:port; a bare port number is refused with the
// form to write instead.
func listenAddr(p *string) func(string) error {
	return func(s string) error {
		if n, err := strconv.Atoi(s); err == nil {
			return fmt.Errorf("must be host:port; for port %d on every interface write :%d", n, n)
		}
		_, port, err := net.SplitHostPort(s)
		if n, perr := strconv.Atoi(port); err != nil || (perr != nil && port != "") || n < 0 || n > 65535 {
			return errors.New("must be host:port, like :8080 or 127.0.0.1:8080")
		}
		*p = s
		return nil
	}
}

func addrOrEmpty(p *string) func(string) error {
	return func(s string) error {
		if s == "" {
			*p = ""
			return nil
		}
		_, port, err := net.SplitHostPort(s)
		if n, perr := strconv.Atoi(port); err != nil || perr != nil || n < 0 || n > 65535 {
			return errors.New("must be a listen address host:port, like 127.0.0.1:6060 or :6060")
		}
		*p = s
		return nil
	}
}

func boolean(p *bool) func(string) error {
	return func(s string) error {
		b, ok := feed.ParseBool(s)
		if !ok {
			return errors.New("must be " + feed.BoolWords)
		}
		*p = b
		return nil
	}
}

func parseCategoryList(s string) ([]string, error) {
	var out []string
	for _, c := range strings.Split(s, ",") {
		c = strings.TrimSpace(c)
		if c == "" {
			continue
		}
		canon, ok := feed.ParseCategory(c)
		if !ok {
			return nil, fmt.Errorf("%q is not an arXiv category: write archive.SUBJECT like cs.CL (%s)", c, feed.CategoryHint(c))
		}
		if !slices.Contains(out, canon) {
			out = append(out, canon)
		}
	}
	return out, nil
}
