package personal

import (
	"bufio"
	"errors"
	"fmt"
	"io"
	"regexp"
	"slices"
	"strings"

	"paperfeed/feed"
)

// Reading a library: a reader pastes or uploads what their reference
// manager exports, and the arXiv papers in it become seeds.
//
//   - The format is recognised from the text: BibTeX (entries opened by
//     @type{), RIS (tagged lines "TY  - ", entries closed by "ER  -"), or
//     else a plain list, one paper per line.
//   - In an entry, arXiv IDs are found where reference managers put
//     them: eprint = {2501.01234} (arXiv's own export, DBLP), arXiv
//     URLs (abs/ and pdf/, any field: url, note, howpublished, UR, L1),
//     arXiv DOIs (10.48550/arXiv.2501.01234), "arXiv:2501.01234" (Google
//     Scholar's journal = {arXiv preprint arXiv:...}, notes), DBLP's
//     volume = {abs/2501.01234}, Hugging Face paper links; in a plain
//     list, a bare ID too. Old-style IDs (cs/0112017) count where named
//     as arXiv's.
//   - An entry without an arXiv ID is reported by its label (citation
//     key and title), not dropped silently.

// MaxLibrary bounds a library read, in bytes and entries.
const (
	MaxLibraryBytes   = 2 << 20
	MaxLibraryEntries = 5000
)

// Entry is one entry of a library and the arXiv IDs found in it.
type Entry struct {
	Label string
	IDs   []string
}

// Library is a read library.
type Library struct {
	Format  string // "bibtex", "ris" or "list"
	Entries []Entry
}

// IDs are the distinct arXiv IDs found, sorted.
func (l *Library) IDs() []string {
	var out []string
	for _, e := range l.Entries {
		out = append(out, e.IDs...)
	}
	slices.Sort(out)
	return slices.Compact(out)
}

// Without are the labels of the entries with no arXiv ID.
func (l *Library) Without() []string {
	var out []string
	for _, e := range l.Entries {
		if len(e.IDs) == 0 {
			out = append(out, e.Label)
		}
	}
	return out
}

var (
	// An arXiv ID in a context that names arXiv.
	namedID = regexp.MustCompile(`(?i)(?:arxiv\.org/(?:abs|pdf)/|10\.48550/arxiv\.|arxiv\s*:\s*|(?:hf\.co|huggingface\.co)/papers/|\babs/|eprint\s*=\s*[{"]\s*)` +
		`(\d{4}\.\d{4,5}(?:v\d+)?|[a-z]+(?:-[a-z]+)*(?:\.[A-Za-z]{2})?/\d{7}(?:v\d+)?)`)
	// A bare new-style ID, for plain lists.
	bareID = regexp.MustCompile(`(?:^|[^\d.])(\d{4}\.\d{4,5}(?:v\d+)?)(?:$|[^\d.])`)
	// RIS tag lines.
	risTag = regexp.MustCompile(`(?m)^([A-Z][A-Z0-9])  -(?: (.*))?$`)
	// A BibTeX entry's opening.
	bibOpen  = regexp.MustCompile(`(?m)^\s*@\s*([A-Za-z]+)\s*[{(]\s*([^,\s]*)\s*,?`)
	bibTitle = regexp.MustCompile(`(?is)\btitle\s*=\s*[{"]\s*\{?([^}"]*)`)
)

// ErrEmptyLibrary means the text held no entry at all.
var ErrEmptyLibrary = errors.New("no entries: paste BibTeX (@article{...}), RIS (TY  - ...), or arXiv IDs or links, one per line")

