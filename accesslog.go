package main

import (
	"context"
	"log/slog"
	"net/http"
	"sync"
	"sync/atomic"
	"time"
)

// accessLog writes one line per request off the request's path: the
// handler hands a small record to a buffered channel, and one goroutine
// formats and writes it. When the buffer is full (a burst faster than
// the log can be written) records are dropped and counted, and the next
// line written says how many; a request never waits for the log.
type accessLog struct {
	log     *slog.Logger
	ch      chan accessRecord
	dropped atomic.Int64
	done    chan struct{}
	close   sync.Once
}

type accessRecord struct {
	level         slog.Level
	method, path  string
	query, remote string
	status, bytes int
	duration      time.Duration
}

const accessBuffer = 4096

func newAccessLog(log *slog.Logger) *accessLog {
	l := &accessLog{log: log, ch: make(chan accessRecord, accessBuffer), done: make(chan struct{})}
	go l.run()
	return l
}

// record queues a request's line, if its level is logged.
func (l *accessLog) record(r *http.Request, status, bytes int, d time.Duration) {
	level := slog.LevelInfo
	switch {
	case status == http.StatusServiceUnavailable:
		level = slog.LevelWarn // not ready, busy or upstream down: already logged where it happened
	case status >= 500:
		level = slog.LevelError
	}
	if !l.log.Enabled(context.Background(), level) {
		return
	}
	rec := accessRecord{level: level, method: r.Method, path: r.URL.Path, query: r.URL.RawQuery, remote: r.RemoteAddr,
		status: status, bytes: bytes, duration: d}
	select {
	case l.ch <- rec:
	default:
		l.dropped.Add(1)
	}
}

func (l *accessLog) run() {
	defer close(l.done)
	ctx := context.Background()
	for rec := range l.ch {
		if n := l.dropped.Swap(0); n > 0 {
			l.log.Warn("access log fell behind; lines dropped", "dropped", n)
		}
		l.log.Log(ctx, rec.level, "request", "method", rec.method, "path", rec.path, "query", rec.query,
			"status", rec.status, "bytes", rec.bytes, "duration", rec.duration, "remote", rec.remote)
	}
}

// Close writes what is queued and stops; call it after the server has
// stopped serving.
func (l *accessLog) Close() {
	l.close.Do(func() { close(l.ch) })
	<-l.done
}
