package personal

import (
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
)

func TestReadLibrary(t *testing.T) {
	for _, tc := range []struct {
		file, format string
		ids          []string
		without      []string
	}{
		{"library.bib", "bibtex", []string{"1706.03762", "2507.01853", "2510.01284", "2608.09888", "hep-th/9711200"},
			[]string{"goodfellow2016deep “Deep Learning”", "nature2015 “Human-level control through deep reinforcement learning”"}},
		{"library.ris", "ris", []string{"1706.03762", "2507.01853", "2510.01284"}, []string{"“Deep Learning”"}},
		{"library.txt", "list", []string{"1706.03762", "2507.01853", "2510.01284", "2608.09888"}, []string{"some paper I cannot find"}},
	} {
		f, err := os.Open(filepath.Join("testdata", tc.file))
		if err != nil {
			t.Fatal(err)
		}
		lib, err := ReadLibrary(f)
		f.Close()
		if err != nil {
			t.Fatalf("%s: %v", tc.file, err)
		}
		if lib.Format != tc.format || !slices.Equal(lib.IDs(), tc.ids) || !slices.Equal(lib.Without(), tc.without) {
			t.Errorf("%s: read as %s with %v, without %q; want %s, %v, %q", tc.file, lib.Format, lib.IDs(), lib.Without(), tc.format, tc.ids, tc.without)
		}
	}
}

func TestReadLibraryRefuses(t *testing.T) {
	for _, tc := range []struct{ text, want string }{
		{"", "no entries"},
		{"\n\n# only a comment\n", "no entries"},
		{strings.Repeat("x", MaxLibraryBytes+1), "over 2 MB"},
		{strings.Repeat("2501.00001\n", MaxLibraryEntries+1), "entries; at most"},
	} {
		_, err := ReadLibrary(strings.NewReader(tc.text))
		if err == nil || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("%.30q: %v, want %q", tc.text, err, tc.want)
		}
	}
}

// Numbers that look like IDs but are not named as arXiv's are not taken
// from BibTeX (a page range, an ISSN); a plain list takes bare IDs.
func TestReadLibraryNotEveryNumber(t *testing.T) {
	lib, err := ReadLibrary(strings.NewReader("@article{x, title={T}, pages={1234.5678}, note={2301.12345 words}}"))
	if err != nil {
		t.Fatal(err)
	}
	if ids := lib.IDs(); len(ids) != 0 {
		t.Errorf("bare numbers in BibTeX read as arXiv IDs: %v", ids)
	}
}

func FuzzReadLibrary(f *testing.F) {
	for _, name := range []string{"library.bib", "library.ris", "library.txt"} {
		b, err := os.ReadFile(filepath.Join("testdata", name))
		if err != nil {
			f.Fatal(err)
		}
		f.Add(b)
	}
	f.Add([]byte("@misc{"))
	f.Add([]byte("TY  - \nER  -"))
	f.Fuzz(func(t *testing.T, b []byte) {
		lib, err := ReadLibrary(strings.NewReader(string(b)))
		if err != nil {
			return
		}
		for _, id := range lib.IDs() {
			if strings.ContainsAny(id, " \nv") && !strings.Contains(id, "/") {
				t.Fatalf("ID %q is not version-free and clean", id)
			}
		}
		if len(lib.Entries) == 0 {
			t.Fatal("a library without entries read without error")
		}
	})
}
