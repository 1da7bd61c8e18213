package server

import (
	"log/slog"
	"time"

	"paperfeed/internal/notify"
)

// Config is every setting of the service. The command reads each from a
// flag whose default comes from an environment variable (paperfeed -h
// lists them).
type Config struct {
	Addr        string
	BaseURL     string
	Days        int
	Refresh     time.Duration
	RefreshPast time.Duration
	HFURL       string
	HFInterval  time.Duration
	HFAPI       bool   // also ask HF's JSON API for every listing
	HFArtifacts bool   // count each window paper's linked models, datasets, Spaces
	HFToken     string // sent to Hugging Face only; from the environment only
	Thumbnails  bool   // show papers' thumbnails (images from Hugging Face's servers)

	ArxivCategories []string
	ArxivRSSURL     string
	ArxivAPIURL     string
	ArxivDays       int
	ArxivInterval   time.Duration
	ArxivRefresh    time.Duration

	Contact        string
	Timeout        time.Duration // upstream request timeout
	RequestTimeout time.Duration // per client request
	StartupWait    time.Duration
	CacheEntries   int
	CacheMB        int
	MemoryLimit    int64 // bytes; 0 leaves the Go runtime's default
	MaxRenders     int
	TopicsFile     string
	DebugAddr      string
	TrustProxy     bool          // honour X-Forwarded-Proto and X-Forwarded-Host
	DataDir        string        // state directory; "" keeps state in memory only
	Redis          string        // shared state store URL (replicas); replaces DataDir
	RedisPassword  string        // from the environment only; wins over the URL's
	RedisFallback  string        // none or local
	RedisLease     time.Duration // the leader lease
	Retention      time.Duration // how long the state keeps papers that left the window

	LogLevel  slog.Level
	LogFormat string

	// Push (notify.go): the notify file, e-mail and Telegram settings,
	// the webhook signing key (from the environment only), a WebSub hub.
	NotifyFile    string
	SMTP          notify.SMTP
	WebhookSecret string
	TelegramAPI   string
	WebSubHub     string

	// PastWait is how long a request waits for a past listing being
	// fetched; not a setting (zero: the refresh package's default), tests
	// shorten it.
	PastWait time.Duration
}
