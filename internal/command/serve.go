package command

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"net/http/pprof"
	"runtime/debug"
	"syscall"
	"time"

	"paperfeed/feed"
	"paperfeed/internal/server"
)

// Serve starts the service and blocks until ctx is cancelled. When
// listening is not nil it receives the bound address (tests listen on
// 127.0.0.1:0).
func Serve(ctx context.Context, args []string, lookupEnv func(string) (string, bool), stderr io.Writer, listening chan<- string) error {
	cfg, err := parseConfig(args, lookupEnv, stderr)
	if err != nil {
		return err
	}
	log := server.NewLogger(cfg, stderr)
	if _, set := lookupEnv("GOMEMLIMIT"); cfg.MemoryLimit > 0 && !set {
		debug.SetMemoryLimit(cfg.MemoryLimit)
	}
	svc, err := server.Open(ctx, cfg, stderr)
	if err != nil {
		return err
	}
	defer func() {
		if err := svc.Close(); err != nil {
			log.Error("state store: final write failed", "error", err)
		}
	}()

	ln, err := net.Listen("tcp", cfg.Addr)
	if err != nil {
		return listenError("-addr / PAPERFEED_ADDR", cfg.Addr, err)
	}
	srv := &http.Server{
		Handler:           svc.Handler(),
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
	svc.Start(bg)

	errc := make(chan error, 1)
	go func() { errc <- srv.Serve(ln) }()
	log.Info("paperfeed listening", "addr", ln.Addr().String(), "version", server.Version, "days", cfg.Days,
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
