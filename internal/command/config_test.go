package command

import (
	"context"
	"errors"
	"flag"
	"io"
	"net"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"testing"
	"time"
)

func env(m map[string]string) func(string) (string, bool) {
	return func(k string) (string, bool) { v, ok := m[k]; return v, ok }
}

func TestConfigDefaultsEnvAndFlags(t *testing.T) {
	c, err := parseConfig(nil, env(nil), io.Discard)
	if err != nil {
		t.Fatal(err)
	}
	if c.Addr != ":8080" || c.Days != 7 || c.Refresh != 15*time.Minute || c.HFURL != "https://huggingface.co" ||
		!slices.Equal(c.ArxivCategories, []string{"cs.AI", "cs.CL", "cs.CV", "cs.LG"}) || c.ArxivDays != 7 || c.LogFormat != "text" {
		t.Errorf("defaults: %+v", c)
	}
	c, err = parseConfig([]string{"-days", "3"}, env(map[string]string{"PAPERFEED_DAYS": "5", "PAPERFEED_ADDR": "127.0.0.1:9000",
		"PAPERFEED_ARXIV_CATEGORIES": "", "PAPERFEED_LOG_FORMAT": "json", "PAPERFEED_HF_URL": "http://mirror.local/"}), io.Discard)
	if err != nil {
		t.Fatal(err)
	}
	if c.MemoryLimit != 128<<20 {
		t.Errorf("memory limit %d", c.MemoryLimit)
	}
	if c.Days != 3 || c.Addr != "127.0.0.1:9000" || len(c.ArxivCategories) != 0 || c.LogFormat != "json" || c.HFURL != "http://mirror.local" || c.ArxivDays != 3 {
		t.Errorf("flag over env over default: %+v", c)
	}
}

