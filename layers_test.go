package main

import (
	"go/parser"
	"go/token"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"testing"
)

// Imports run one way: root → internal/refresh → internal/state, scrape,
// filter → feed.
// The packages below the root import none of ours but those listed, and
// none of them serves HTTP (scrape is an HTTP client, no more).
func TestImportsRunOneWay(t *testing.T) {
	allowed := map[string][]string{
		"feed":             {},
		"scrape":           {"paperfeed/feed"},
		"filter":           {"paperfeed/feed"},
		"internal/refresh": {"paperfeed/feed", "paperfeed/scrape", "paperfeed/internal/state"},
		"internal/state":   {"paperfeed/feed"},
	}
	serverOnly := []string{"net/http/httptest", "net/http/pprof", "github.com/prometheus/client_golang/prometheus/promhttp"}
	for dir, ours := range allowed {
		files, err := filepath.Glob(filepath.Join(dir, "*.go"))
		if err != nil || len(files) == 0 {
			t.Fatalf("%s: no Go files (%v)", dir, err)
		}
		for _, file := range files {
			if strings.HasSuffix(file, "_test.go") {
				continue
			}
			src, err := os.ReadFile(file)
			if err != nil {
				t.Fatal(err)
			}
			f, err := parser.ParseFile(token.NewFileSet(), file, src, parser.ImportsOnly)
			if err != nil {
				t.Fatal(err)
			}
			for _, imp := range f.Imports {
				path, err := strconv.Unquote(imp.Path.Value)
				if err != nil {
					t.Fatal(err)
				}
				if strings.HasPrefix(path, "paperfeed") && !slices.Contains(ours, path) {
					t.Errorf("%s imports %s; %s may import only %v of ours", file, path, dir, ours)
				}
				if slices.Contains(serverOnly, path) {
					t.Errorf("%s imports %s, which serves HTTP", file, path)
				}
				if dir != "scrape" && (path == "net/http" || path == "net") {
					t.Errorf("%s imports net/http; only scrape talks HTTP below the root", file)
				}
			}
		}
	}
}
