package server

import (
	"context"
	"log/slog"
	"net/http/httptest"
	"strings"
	"testing"
	"time"
)

// Every request is logged once, as a whole line in the service's
// format, and nothing is lost on Close.
func TestAccessLogWritesWholeLines(t *testing.T) {
	for _, format := range []string{"text", "json"} {
		var out syncBuffer
		l := newAccessLog(Config{LogLevel: slog.LevelInfo, LogFormat: format}, &out)
		r := httptest.NewRequest("GET", "/feed.rss?q=agents", nil)
		for i := range 1000 {
			l.record(r, 200+i%2*104, i, time.Millisecond) // 200 and 304
		}
		l.record(r, 503, 0, time.Millisecond)
		l.Close()
		lines := strings.Split(strings.TrimSuffix(out.String(), "\n"), "\n")
		if len(lines)+int(l.dropped.Load()) != 1001 {
			t.Fatalf("%s: %d lines and %d dropped, want 1001 in all", format, len(lines), l.dropped.Load())
		}
		for _, line := range lines {
			if !strings.Contains(line, "request") || !strings.Contains(line, "/feed.rss") {
				t.Fatalf("%s: not a whole access line: %q", format, line)
			}
		}
		if format == "json" && !strings.HasPrefix(lines[0], "{") {
			t.Errorf("json format wrote %q", lines[0])
		}
	}
	// Below its level nothing is queued.
	var out syncBuffer
	l := newAccessLog(Config{LogLevel: slog.LevelWarn, LogFormat: "text"}, &out)
	l.record(httptest.NewRequest("GET", "/", nil), 200, 10, time.Millisecond)
	l.record(httptest.NewRequest("GET", "/", nil), 503, 10, time.Millisecond)
	l.Close()
	if n := strings.Count(out.String(), "msg=request"); n != 1 || !strings.Contains(out.String(), "level=WARN") {
		t.Errorf("at warn: %q", out.String())
	}
	// A client that hung up is no fault here: not a warning, and the
	// line says why.
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	out = syncBuffer{}
	l = newAccessLog(Config{LogLevel: slog.LevelInfo, LogFormat: "text"}, &out)
	l.record(httptest.NewRequest("GET", "/feed.rss", nil).WithContext(ctx), 503, 10, time.Millisecond)
	l.Close()
	if got := out.String(); !strings.Contains(got, "level=INFO") || !strings.Contains(got, "client_gone=true") {
		t.Errorf("client gone: %q", got)
	}
}

// What an access line costs a request at the default level, the
// formatting off the request's path included: many requests at once
// (as under load), each recording its line.
func BenchmarkAccessLog(b *testing.B) {
	for _, format := range []string{"text", "json"} {
		b.Run(format, func(b *testing.B) {
			l := newAccessLog(Config{LogLevel: slog.LevelInfo, LogFormat: format}, discardWriter{})
			r := httptest.NewRequest("GET", "/feed.rss?q=agents&min_upvotes=20", nil)
			r.RemoteAddr = "127.0.0.1:50000"
			b.ReportAllocs()
			b.ResetTimer()
			b.RunParallel(func(pb *testing.PB) {
				for pb.Next() {
					l.record(r, 200, 48213, 1200*time.Microsecond)
				}
			})
			l.Close()
			b.ReportMetric(float64(l.dropped.Load())/float64(b.N), "dropped/op")
		})
	}
}

type discardWriter struct{}

func (discardWriter) Write(p []byte) (int, error) { return len(p), nil }