func TestConfigErrorsNameTheSetting(t *testing.T) {
	for _, c := range []struct {
		env  map[string]string
		args []string
		want string
	}{
		{map[string]string{"PAPERFEED_DAYS": "0"}, nil, "invalid -days / PAPERFEED_DAYS=\"0\": must be a whole number from 1 to 60"},
		{map[string]string{"PAPERFEED_REFRESH": "soon"}, nil, "invalid -refresh / PAPERFEED_REFRESH=\"soon\""},
		{map[string]string{"PAPERFEED_HF_URL": "huggingface.co"}, nil, "invalid -hf-url / PAPERFEED_HF_URL=\"huggingface.co\": must be an absolute http(s) URL"},
		{map[string]string{"PAPERFEED_LOG_LEVEL": "loud"}, nil, "invalid -log-level / PAPERFEED_LOG_LEVEL=\"loud\""},
		{map[string]string{"PAPERFEED_LOG_FORMAT": "xml"}, nil, "invalid -log-format / PAPERFEED_LOG_FORMAT=\"xml\": must be one of text, json"},
		{map[string]string{"PAPERFEED_ARXIV_CATEGORIES": "cs.CL,machine learning"}, nil, "invalid -arxiv-categories"},
		{nil, []string{"-refresh", "10s"}, "at least 1m"},
		{nil, []string{"extra"}, "unexpected argument \"extra\""},
		{map[string]string{"PAPERFEED_MEMORY_LIMIT": "lots"}, nil, "invalid -memory-limit / PAPERFEED_MEMORY_LIMIT=\"lots\": must be a size like 128MiB"},
		{map[string]string{"PAPERFEED_MEMORY_LIMIT": "1MiB"}, nil, "must be at least 32MiB"},
		{nil, []string{"-nope"}, "flag provided but not defined: -nope"},
		{map[string]string{"PAPERFEED_CONTACT": "ops@example.org\n"}, nil, "invalid -contact / PAPERFEED_CONTACT=\"ops@example.org\\n\": must not contain control characters"},
		{map[string]string{"PAPERFEED_CONTACT": "a\tb"}, nil, "must not contain control characters"},
		{map[string]string{"PAPERFEED_DEBUG_ADDR": "notanaddr"}, nil, "invalid -debug-addr / PAPERFEED_DEBUG_ADDR=\"notanaddr\": must be a listen address host:port"},
		{map[string]string{"PAPERFEED_BASE_URL": "https://example.org/?x=1"}, nil, "invalid -base-url / PAPERFEED_BASE_URL=\"https://example.org/?x=1\": must be an absolute http(s) URL without query, fragment"},
		{map[string]string{"PAPERFEED_BASE_URL": "https://example.org/feeds#top"}, nil, "without query, fragment or user"},
		{map[string]string{"PAPERFEED_BASE_URL": "https://example.org/feeds?"}, nil, "without query, fragment or user"},
		{map[string]string{"PAPERFEED_ARXIV_CATEGORIES": "xx.YY"}, nil, "invalid -arxiv-categories / PAPERFEED_ARXIV_CATEGORIES=\"xx.YY\": \"xx.YY\" is not an arXiv category"},
		{map[string]string{"PAPERFEED_REDIS_URL": "http://cache:6379"}, nil, "invalid -redis / PAPERFEED_REDIS_URL=\"http://cache:6379\": must be a Redis URL like redis://:password@host:6379/0"},
		{map[string]string{"PAPERFEED_REDIS_FALLBACK": "scrape"}, nil, "invalid -redis-fallback / PAPERFEED_REDIS_FALLBACK=\"scrape\": must be one of none, local"},
		{map[string]string{"PAPERFEED_TRUST_PROXY": "maybe"}, nil, "invalid -trust-proxy / PAPERFEED_TRUST_PROXY=\"maybe\": must be 1, true, yes or on; 0, false, no or off"},
		{map[string]string{"PAPERFEED_ADDR": "8081"}, nil, "invalid -addr / PAPERFEED_ADDR=\"8081\": must be host:port; for port 8081 on every interface write :8081"},
		{map[string]string{"PAPERFEED_ADDR": "localhost"}, nil, "invalid -addr / PAPERFEED_ADDR=\"localhost\": must be host:port, like :8080"},
		{map[string]string{"PAPERFEED_ARXIV_CATEGORIES": "cs.XY"}, nil, "invalid -arxiv-categories / PAPERFEED_ARXIV_CATEGORIES=\"cs.XY\": \"cs.XY\" is not an arXiv category: write archive.SUBJECT like cs.CL (cs has cs.AI, cs.AR,"},
		{map[string]string{"PAPERFEED_ARXIV_CATEGORIES": "quant-ph.XX"}, nil, "quant-ph has no subjects: write quant-ph"},
	} {
		_, err := parseConfig(c.args, env(c.env), io.Discard)
		if err == nil || !strings.Contains(err.Error(), c.want) {
			t.Errorf("%v %v: err = %v, want %q", c.env, c.args, err, c.want)
		}
	}
}

// Categories follow the query's rule and spelling; a busy -debug-addr
// stops the start.
func TestConfigCategoriesAndDebugAddr(t *testing.T) {
	c, err := parseConfig(nil, env(map[string]string{"PAPERFEED_ARXIV_CATEGORIES": "CS.cl, stat.ml,cs.CL,physics.OPTICS"}), io.Discard)
	if err != nil {
		t.Fatal(err)
	}
	if got := strings.Join(c.ArxivCategories, ","); got != "cs.CL,stat.ML,physics.optics" {
		t.Errorf("categories = %s", got)
	}
	busy, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer busy.Close()
	vars := map[string]string{"PAPERFEED_ADDR": "127.0.0.1:0", "PAPERFEED_DEBUG_ADDR": busy.Addr().String(), "PAPERFEED_ARXIV_CATEGORIES": "",
		"PAPERFEED_DATA_DIR": t.TempDir()}
	err = Serve(context.Background(), nil, env(vars), io.Discard, nil)
	if err == nil || !strings.Contains(err.Error(), "-debug-addr") {
		t.Errorf("run with a busy debug address: %v", err)
	}
}

