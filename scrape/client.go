package scrape

import (
	"fmt"
	"net/http"
	"time"
)

// NewHTTPClient is the HTTP client of every upstream request: proxies
// from the environment (HTTPS_PROXY, NO_PROXY), the system's CA bundle,
// one connection at a time per upstream, a timeout, and redirects that
// never carry credentials to another host.
func NewHTTPClient(timeout time.Duration) *http.Client {
	t := http.DefaultTransport.(*http.Transport).Clone()
	t.Proxy = http.ProxyFromEnvironment
	t.MaxConnsPerHost = 1
	t.ResponseHeaderTimeout = timeout
	return &http.Client{Transport: t, Timeout: timeout, CheckRedirect: keepCredentialsHome}
}

// keepCredentialsHome follows at most 5 redirects and drops the
// Authorization header (the Hugging Face token) when one leads to
// another host or port: Go's client keeps it for the same host name on
// another port.
func keepCredentialsHome(req *http.Request, via []*http.Request) error {
	if len(via) >= 5 {
		return fmt.Errorf("stopped after %d redirects", len(via))
	}
	if req.URL.Host != via[0].URL.Host || req.URL.Scheme != via[0].URL.Scheme {
		req.Header.Del("Authorization")
	}
	return nil
}

// UserAgent names paperfeed, its version and its operator to the
// upstreams.
func UserAgent(version, contact string) string {
	if contact == "" {
		contact = "self-hosted instance, operator contact not configured"
	}
	return "paperfeed/" + version + " (feed server; " + contact + ")"
}
