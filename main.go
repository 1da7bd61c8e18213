// Command paperfeed serves Hugging Face Daily Papers and arXiv category
// feeds as filtered RSS, Atom and JSON feeds.
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"net/http/pprof"
	"os"
	"os/signal"
	"runtime/debug"
	"syscall"
	"time"

	"paperfeed/feed"
	"paperfeed/internal/state"
)

// version is stamped at build time with -ldflags "-X main.version=...".
var version = "dev"

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	cmd := run
	args := os.Args[1:]
	if len(args) > 0 && args[0] == "export" {
		cmd = func(ctx context.Context, args []string, env func(string) (string, bool), stderr io.Writer, _ chan<- string) error {
			return export(ctx, args, env, stderr)
		}
		args = args[1:]
	}
	if err := cmd(ctx, args, os.LookupEnv, os.Stderr, nil); err != nil {
		if errors.Is(err, flag.ErrHelp) {
			return
		}
		fmt.Fprintln(os.Stderr, "paperfeed:", err)
		os.Exit(2)
	}
}

// run starts the service and blocks until ctx is cancelled. When
// listening is not nil it receives the bound address (tests listen on
// 127.0.0.1:0).
func run(ctx context.Context, args []string, lookupEnv func(string) (string, bool), stderr io.Writer, listening chan<- string) error {
	cfg, err := parseConfig(args, lookupEnv, stderr)
	if err != nil {
		return err
	}
	log := newLogger(cfg, stderr)
	if _, set := lookupEnv("GOMEMLIMIT"); cfg.MemoryLimit > 0 && !set {
		debug.SetMemoryLimit(cfg.MemoryLimit)
	}
	a, err := openApp(ctx, cfg, stderr, log)
	if err != nil {
		return err
	}
	defer func() {
		if err := a.refresh.Close(); err != nil {
			log.Error("state store: final write failed", "error", err)
		}
	}()

	ln, err := net.Listen("tcp", cfg.Addr)
	if err != nil {
		return listenError("-addr / PAPERFEED_ADDR", cfg.Addr, err)
	}
	srv := &http.Server{
		Handler:           a.routes(),
		ReadHeaderTimeout: 5 * time.Second,
		ReadTimeout:       10 * time.Second,
		WriteTimeout:      cfg.RequestTimeout + 5*time.Second,
		IdleTimeout:       120 * time.Second,
		MaxHeaderBytes:    16 << 10,
		ErrorLog:          slog.NewLogLogger(log.Handler(), slog.LevelWarn),
		// Not the signal context: a shutdown lets requests in flight
		// finish (Shutdown waits for them) instead of cancelling them.
		BaseContext: func(net.Listener) context.Context { return context.WithoutCancel(ctx) },
	}
	if cfg.DebugAddr != "" {
		dln, err := net.Listen("tcp", cfg.DebugAddr)
		if err != nil {
			ln.Close()
			return listenError("-debug-addr / PAPERFEED_DEBUG_ADDR", cfg.DebugAddr, err)
		}
		dsrv := serveDebug(dln, log)
		defer dsrv.Close()
	}
	bg, cancel := context.WithCancel(context.WithoutCancel(ctx))
	defer cancel()
	a.refresh.Start(bg)

	defer a.access.Close()
	errc := make(chan error, 1)
	go func() { errc <- srv.Serve(ln) }()
	log.Info("paperfeed listening", "addr", ln.Addr().String(), "version", version, "days", cfg.Days,
		"hf", feed.RedactURL(cfg.HFURL), "arxiv_categories", cfg.ArxivCategories)
	if listening != nil {
		listening <- ln.Addr().String()
	}
	select {
	case err := <-errc:
		return fmt.Errorf("serve: %w", err)
	case <-ctx.Done():
	}
	log.Info("shutting down")
	cancel()
	sctx, scancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer scancel()
	if err := srv.Shutdown(sctx); err != nil {
		return fmt.Errorf("shutdown: %w", err)
	}
	return nil
}

