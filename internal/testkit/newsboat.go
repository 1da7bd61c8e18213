package testkit

import (
	"context"
	"encoding/json"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

// Newsboat subscribes Debian's newsboat, a console feed reader, to urls
// side by side, reloads them once as a reader would, and returns how
// many items its cache keeps under each feed URL (newsboat's cache is a
// SQLite file, read with Python's sqlite3). $NEWSBOAT names the program,
// else /usr/bin/newsboat. CI installs it (.ci/install-deps) and fails
// without it; elsewhere the test is skipped.
func Newsboat(t testing.TB, urls []string) map[string]int {
	t.Helper()
	bin := os.Getenv("NEWSBOAT")
	if bin == "" {
		bin = "/usr/bin/newsboat"
	}
	if _, err := exec.LookPath(bin); err != nil {
		if os.Getenv("CI") != "" {
			t.Fatalf("%s: %v; .ci/install-deps installs newsboat", bin, err)
		}
		t.Skipf("%s not installed (apt-get install newsboat); CI runs this test", bin)
	}
	dir := t.TempDir()
	urlFile, cache, config := filepath.Join(dir, "urls"), filepath.Join(dir, "cache.db"), filepath.Join(dir, "config")
	if err := os.WriteFile(urlFile, []byte(strings.Join(urls, "\n")+"\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(config, []byte("reload-threads 1\ndownload-timeout 20\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()
	cmd := exec.CommandContext(ctx, bin, "-u", urlFile, "-c", cache, "-C", config, "-x", "reload")
	cmd.Env = []string{"HOME=" + dir, "LANG=C.UTF-8", "PATH=/usr/bin:/bin", "XDG_CONFIG_HOME=" + dir, "XDG_DATA_HOME=" + dir}
	if out, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("newsboat reload: %v\n%s", err, out)
	}
	out := Python(t, `import json, sqlite3, sys
db = sqlite3.connect(sys.stdin.read().strip())
print(json.dumps(dict(db.execute("SELECT feedurl, COUNT(*) FROM rss_item WHERE deleted = 0 GROUP BY feedurl").fetchall())))`, []byte(cache))
	counts := map[string]int{}
	if err := json.Unmarshal([]byte(out), &counts); err != nil {
		t.Fatalf("newsboat's cache: %v (%q)", err, out)
	}
	return counts
}