func TestHelpListsEverySetting(t *testing.T) {
	var out strings.Builder
	_, err := parseConfig([]string{"-h"}, env(nil), &out)
	if !errors.Is(err, flag.ErrHelp) {
		t.Fatalf("-h: %v", err)
	}
	for _, want := range []string{"-addr", "PAPERFEED_ADDR", "-days", "-refresh", "-hf-url", "-log-level", "-log-format",
		"-arxiv-categories", "PAPERFEED_ARXIV_RSS_URL", "PAPERFEED_ARXIV_API_URL", "-contact"} {
		if !strings.Contains(out.String(), want) {
			t.Errorf("-h does not list %s", want)
		}
	}
}

// Booleans take the same words everywhere (settings and URLs).
func TestBooleansTakeTheSameWords(t *testing.T) {
	for _, w := range []string{"1", "true", "YES", "on", "On"} {
		c, err := parseConfig(nil, env(map[string]string{"PAPERFEED_TRUST_PROXY": w, "PAPERFEED_HF_API": "off"}), io.Discard)
		if err != nil || !c.TrustProxy || c.HFAPI {
			t.Errorf("PAPERFEED_TRUST_PROXY=%s, PAPERFEED_HF_API=off: %v %v %v", w, c.TrustProxy, c.HFAPI, err)
		}
	}
	// (URLs: TestBooleansInURLs in internal/server.)
}

// A port in use stops the start with a message naming the setting and
// suggesting another port.
func TestPortInUseNamesTheSetting(t *testing.T) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	vars := map[string]string{"PAPERFEED_ADDR": ln.Addr().String(), "PAPERFEED_DATA_DIR": "", "PAPERFEED_HF_URL": "http://127.0.0.1:1"}
	err = Serve(context.Background(), nil, env(vars), io.Discard, nil)
	if err == nil || !strings.Contains(err.Error(), "-addr / PAPERFEED_ADDR=") || !strings.Contains(err.Error(), "already in use") || !strings.Contains(err.Error(), ":8081") {
		t.Errorf("port in use: %v", err)
	}
}

// The token is refused with a clear message, without showing it, when it
// cannot be a header value.
func TestHFTokenSetting(t *testing.T) {
	c, err := parseConfig(nil, env(map[string]string{"PAPERFEED_HF_TOKEN": " hf_abc "}), io.Discard)
	if err != nil || c.HFToken != "hf_abc" || !c.HFAPI {
		t.Errorf("token %q, api %v, err %v", c.HFToken, c.HFAPI, err)
	}
	_, err = parseConfig(nil, env(map[string]string{"PAPERFEED_HF_TOKEN": "hf_a\nb"}), io.Discard)
	if err == nil || strings.Contains(err.Error(), "hf_a") {
		t.Errorf("bad token: %v", err)
	}
	c, err = parseConfig([]string{"-hf-api=false"}, env(nil), io.Discard)
	if err != nil || c.HFAPI {
		t.Errorf("-hf-api=false: %v %v", c.HFAPI, err)
	}
}

// -thumbnails=off (PAPERFEED_THUMBNAILS) leaves the papers' thumbnails
// out; on by default; a bad value names the setting.
func TestThumbnailsSetting(t *testing.T) {
	c, err := parseConfig(nil, env(nil), io.Discard)
	if err != nil || !c.Thumbnails {
		t.Fatalf("default: thumbnails %v, %v", c.Thumbnails, err)
	}
	for _, args := range [][]string{{"-thumbnails=off"}, {"-thumbnails", "0"}} {
		if c, err := parseConfig(args, env(nil), io.Discard); err != nil || c.Thumbnails {
			t.Errorf("%v: thumbnails %v, %v", args, c.Thumbnails, err)
		}
	}
	if c, err := parseConfig(nil, env(map[string]string{"PAPERFEED_THUMBNAILS": "OFF"}), io.Discard); err != nil || c.Thumbnails {
		t.Errorf("PAPERFEED_THUMBNAILS=OFF: thumbnails %v, %v", c.Thumbnails, err)
	}
	_, err = parseConfig(nil, env(map[string]string{"PAPERFEED_THUMBNAILS": "hidden"}), io.Discard)
	if err == nil || !strings.Contains(err.Error(), "-thumbnails / PAPERFEED_THUMBNAILS=\"hidden\"") {
		t.Errorf("a bad value: %v", err)
	}
}

