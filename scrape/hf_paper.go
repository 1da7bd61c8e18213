package scrape

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"strings"

	"paperfeed/feed"
)

// HFPaperInfo is what Hugging Face's per-paper API (/api/papers/{id})
// says of a paper beyond its listing: the models, datasets and Spaces
// linked to it (counted in full, with the first few named) and its code.
type HFPaperInfo struct {
	ID                       string
	Models, Datasets, Spaces int
	// The first MaxNamedArtifacts of each, as HF orders them.
	ModelIDs, DatasetIDs, SpaceIDs []string
	GitHub                         string
	Stars                          int
}

// MaxNamedArtifacts is how many linked models, datasets and Spaces of
// each kind are kept by name.
const MaxNamedArtifacts = 3

// ErrNoPaper means the per-paper answer held no paper (a changed schema,
// or an error document served with 200).
var ErrNoPaper = errors.New("no paper in the answer")

type hfLinked struct {
	ID string `json:"id"`
}

type hfPaperAnswer struct {
	ID               string     `json:"id"`
	GithubRepo       string     `json:"githubRepo"`
	GithubStars      flexInt    `json:"githubStars"`
	LinkedModels     []hfLinked `json:"linkedModels"`
	LinkedDatasets   []hfLinked `json:"linkedDatasets"`
	LinkedSpaces     []hfLinked `json:"linkedSpaces"`
	NumTotalModels   *flexInt   `json:"numTotalModels"`
	NumTotalDatasets *flexInt   `json:"numTotalDatasets"`
	NumTotalSpaces   *flexInt   `json:"numTotalSpaces"`
}

// ParseHFPaper reads a /api/papers/{id} answer. The totals
// (numTotalModels, ...) count what the lists (linkedModels, ...) may
// cut short; a list without its total is counted itself. An answer with
// no arXiv ID is ErrNoPaper.
func ParseHFPaper(r io.Reader) (HFPaperInfo, error) {
	var a hfPaperAnswer
	if err := json.NewDecoder(r).Decode(&a); err != nil {
		return HFPaperInfo{}, fmt.Errorf("decode paper answer: %w", err)
	}
	id, _, ok := feed.ParseArxivID(a.ID)
	if !ok {
		return HFPaperInfo{}, ErrNoPaper
	}
	info := HFPaperInfo{ID: id, GitHub: cleanURL(a.GithubRepo), Stars: max(0, int(a.GithubStars))}
	info.Models, info.ModelIDs = linkedCount(a.NumTotalModels, a.LinkedModels)
	info.Datasets, info.DatasetIDs = linkedCount(a.NumTotalDatasets, a.LinkedDatasets)
	info.Spaces, info.SpaceIDs = linkedCount(a.NumTotalSpaces, a.LinkedSpaces)
	return info, nil
}

// linkedCount is a total and the first names of a linked list.
func linkedCount(total *flexInt, list []hfLinked) (int, []string) {
	n := len(list)
	if total != nil && int(*total) > n {
		n = int(*total)
	}
	var names []string
	for _, l := range list {
		if len(names) == MaxNamedArtifacts {
			break
		}
		if name := strings.TrimSpace(l.ID); validRepoID(name) {
			names = append(names, name)
		}
	}
	return n, names
}

// validRepoID accepts a Hub repository ID ("owner/name" or "name") that
// is safe to put in a link: letters, digits, '-', '_', '.' and one '/'.
func validRepoID(s string) bool {
	if s == "" || len(s) > 200 || strings.Count(s, "/") > 1 || strings.HasPrefix(s, "/") || strings.HasSuffix(s, "/") || strings.Contains(s, "..") {
		return false
	}
	for _, c := range s {
		if !(c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' || strings.ContainsRune("-_./", c)) {
			return false
		}
	}
	return true
}

// Artifacts is the info as the store keeps it.
func (i HFPaperInfo) Artifacts() feed.Artifacts {
	return feed.Artifacts{Models: i.Models, Datasets: i.Datasets, Spaces: i.Spaces,
		ModelIDs: i.ModelIDs, DatasetIDs: i.DatasetIDs, SpaceIDs: i.SpaceIDs}
}

// PaperInfo fetches /api/papers/{id} through PaperAPI (the API's rate
// bucket). An ID that is not an arXiv ID is refused without a request.
func (c *HFClient) PaperInfo(ctx context.Context, id string) (HFPaperInfo, error) {
	id, _, ok := feed.ParseArxivID(id)
	if !ok || c.PaperAPI == nil {
		return HFPaperInfo{}, fmt.Errorf("paper look-up of %q: not an arXiv ID, or no per-paper API", id)
	}
	u := strings.TrimRight(c.Base, "/") + "/api/papers/" + id
	resp, err := c.PaperAPI.Get(ctx, u, c.auth(u))
	if err != nil {
		return HFPaperInfo{}, err
	}
	info, err := ParseHFPaper(bytes.NewReader(resp.Body))
	if err != nil {
		return HFPaperInfo{}, fmt.Errorf("GET %s: %w", feed.RedactURL(u), err)
	}
	if info.ID != id {
		return HFPaperInfo{}, fmt.Errorf("GET %s: the answer is about %s", feed.RedactURL(u), info.ID)
	}
	return info, nil
}