// openApp builds the service from its settings: topics, the state store,
// and what the store held (restored).
func openApp(ctx context.Context, cfg Config, stderr io.Writer, log *slog.Logger) (*app, error) {
	topics, err := loadTopics(cfg.TopicsFile)
	if err != nil {
		return nil, err
	}
	backend, err := openState(ctx, cfg, log)
	if err != nil {
		return nil, err
	}
	a := newApp(cfg, stderr, time.Now, backend)
	a.topics = topics
	start := time.Now()
	n, err := a.refresh.Restore()
	if err != nil {
		_ = a.refresh.Close()
		return nil, fmt.Errorf("state store: %w", err)
	}
	if n > 0 {
		log.Info("state restored", "papers", n, "took", time.Since(start).Round(time.Millisecond), "store", backend.Stats().Path)
	}
	return a, nil
}

// openState opens the state store: Redis when -redis is set (shared by
// replicas), else the data directory's file, else memory.
func openState(ctx context.Context, cfg Config, log *slog.Logger) (state.Backend, error) {
	if cfg.Redis != "" {
		r, err := state.OpenRedis(ctx, cfg.Redis, cfg.RedisLease, log)
		if err != nil {
			return nil, fmt.Errorf("invalid -redis / PAPERFEED_REDIS_URL: %w", err)
		}
		if st := r.Stats(); st.LastError != "" {
			log.Warn("Redis is unreachable for now; serving what is held and reconnecting", "redis", st.Path, "error", st.LastError)
		}
		return r, nil
	}
	b, err := state.Open(cfg.DataDir, log, time.Now)
	if errors.Is(err, state.ErrUnusableDir) {
		return nil, fmt.Errorf("invalid -data-dir / PAPERFEED_DATA_DIR=%q: %w; point it at a directory paperfeed can write "+
			"(in the image, a volume mounted at /data), or run without state across restarts with PAPERFEED_DATA_DIR= (empty)", cfg.DataDir, err)
	}
	if err != nil {
		return nil, fmt.Errorf("state store (-data-dir / PAPERFEED_DATA_DIR=%q): %w", cfg.DataDir, err)
	}
	return b, nil
}

// listenError names the setting of an address that cannot be listened
// on, and what to do.
func listenError(setting, addr string, err error) error {
	switch {
	case errors.Is(err, syscall.EADDRINUSE):
		return fmt.Errorf("%s=%q: the port is already in use (another paperfeed, or another program); stop it or choose another port, e.g. :8081: %w", setting, addr, err)
	case errors.Is(err, syscall.EACCES):
		return fmt.Errorf("%s=%q: not allowed to listen there (ports below 1024 need privileges); choose a port above 1024, e.g. :8080: %w", setting, addr, err)
	}
	return fmt.Errorf("%s=%q: cannot listen there: %w", setting, addr, err)
}

// serveDebug serves Go's pprof profiles on their own, private listener.
func serveDebug(ln net.Listener, log *slog.Logger) *http.Server {
	mux := http.NewServeMux()
	mux.HandleFunc("/debug/pprof/", pprof.Index)
	mux.HandleFunc("/debug/pprof/profile", pprof.Profile)
	mux.HandleFunc("/debug/pprof/symbol", pprof.Symbol)
	mux.HandleFunc("/debug/pprof/trace", pprof.Trace)
	srv := &http.Server{Handler: mux, ReadHeaderTimeout: 5 * time.Second}
	log.Info("pprof listening", "addr", ln.Addr().String())
	go func() {
		if err := srv.Serve(ln); err != nil && !errors.Is(err, http.ErrServerClosed) {
			log.Error("pprof server stopped", "error", err)
		}
	}()
	return srv
}

func newLogger(cfg Config, w io.Writer) *slog.Logger {
	opts := &slog.HandlerOptions{Level: cfg.LogLevel}
	if cfg.LogFormat == "json" {
		return slog.New(slog.NewJSONHandler(w, opts))
	}
	return slog.New(slog.NewTextHandler(w, opts))
}
