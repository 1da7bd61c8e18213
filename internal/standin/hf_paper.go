package standin

import (
	"encoding/json"
	"fmt"
	"hash/fnv"
	"net/http"
	"os"
	"path/filepath"
	"strings"
)

// HFPaperRecording is the real /api/papers/{id} answer the per-paper
// replay derives its answers from.
const HFPaperRecording = "papers_2608.09888_prettyprinted_transcribed_zhangyee.json"

// Artifacts are the linked models, datasets and Spaces the per-paper
// replay answers for a paper.
type Artifacts struct{ Models, Datasets, Spaces int }

// loadPaperTemplate reads the recording the per-paper answers are
// derived from.
func loadPaperTemplate(dir string) (map[string]any, error) {
	b, err := os.ReadFile(filepath.Join(dir, HFPaperRecording))
	if err != nil {
		return nil, err
	}
	var m map[string]any
	if err := json.Unmarshal(b, &m); err != nil {
		return nil, fmt.Errorf("%s: %w", HFPaperRecording, err)
	}
	return m, nil
}

// DerivedArtifacts are the counts the replay answers for a paper it has
// no setting for: about a third of papers have a model, fewer a dataset
// or a Space, chosen by a hash of the ID so every run agrees.
func DerivedArtifacts(id string) Artifacts {
	h := fnv.New32a()
	_, _ = h.Write([]byte(id))
	n := h.Sum32()
	a := Artifacts{}
	if n%3 == 0 {
		a.Models = 1 + int(n>>4)%5
	}
	if n%5 == 0 {
		a.Datasets = 1 + int(n>>8)%2
	}
	if n%7 == 0 {
		a.Spaces = 1
	}
	return a
}

// servePaper answers /api/papers/{id} for a paper of the replayed days:
// the real recording for its own ID, otherwise the recording's shape with
// the paper's ID, title and summary and the counts of SetArtifacts or
// DerivedArtifacts, with linked lists of at most five entries as HF cuts
// them. Any other ID is a 404, as HF answers a paper it has no page for.
func (h *HF) servePaper(w http.ResponseWriter, id string) {
	h.mu.Lock()
	tmpl := h.paperTmpl
	var item map[string]any
	for _, d := range h.all {
		for _, it := range d.items {
			if p, ok := it["paper"].(map[string]any); ok && p["id"] == id {
				item = p
			}
		}
	}
	a, set := h.artifacts[id]
	h.mu.Unlock()
	if tmpl == nil || (item == nil && id != tmpl["id"]) {
		w.Header().Set("Content-Type", "application/json; charset=utf-8")
		w.WriteHeader(http.StatusNotFound)
		_, _ = w.Write([]byte(`{"error":"Paper not found"}`))
		return
	}
	out := make(map[string]any, len(tmpl))
	for k, v := range tmpl {
		out[k] = v
	}
	if id != tmpl["id"] || set {
		if !set {
			a = DerivedArtifacts(id)
		}
		out["id"] = id
		if item != nil {
			out["title"], out["summary"] = item["title"], item["summary"]
		}
		out["linkedModels"], out["numTotalModels"] = linked(id, "model", a.Models), a.Models
		out["linkedDatasets"], out["numTotalDatasets"] = linked(id, "dataset", a.Datasets), a.Datasets
		out["linkedSpaces"], out["numTotalSpaces"] = linked(id, "space", a.Spaces), a.Spaces
	}
	b, err := json.Marshal(out)
	if err != nil {
		http.Error(w, err.Error(), http.StatusInternalServerError)
		return
	}
	w.Header().Set("Content-Type", "application/json; charset=utf-8")
	_, _ = w.Write(b)
}

// linked is a derived linked list: n entries, at most five listed.
func linked(id, kind string, n int) []map[string]any {
	out := []map[string]any{}
	for i := range min(n, 5) {
		out = append(out, map[string]any{"id": fmt.Sprintf("replay-%s/%s-%s-%d", kind, kind, strings.ReplaceAll(id, ".", "-"), i+1)})
	}
	return out
}

// SetArtifacts makes the per-paper API answer these counts for a paper.
func (h *HF) SetArtifacts(id string, a Artifacts) {
	h.mu.Lock()
	defer h.mu.Unlock()
	if h.artifacts == nil {
		h.artifacts = map[string]Artifacts{}
	}
	h.artifacts[id] = a
}

// PaperTotal is the number of /api/papers/{id} requests received.
func (h *HF) PaperTotal() int {
	n := 0
	for p, v := range h.Hits() {
		if strings.HasPrefix(p, "/api/papers/") {
			n += v
		}
	}
	return n
}
