package command

import (
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"net"
	"net/http"
	neturl "net/url"
	"strings"
	"time"

	"paperfeed/internal/server"
)

// healthcheck is "paperfeed healthcheck [-url URL]": it asks the local
// instance's /readyz and exits 0 when it is ready, or non-zero with one
// line saying why not. The image's HEALTHCHECK and compose use it: the
// distroless image has no curl.
func Healthcheck(ctx context.Context, args []string, lookupEnv func(string) (string, bool), out io.Writer) error {
	fs := flag.NewFlagSet("paperfeed healthcheck", flag.ContinueOnError)
	fs.SetOutput(out)
	addr, _ := lookupEnv("PAPERFEED_ADDR")
	url := fs.String("url", readyzURL(addr), "the /readyz URL to ask, or the instance's base URL (http://host:port: its /readyz is asked) (default: this machine, at PAPERFEED_ADDR's port)")
	timeout := fs.Duration("timeout", 3*time.Second, "how long to wait for the answer")
	fs.Usage = func() {
		fmt.Fprintln(out, "Usage: paperfeed healthcheck [-url URL] [-timeout 3s]\n\nExits 0 when the instance is ready (it serves its feeds), 1 with one line of cause otherwise.\n\nFlags:")
		fs.PrintDefaults()
	}
	if err := fs.Parse(args); err != nil {
		return err
	}
	ctx, cancel := context.WithTimeout(ctx, *timeout)
	defer cancel()
	*url = withReadyz(*url)
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, *url, nil)
	if err != nil {
		return fmt.Errorf("not ready: %w", err)
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		return fmt.Errorf("not ready: %s does not answer: %w", *url, errors.Unwrap(err))
	}
	defer resp.Body.Close()
	var st server.Status
	if err := json.NewDecoder(io.LimitReader(resp.Body, 1<<20)).Decode(&st); err != nil {
		return fmt.Errorf("not ready: %s answered %s, not paperfeed's status: give the instance's /readyz URL, like %s",
			*url, resp.Status, readyzOf(*url))
	}
	if resp.StatusCode != http.StatusOK || !st.Ready {
		return fmt.Errorf("not ready: %s", notReadyCause(st))
	}
	fmt.Fprintf(out, "ready: %d papers, data version %d\n", st.Papers, st.DataVersion)
	return nil
}

// withReadyz is the URL to ask: a base URL without a path
// (http://host:8080 or http://host:8080/) means its /readyz.
func withReadyz(raw string) string {
	u, err := neturl.Parse(raw)
	if err != nil || u.Host == "" || (u.Path != "" && u.Path != "/") || u.RawQuery != "" {
		return raw
	}
	u.Path = "/readyz"
	return u.String()
}

// readyzOf is the /readyz URL at the same scheme and host as raw.
func readyzOf(raw string) string {
	u, err := neturl.Parse(raw)
	if err != nil || u.Host == "" {
		return "http://host:8080/readyz"
	}
	return (&neturl.URL{Scheme: u.Scheme, Host: u.Host, Path: "/readyz"}).String()
}

// readyzURL is the local /readyz at a listen address's port.
func readyzURL(addr string) string {
	if addr == "" {
		addr = ":8080"
	}
	host, port, err := net.SplitHostPort(addr)
	if err != nil {
		port = "8080"
	}
	if host == "" || host == "0.0.0.0" || host == "::" {
		host = "127.0.0.1"
	}
	return "http://" + net.JoinHostPort(host, port) + "/readyz"
}

// notReadyCause says in one line why an instance is not ready: its
// shared store, or its Hugging Face source.
func notReadyCause(st server.Status) string {
	if c := st.Cluster; c != nil && c.LastError != "" {
		return "the shared state store is unreachable: " + oneLine(c.LastError)
	}
	for _, s := range st.Sources {
		if s.Source != "hf" {
			continue
		}
		switch {
		case s.Fetching || s.LastAttempt.IsZero():
			if st.Cluster != nil && st.Cluster.Role == "follower" {
				return "waiting for the shared state the leading replica writes"
			}
			return "the first fetch from Hugging Face is running"
		case s.LastError != "":
			return "no data yet: the last fetch from Hugging Face failed: " + oneLine(s.LastError)
		}
	}
	return "no data loaded yet"
}

func oneLine(s string) string {
	s = strings.Join(strings.Fields(s), " ")
	if len(s) > 300 {
		s = s[:300] + "…"
	}
	return s
}