// -h says every duration's floor (the value the setting refuses below),
// and names the proxy and CA environment the upstream requests honour.
func TestHelpSaysFloorsAndProxyEnvironment(t *testing.T) {
	var out strings.Builder
	if _, err := parseConfig([]string{"-h"}, env(nil), &out); !errors.Is(err, flag.ErrHelp) {
		t.Fatalf("-h: %v", err)
	}
	help := out.String()
	for _, want := range []string{"HTTPS_PROXY", "HTTP_PROXY", "NO_PROXY", "SSL_CERT_FILE", "SSL_CERT_DIR"} {
		if !strings.Contains(help, want) {
			t.Errorf("-h does not mention %s", want)
		}
	}
	// Each flag's entry: "  -name value\n    \tusage (env X) (default D)".
	entries := map[string]string{}
	name := ""
	for line := range strings.Lines(help) {
		if f, ok := strings.CutPrefix(line, "  -"); ok {
			name, _, _ = strings.Cut(strings.TrimSpace(f), " ")
			continue
		}
		if name != "" {
			entries[name] += line
		}
	}
	floors := 0
	for flagName, entry := range entries {
		_, def, ok := strings.Cut(entry, "(default ")
		if !ok {
			continue
		}
		if _, err := time.ParseDuration(strings.TrimSuffix(strings.TrimSpace(def), ")")); err != nil {
			continue
		}
		_, err := parseConfig([]string{"-" + flagName, "1ns"}, env(nil), io.Discard)
		if err == nil {
			continue // no floor
		}
		_, floor, ok := strings.Cut(err.Error(), "at least ")
		if !ok {
			t.Errorf("-%s 1ns: %v", flagName, err)
			continue
		}
		floors++
		if !strings.Contains(entry, "at least "+floor) {
			t.Errorf("-h for -%s does not say its floor (at least %s):\n%s", flagName, floor, entry)
		}
	}
	if floors < 5 {
		t.Errorf("only %d duration settings with a floor found in -h", floors)
	}
}

// The replicas' environment in compose.yaml, each ${VAR:-default} at
// its default (what an .env without the optional settings gives), is a
// configuration the start accepts: an empty SMTP or notify setting must
// not stop the replicas.
func TestComposeEnvironmentIsAccepted(t *testing.T) {
	b, err := os.ReadFile(filepath.Join("..", "..", "compose.yaml"))
	if err != nil {
		t.Fatal(err)
	}
	vars := map[string]string{}
	line := regexp.MustCompile(`^\s+(PAPERFEED_[A-Z_]+): (.*)$`)
	subst := regexp.MustCompile(`\$\{[A-Z_]+(:-([^}]*)|:\?[^}]*)?\}`)
	for l := range strings.Lines(string(b)) {
		m := line.FindStringSubmatch(strings.TrimRight(l, "\n"))
		if m == nil {
			continue
		}
		v := strings.Trim(m[2], `"`)
		if v == "*redis-password" {
			v = "p"
		}
		vars[m[1]] = subst.ReplaceAllStringFunc(v, func(s string) string {
			return subst.FindStringSubmatch(s)[2]
		})
	}
	for _, k := range []string{"PAPERFEED_NOTIFY", "PAPERFEED_TOPICS", "PAPERFEED_SMTP_HOST", "PAPERFEED_SMTP_TLS", "PAPERFEED_SMTP_PASSWORD"} {
		if _, ok := vars[k]; !ok {
			t.Errorf("compose.yaml gives the replicas no %s", k)
		}
	}
	if _, err := parseConfig(nil, env(vars), io.Discard); err != nil {
		t.Errorf("the environment compose.yaml gives by default stops the start: %v\n%v", err, vars)
	}
}
