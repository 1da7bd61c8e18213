package server

import (
	"context"
	"io"
	"log/slog"
	"net/http"
	"sync"
	"sync/atomic"
	"time"
)

// accessLog writes one line per request off the request's path, and
// cheaply: the handler hands a small record to a buffered channel; one
// goroutine formats the lines (in the service's log format) into a
// buffer and writes it in one system call when the channel runs dry or
// the buffer fills. Under load that is one write for many lines; when
// idle, each line is written at once. When the channel is full (a burst
// faster than the log is written) records are dropped and counted, and
// the next line written says how many; a request never waits for the log.
// Paths and queries are logged without their keys (logsafe.go).
type accessLog struct {
	log     *slog.Logger // formats into buf
	buf     *lineBuffer
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
	gone          bool // the client left before the answer
}

const (
	accessBuffer = 4096     // records waiting
	accessFlush  = 32 << 10 // bytes buffered before a write
)

func newAccessLog(cfg Config, w io.Writer) *accessLog {
	buf := &lineBuffer{w: w}
	l := &accessLog{log: NewLogger(cfg, buf), buf: buf, ch: make(chan accessRecord, accessBuffer), done: make(chan struct{})}
	go l.run()
	return l
}

// record queues a request's line, if its level is logged. A nil log
// (the export's internal requests) records nothing.
func (l *accessLog) record(r *http.Request, status, bytes int, d time.Duration) {
	if l == nil {
		return
	}
	level := slog.LevelInfo
	gone := r.Context().Err() != nil
	switch {
	case gone:
		// A client that hung up (a reader's timeout, a load tool
		// stopping) gets what was written, and it is not a fault here.
	case status == http.StatusServiceUnavailable:
		level = slog.LevelWarn // not ready, busy or upstream down: already logged where it happened
	case status >= 500:
		level = slog.LevelError
	}
	if !l.log.Enabled(context.Background(), level) {
		return
	}
	rec := accessRecord{level: level, method: r.Method, path: logPath(r.URL.Path), query: logQuery(r.URL.RawQuery), remote: r.RemoteAddr,
		status: status, bytes: bytes, duration: d, gone: gone}
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
		if rec.gone {
			l.log.Log(ctx, rec.level, "request", "method", rec.method, "path", rec.path, "query", rec.query,
				"status", rec.status, "bytes", rec.bytes, "duration", rec.duration, "remote", rec.remote, "client_gone", true)
		} else {
			l.log.Log(ctx, rec.level, "request", "method", rec.method, "path", rec.path, "query", rec.query,
				"status", rec.status, "bytes", rec.bytes, "duration", rec.duration, "remote", rec.remote)
		}
		if len(l.ch) == 0 || l.buf.Len() >= accessFlush {
			l.buf.Flush()
		}
	}
	l.buf.Flush()
}

// Close writes what is queued and stops; call it after the server has
// stopped serving.
func (l *accessLog) Close() {
	if l == nil {
		return
	}
	l.close.Do(func() { close(l.ch) })
	<-l.done
}

// lineBuffer collects whole log lines (a slog handler writes each record
// with one Write) and writes them together, so lines from other writers
// never interleave with half a line.
type lineBuffer struct {
	w io.Writer
	b []byte
}

func (lb *lineBuffer) Write(p []byte) (int, error) {
	lb.b = append(lb.b, p...)
	return len(p), nil
}

func (lb *lineBuffer) Len() int { return len(lb.b) }

func (lb *lineBuffer) Flush() {
	if len(lb.b) > 0 {
		_, _ = lb.w.Write(lb.b)
		lb.b = lb.b[:0]
	}
}
