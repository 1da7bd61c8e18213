package main

import (
	"go/parser"
	"go/token"
	"io/fs"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"testing"
)

// Imports run one way: the command -> internal/server -> internal/engine
// -> internal/refresh -> internal/state, scrape, filter -> feed (see the
// README's code map). Every package of the repository is listed here
// with the packages of ours its non-test files may import, so a new
// package or a new arrow is a decision this test records. Only scrape
// (an HTTP client) and the serving side use net/http; the test-support
// packages are imported by tests and tools alone.
func TestImportsRunOneWay(t *testing.T) {
	allowed := map[string][]string{
		".":                           {"internal/command"},
		"internal/command":            {"feed", "internal/server", "internal/swapdir"},
		"internal/server":             {"feed", "filter", "scrape", "internal/engine", "internal/refresh", "internal/source", "internal/state", "internal/personal", "internal/notify", "internal/server/personalweb", "internal/server/mailweb", "internal/server/pagekit"},
		"internal/server/personalweb": {"feed", "filter", "internal/engine", "internal/refresh", "internal/state", "internal/personal", "internal/server/pagekit"},
		"internal/server/mailweb":     {"feed", "filter", "internal/engine", "internal/notify", "internal/state", "internal/server/pagekit"},
		"internal/server/pagekit":     {"feed"},
		"internal/personal":           {"feed"},
		"internal/notify":             {"feed"},
		"internal/engine":             {"feed", "filter", "internal/refresh"},
		"internal/source":             {"internal/refresh", "internal/source/hf", "internal/source/arxiv", "internal/source/artifacts"},
		"internal/source/hf":          {"feed", "scrape", "internal/refresh"},
		"internal/source/arxiv":       {"feed", "scrape", "internal/refresh"},
		"internal/source/artifacts":   {"feed", "scrape", "internal/refresh"},
		"internal/refresh":            {"feed", "scrape", "internal/state"},
		"internal/state":              {"feed"},
		"internal/swapdir":            {},
		"filter":                      {"feed"},
		"scrape":                      {"feed"},
		"feed":                        {},
		"internal/testkit":            {"internal/standin"},
		"internal/standin":            {},
		"internal/recorded":           {"feed", "scrape"},
		"internal/redistest":          {},
		"internal/smtptest":           {},
		"bench/load":                  {"feed", "internal/recorded", "internal/state", "internal/standin"},
		"bench/replay":                {"internal/standin"},
	}
	testSupport := []string{"internal/testkit", "internal/standin", "internal/recorded", "internal/redistest", "internal/smtptest"}
	httpSide := []string{".", "internal/command", "internal/server", "internal/server/personalweb", "internal/server/mailweb", "scrape", "internal/notify", "bench/load", "bench/replay", "internal/testkit", "internal/standin", "internal/redistest", "internal/smtptest"}
	serverOnly := []string{"net/http/httptest", "net/http/pprof", "github.com/prometheus/client_golang/prometheus/promhttp"}
	found := map[string]bool{}
	err := filepath.WalkDir(".", func(path string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		if d.IsDir() && (strings.HasPrefix(d.Name(), ".") && path != "." || d.Name() == "testdata" || d.Name() == "web") {
			return filepath.SkipDir
		}
		if d.IsDir() || !strings.HasSuffix(path, ".go") || strings.HasSuffix(path, "_test.go") {
			return nil
		}
		dir := filepath.ToSlash(filepath.Dir(path))
		found[dir] = true
		ours, listed := allowed[dir]
		if !listed {
			t.Errorf("package %s is not in this test's map: say what it may import", dir)
			return nil
		}
		src, err := os.ReadFile(path)
		if err != nil {
			return err
		}
		f, err := parser.ParseFile(token.NewFileSet(), path, src, parser.ImportsOnly)
		if err != nil {
			return err
		}
		for _, imp := range f.Imports {
			p, err := strconv.Unquote(imp.Path.Value)
			if err != nil {
				return err
			}
			if rel, ok := strings.CutPrefix(p, "paperfeed/"); ok && !slices.Contains(ours, rel) {
				t.Errorf("%s imports %s; %s may import only %v of ours", path, p, dir, ours)
			}
			if rel, ok := strings.CutPrefix(p, "paperfeed/"); ok && slices.Contains(testSupport, rel) &&
				!slices.Contains(testSupport, dir) && !strings.HasPrefix(dir, "bench/") {
				t.Errorf("%s imports the test support %s", path, p)
			}
			if slices.Contains(serverOnly, p) && dir != "." && dir != "internal/command" && dir != "internal/server" && !slices.Contains(testSupport, dir) && !strings.HasPrefix(dir, "bench/") {
				t.Errorf("%s imports %s, which serves HTTP", path, p)
			}
			if (p == "net/http" || p == "net") && !slices.Contains(httpSide, dir) {
				t.Errorf("%s imports %s; only scrape and the serving side talk HTTP", path, p)
			}
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	for dir := range allowed {
		if !found[dir] {
			t.Errorf("%s is in the map but holds no Go file", dir)
		}
	}
}