// ReadLibrary reads a library from r (at most MaxLibraryBytes).
func ReadLibrary(r io.Reader) (*Library, error) {
	b, err := io.ReadAll(io.LimitReader(r, MaxLibraryBytes+1))
	if err != nil {
		return nil, err
	}
	if len(b) > MaxLibraryBytes {
		return nil, fmt.Errorf("the library is over %d MB; export only the papers to follow", MaxLibraryBytes>>20)
	}
	text := strings.ReplaceAll(string(b), "\r\n", "\n")
	text = strings.TrimPrefix(text, "\ufeff")
	var lib *Library
	switch {
	case bibOpen.MatchString(text):
		lib = readBibTeX(text)
	case risTag.MatchString(text) && strings.Contains(text, "TY  -"):
		lib = readRIS(text)
	default:
		lib = readList(text)
	}
	if len(lib.Entries) == 0 {
		return nil, ErrEmptyLibrary
	}
	if len(lib.Entries) > MaxLibraryEntries {
		return nil, fmt.Errorf("%d entries; at most %d are read at once", len(lib.Entries), MaxLibraryEntries)
	}
	return lib, nil
}

// idsIn are the arXiv IDs named as such in text, version-free, in order.
func idsIn(text string, bare bool) []string {
	var out []string
	add := func(s string) {
		if id, _, ok := feed.ParseArxivID(s); ok && !slices.Contains(out, id) {
			out = append(out, id)
		}
	}
	for _, m := range namedID.FindAllStringSubmatch(text, -1) {
		add(m[1])
	}
	if bare {
		for _, m := range bareID.FindAllStringSubmatch(text, -1) {
			add(m[1])
		}
	}
	return out
}

func readBibTeX(text string) *Library {
	lib := &Library{Format: "bibtex"}
	locs := bibOpen.FindAllStringSubmatchIndex(text, -1)
	for n, loc := range locs {
		kind := strings.ToLower(text[loc[2]:loc[3]])
		if kind == "comment" || kind == "preamble" || kind == "string" {
			continue
		}
		end := len(text)
		if n+1 < len(locs) {
			end = locs[n+1][0]
		}
		body := text[loc[0]:end]
		label := text[loc[4]:loc[5]]
		if m := bibTitle.FindStringSubmatch(body); m != nil {
			label = strings.TrimSpace(label + " " + quote(m[1]))
		}
		// eprint = {2501.01234} names arXiv's when archivePrefix does or
		// the value is an arXiv ID anyway; a bare ID elsewhere does not.
		lib.Entries = append(lib.Entries, Entry{Label: label, IDs: idsIn(body, false)})
	}
	return lib
}

func readRIS(text string) *Library {
	lib := &Library{Format: "ris"}
	var cur strings.Builder
	var title string
	open := false
	flush := func() {
		if open {
			label := title
			if label == "" {
				label = "(untitled entry)"
			}
			lib.Entries = append(lib.Entries, Entry{Label: label, IDs: idsIn(cur.String(), false)})
		}
		cur.Reset()
		title, open = "", false
	}
	sc := bufio.NewScanner(strings.NewReader(text))
	sc.Buffer(make([]byte, 64<<10), MaxLibraryBytes)
	for sc.Scan() {
		line := sc.Text()
		m := risTag.FindStringSubmatch(line)
		if m == nil {
			cur.WriteString(line + "\n") // a continued value
			continue
		}
		switch tag, val := m[1], strings.TrimSpace(m[2]); tag {
		case "TY":
			flush()
			open = true
		case "ER":
			flush()
		case "TI", "T1":
			if title == "" {
				title = quote(val)
			}
			cur.WriteString(line + "\n")
		case "AN", "M1", "M3", "SN":
			// Accession numbers and misc fields hold bare arXiv IDs in
			// arXiv's own RIS.
			cur.WriteString("arXiv:" + val + "\n")
		default:
			cur.WriteString(line + "\n")
		}
	}
	flush()
	return lib
}

func readList(text string) *Library {
	lib := &Library{Format: "list"}
	for line := range strings.Lines(text) {
		line = strings.TrimSpace(line)
		if line == "" || strings.HasPrefix(line, "#") {
			continue
		}
		lib.Entries = append(lib.Entries, Entry{Label: shorten(line, 80), IDs: idsIn(line, true)})
	}
	return lib
}

func quote(s string) string {
	s = strings.Join(strings.Fields(s), " ")
	if s == "" {
		return ""
	}
	return "“" + shorten(s, 80) + "”"
}

func shorten(s string, n int) string {
	r := []rune(s)
	if len(r) <= n {
		return s
	}
	return string(r[:n-1]) + "…"
}
