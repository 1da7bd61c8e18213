package scrape

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net/http"
	neturl "net/url"
	"strconv"
	"time"

	"paperfeed/feed"
)

// ErrTooLarge means a response body exceeded the fetcher's size cap.
var ErrTooLarge = errors.New("response body too large")

// HTTPError is a non-2xx upstream answer.
type HTTPError struct {
	URL        string
	StatusCode int
	// RetryAfter is the upstream's Retry-After, zero when absent.
	RetryAfter time.Duration
}

func (e *HTTPError) Error() string {
	if e.RetryAfter > 0 {
		return fmt.Sprintf("GET %s: HTTP %d (retry after %s)", e.URL, e.StatusCode, e.RetryAfter)
	}
	return fmt.Sprintf("GET %s: HTTP %d", e.URL, e.StatusCode)
}

// Throttled reports whether err is an upstream asking us to slow down
// (429 Too Many Requests or 503 Service Unavailable): no further request
// should follow until its Retry-After has passed.
func Throttled(err error) bool {
	var he *HTTPError
	return errors.As(err, &he) && (he.StatusCode == http.StatusTooManyRequests || he.StatusCode == http.StatusServiceUnavailable)
}

// NotFound reports whether err is an upstream's 404.
func NotFound(err error) bool {
	var he *HTTPError
	return errors.As(err, &he) && he.StatusCode == http.StatusNotFound
}

// Fetcher makes polite GET requests: a context deadline, a User-Agent
// naming paperfeed, a response size cap, and an optional rate limit
// shared by everything that uses the same Limiter.
type Fetcher struct {
	Client    *http.Client
	UserAgent string
	MaxBytes  int64         // 0 means 16 MiB
	Timeout   time.Duration // per request, 0 means 30s
	Limiter   *Limiter      // nil means no spacing
}

// Response is a fetched body with the headers a caller may need.
type Response struct {
	Status int
	Header http.Header
	Body   []byte
}

// NotModified reports a 304 answer to a conditional request.
func (r *Response) NotModified() bool { return r.Status == http.StatusNotModified }

// Get fetches url. extra headers (conditional request validators) are
// added to the request. A 304 is returned as a Response, every other
// non-2xx as *HTTPError.
func (f *Fetcher) Get(ctx context.Context, url string, extra http.Header) (*Response, error) {
	shown := feed.RedactURL(url) // errors name the URL without credentials
	timeout := f.Timeout
	if timeout <= 0 {
		timeout = 30 * time.Second
	}
	if f.Limiter != nil {
		release, err := f.Limiter.Acquire(ctx)
		if err != nil {
			return nil, fmt.Errorf("GET %s: %w", shown, err)
		}
		defer release()
	}
	ctx, cancel := context.WithTimeout(ctx, timeout)
	defer cancel()
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, url, nil)
	if err != nil {
		return nil, fmt.Errorf("build request: %w", err)
	}
	for k, v := range extra {
		req.Header[k] = v
	}
	req.Header.Set("User-Agent", f.UserAgent)
	client := f.Client
	if client == nil {
		client = http.DefaultClient
	}
	resp, err := client.Do(req)
	if err != nil {
		var ue *neturl.Error
		if errors.As(err, &ue) {
			err = ue.Err // it would name the method and URL a second time
		}
		if errors.Is(err, context.DeadlineExceeded) {
			return nil, fmt.Errorf("GET %s: timed out after %s: %w", shown, timeout, err)
		}
		return nil, fmt.Errorf("GET %s: %w", shown, err)
	}
	defer resp.Body.Close()
	if resp.StatusCode == http.StatusNotModified {
		return &Response{Status: resp.StatusCode, Header: resp.Header}, nil
	}
	if resp.StatusCode < 200 || resp.StatusCode > 299 {
		_, _ = io.Copy(io.Discard, io.LimitReader(resp.Body, 64<<10))
		he := &HTTPError{URL: shown, StatusCode: resp.StatusCode, RetryAfter: retryAfter(resp.Header.Get("Retry-After"), time.Now())}
		if f.Limiter != nil && Throttled(he) {
			f.Limiter.throttled(he)
		}
		return nil, he
	}
	limit := f.MaxBytes
	if limit <= 0 {
		limit = 16 << 20
	}
	body, err := io.ReadAll(io.LimitReader(resp.Body, limit+1))
	if err != nil && errors.Is(err, context.DeadlineExceeded) {
		return nil, fmt.Errorf("GET %s: body timed out after %s: %w", shown, timeout, err)
	}
	if err != nil {
		return nil, fmt.Errorf("GET %s: read body: %w", shown, err)
	}
	if int64(len(body)) > limit {
		return nil, fmt.Errorf("GET %s: %w (over %d bytes)", shown, ErrTooLarge, limit)
	}
	return &Response{Status: resp.StatusCode, Header: resp.Header, Body: body}, nil
}

// retryAfter reads a Retry-After header: seconds or an HTTP date.
// ParseRetryAfter reads a Retry-After header value, seconds or an HTTP
// date, as a wait from now (0 when absent, unreadable or past).
func ParseRetryAfter(v string, now time.Time) time.Duration { return retryAfter(v, now) }

func retryAfter(v string, now time.Time) time.Duration {
	if v == "" {
		return 0
	}
	if s, err := strconv.Atoi(v); err == nil && s >= 0 {
		return time.Duration(s) * time.Second
	}
	if t, err := http.ParseTime(v); err == nil && t.After(now) {
		return t.Sub(now)
	}
	return 0
}
