package server

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"time"

	"paperfeed/internal/state"
)

// Open builds the service from its settings: the topics, the state store
// (Redis when -redis is set, shared by replicas; else the data
// directory's file; else memory) and what the store held, restored.
// Settings that cannot work stop here, naming themselves.
func Open(ctx context.Context, cfg Config, logs io.Writer) (*Service, error) {
	topics, err := LoadTopics(cfg.TopicsFile)
	if err != nil {
		return nil, err
	}
	subs, err := LoadSubscriptions(cfg, os.LookupEnv)
	if err != nil {
		return nil, err
	}
	log := NewLogger(cfg, logs)
	var backend state.Backend
	if cfg.Redis != "" {
		r, err := state.OpenRedis(ctx, cfg.Redis, cfg.RedisPassword, cfg.RedisLease, log)
		if err != nil {
			return nil, fmt.Errorf("invalid -redis / PAPERFEED_REDIS_URL: %w", err)
		}
		backend = r
	} else {
		b, err := state.Open(cfg.DataDir, log, time.Now)
		if errors.Is(err, state.ErrUnusableDir) {
			return nil, fmt.Errorf("invalid -data-dir / PAPERFEED_DATA_DIR=%q: %w; point it at a directory paperfeed can write "+
				"(in the image, a volume mounted at /data), or run without state across restarts with PAPERFEED_DATA_DIR= (empty)", cfg.DataDir, err)
		}
		if err != nil {
			return nil, fmt.Errorf("state store (-data-dir / PAPERFEED_DATA_DIR=%q): %w", cfg.DataDir, err)
		}
		backend = b
	}
	svc := New(cfg, logs, time.Now, backend, topics)
	svc.setNotify(subs, backend)
	start := time.Now()
	n, err := svc.Refresh.Restore()
	if err != nil {
		_ = svc.Refresh.Close()
		return nil, fmt.Errorf("state store: %w", err)
	}
	if n > 0 {
		log.Info("state restored", "papers", n, "took", time.Since(start).Round(time.Millisecond), "store", backend.Stats().Path)
	}
	return svc, nil
}

// Export runs the fetches a static export needs (those due, and those
// of a source that holds nothing) and renders every file of it through
// the handler, writing no access-log lines for its own requests. The
// state stays open meanwhile: seeds and past listings it holds are read
// from it, not fetched again.
func (s *Service) Export(ctx context.Context) (map[string][]byte, error) {
	s.HTTP.access.Close()
	s.HTTP.access = nil
	if err := s.Refresh.RefreshDue(ctx); err != nil {
		return nil, err
	}
	return s.HTTP.ExportFiles()
}
