package scrape

import (
	"bytes"
	"context"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
)

const hfPaperFile = "papers_2608.09888_prettyprinted_transcribed_zhangyee.json"

func TestParseHFPaperRecorded(t *testing.T) {
	b, err := os.ReadFile(filepath.Join("..", "testdata", hfPaperFile))
	if err != nil {
		t.Fatal(err)
	}
	info, err := ParseHFPaper(bytes.NewReader(b))
	if err != nil {
		t.Fatal(err)
	}
	// The recording: no model, one dataset, no Space; code with 11184 stars.
	want := HFPaperInfo{ID: "2608.09888", Models: 0, Datasets: 1, Spaces: 0,
		DatasetIDs: []string{"WhySoCodius/in-context-grid-reasoning"}, GitHub: "https://github.com/pathwaycom/arc-task-gen", Stars: 11184}
	if info.ID != want.ID || info.Models != want.Models || info.Datasets != want.Datasets || info.Spaces != want.Spaces ||
		!slices.Equal(info.DatasetIDs, want.DatasetIDs) || len(info.ModelIDs) != 0 || info.GitHub != want.GitHub || info.Stars != want.Stars {
		t.Errorf("got %+v\nwant %+v", info, want)
	}
}

func TestParseHFPaperCounts(t *testing.T) {
	for _, c := range []struct {
		name, body       string
		models, datasets int
		spaces           int
		modelIDs         []string
		err              bool
	}{
		{"totals beyond the list", `{"id":"2501.00001","linkedModels":[{"id":"a/b"},{"id":"c/d"},{"id":"e/f"},{"id":"g/h"}],"numTotalModels":120}`, 120, 0, 0, []string{"a/b", "c/d", "e/f"}, false},
		{"a list without its total", `{"id":"2501.00001","linkedSpaces":[{"id":"x/y"},{"id":"x/z"}]}`, 0, 0, 2, nil, false},
		{"a total under the list counts the list", `{"id":"2501.00001","linkedModels":[{"id":"a/b"}],"numTotalModels":0}`, 1, 0, 0, []string{"a/b"}, false},
		{"numbers as strings", `{"id":"2501.00001","numTotalDatasets":"7"}`, 0, 7, 0, nil, false},
		{"a name unsafe in a link is dropped, still counted", `{"id":"2501.00001","linkedModels":[{"id":"a/b\"><script>"},{"id":"../x"},{"id":"ok/model"}]}`, 3, 0, 0, []string{"ok/model"}, false},
		{"an old-style ID", `{"id":"hep-th/9901001"}`, 0, 0, 0, nil, false},
		{"no ID: an error document", `{"error":"Paper not found"}`, 0, 0, 0, nil, true},
		{"not JSON", `<html>rate limited</html>`, 0, 0, 0, nil, true},
	} {
		t.Run(c.name, func(t *testing.T) {
			info, err := ParseHFPaper(strings.NewReader(c.body))
			if (err != nil) != c.err {
				t.Fatalf("err = %v", err)
			}
			if err != nil {
				return
			}
			if info.Models != c.models || info.Datasets != c.datasets || info.Spaces != c.spaces || !slices.Equal(info.ModelIDs, c.modelIDs) {
				t.Errorf("got %+v", info)
			}
		})
	}
}

func TestPaperInfoClient(t *testing.T) {
	var paths []string
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		paths = append(paths, r.URL.Path)
		if r.URL.Path == "/api/papers/2501.00002" {
			_, _ = w.Write([]byte(`{"id":"2501.00003"}`)) // about another paper
			return
		}
		_, _ = w.Write([]byte(`{"id":"2501.00001","numTotalModels":2}`))
	}))
	defer srv.Close()
	c := &HFClient{Base: srv.URL, PaperAPI: &Fetcher{Client: srv.Client()}}
	if info, err := c.PaperInfo(context.Background(), "2501.00001v2"); err != nil || info.Models != 2 {
		t.Errorf("PaperInfo: %+v, %v", info, err)
	}
	if _, err := c.PaperInfo(context.Background(), "2501.00002"); err == nil {
		t.Error("an answer about another paper was taken")
	}
	if _, err := c.PaperInfo(context.Background(), "../admin"); err == nil {
		t.Error("a non-ID made a request")
	}
	if !slices.Equal(paths, []string{"/api/papers/2501.00001", "/api/papers/2501.00002"}) {
		t.Errorf("requests: %q", paths)
	}
}

func FuzzParseHFPaper(f *testing.F) {
	b, err := os.ReadFile(filepath.Join("..", "testdata", hfPaperFile))
	if err != nil {
		f.Fatal(err)
	}
	f.Add(b)
	f.Add([]byte(`{"id":"2501.00001","linkedModels":[{"id":"a/b"}],"numTotalModels":"3"}`))
	f.Fuzz(func(t *testing.T, b []byte) {
		info, err := ParseHFPaper(bytes.NewReader(b))
		if err != nil {
			return
		}
		if info.ID == "" || info.Models < 0 || info.Datasets < 0 || info.Spaces < 0 || info.Stars < 0 {
			t.Fatalf("bad info %+v", info)
		}
		for _, ids := range [][]string{info.ModelIDs, info.DatasetIDs, info.SpaceIDs} {
			if len(ids) > MaxNamedArtifacts {
				t.Fatalf("%d names kept", len(ids))
			}
			for _, id := range ids {
				if !validRepoID(id) {
					t.Fatalf("unsafe name %q", id)
				}
			}
		}
	})
}
