package personalweb

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"slices"
	"strings"
	"time"
	"unicode"

	"paperfeed/filter"
	"paperfeed/internal/personal"
)

// checkDef validates a feed before it is written: its bounds
// (personal's Check), its filter parses, its seeds are known (held or
// looked up on arXiv like like='s).
func (s *Routes) checkDef(ctx context.Context, r *http.Request, f *personal.Feed) error {
	if err := f.Check(); err != nil {
		return err
	}
	q, err := s.Query(f)
	if err != nil {
		return err
	}
	if len(q.Like)+len(q.Hide) == 0 {
		return nil
	}
	ctx, cancel := context.WithTimeout(ctx, s.RequestTimeout)
	defer cancel()
	if ok, st := s.Engine.WaitLoaded(ctx, q.Source, s.StartupWait); !ok {
		msg := s.NotLoaded(q.Source, st)
		return errors.New(msg)
	}
	_, err = s.Engine.Plan(ctx, q, s.ClientAddr(r)) // looks the seeds up: an unknown one is a 400
	return err
}

// personalForm is a create or edit form, read.
type personalForm struct {
	def      personal.Def
	imported *personal.Export
	notes    []string
}

// draft is a definition as written, in the form or in an export:
// cleanDef reads both the one way.
type draft struct {
	name, filter string
	like, unlike []string
}

// cleanDef reads a draft as the feed keeps it: the name trimmed (a
// default when empty), the filter a query string without like=, unlike=
// and format= (its like= and unlike= join the seeds), the seeds read by
// the form's ID reader.
func cleanDef(d draft) (personal.Def, error) {
	var def personal.Def
	def.Name = strings.TrimSpace(d.name)
	if def.Name == "" {
		def.Name = "My papers"
	}
	if n := len([]rune(def.Name)); n > personal.MaxName {
		return def, &filter.Error{Param: "name", Value: string([]rune(def.Name)[:40]) + "…", Reason: fmt.Sprintf("at most %d characters (it has %d)", personal.MaxName, n)}
	}
	raw := strings.TrimPrefix(strings.TrimSpace(d.filter), "?")
	if len(raw) > 2*personal.MaxFilter {
		return def, &filter.Error{Param: "filter", Value: raw[:40] + "…", Reason: fmt.Sprintf("at most %d bytes", personal.MaxFilter)}
	}
	values, err := url.ParseQuery(raw)
	if err != nil {
		return def, &filter.Error{Param: "filter", Value: raw, Reason: "is not a query string (write it as in a feed URL: q=agents&min_upvotes=10)"}
	}
	like, unlike := append(slices.Clone(d.like), values["like"]...), append(slices.Clone(d.unlike), values["unlike"]...)
	delete(values, "like")
	delete(values, "unlike")
	delete(values, "format")
	def.Filter = values.Encode()
	if def.Like, err = idList("like", strings.Join(like, ",")); err != nil {
		return def, err
	}
	if def.Unlike, err = idList("unlike", strings.Join(unlike, ",")); err != nil {
		return def, err
	}
	return def, nil
}

// readPersonalForm reads the form: name, filter, like, unlike, and a
// library pasted (library) or uploaded (library_file), or an export
// uploaded (import_file), read as the form is.
func readPersonalForm(w http.ResponseWriter, r *http.Request, now time.Time) (personalForm, error) {
	var pf personalForm
	r.Body = http.MaxBytesReader(w, r.Body, maxFormBytes)
	var err error
	if strings.HasPrefix(r.Header.Get("Content-Type"), "multipart/form-data") {
		err = r.ParseMultipartForm(maxFormBytes)
	} else {
		err = r.ParseForm()
	}
	if err != nil {
		var tooBig *http.MaxBytesError
		if errors.As(err, &tooBig) {
			return pf, fmt.Errorf("the form is over %d MB; upload a smaller library", maxFormBytes>>20)
		}
		return pf, fmt.Errorf("unreadable form: %w", err)
	}
	if b, ok, err := formFile(r, "import_file"); err != nil {
		return pf, err
	} else if ok {
		return readImport(b, now)
	}
	if pf.def, err = cleanDef(draft{name: r.PostForm.Get("name"), filter: r.PostForm.Get("filter"),
		like: []string{r.PostForm.Get("like")}, unlike: []string{r.PostForm.Get("unlike")}}); err != nil {
		return pf, err
	}
	lib := []byte(r.PostForm.Get("library"))
	if b, ok, err := formFile(r, "library_file"); err != nil {
		return pf, err
	} else if ok {
		lib = b
	}
	if len(bytes.TrimSpace(lib)) > 0 {
		if pf.notes, err = addLibrary(&pf.def, lib); err != nil {
			return pf, err
		}
	}
	return pf, nil
}

// formFile is an uploaded file of the form, if there is one.
func formFile(r *http.Request, name string) ([]byte, bool, error) {
	if r.MultipartForm == nil || len(r.MultipartForm.File[name]) == 0 {
		return nil, false, nil
	}
	fh, err := r.MultipartForm.File[name][0].Open()
	if err != nil {
		return nil, true, err
	}
	defer fh.Close()
	b, err := io.ReadAll(io.LimitReader(fh, personal.MaxLibraryBytes+1))
	return b, len(b) > 0, err
}

// readImport reads an uploaded export: its layout and votes (personal's
// ReadExport), then its definition as the form's.
func readImport(b []byte, now time.Time) (personalForm, error) {
	var pf personalForm
	e, err := personal.ReadExport(b, now)
	if err != nil {
		var pe *personal.Error
		if errors.As(err, &pe) {
			return pf, &filter.Error{Param: "import_file", Value: "(upload)", Reason: "its " + pe.Error()}
		}
		return pf, &filter.Error{Param: "import_file", Value: "(upload)", Reason: err.Error()}
	}
	def, err := cleanDef(draft{name: e.Def.Name, filter: e.Def.Filter, like: e.Def.Like, unlike: e.Def.Unlike})
	if err != nil {
		return pf, &filter.Error{Param: "import_file", Value: "(upload)", Reason: "its " + err.Error()}
	}
	def.Created = e.Def.Created.UTC()
	if def.Created.IsZero() || def.Created.After(now) {
		def.Created = now
	}
	e.Def = def
	pf.imported = &e
	return pf, nil
}

// addLibrary adds the arXiv papers of a pasted or uploaded library to
// the liked seeds, and says what it did.
func addLibrary(def *personal.Def, lib []byte) ([]string, error) {
	l, err := personal.ReadLibrary(bytes.NewReader(lib))
	if err != nil {
		return nil, &filter.Error{Param: "library", Value: "(library)", Reason: err.Error()}
	}
	found := l.IDs()
	if len(found) == 0 {
		return nil, &filter.Error{Param: "library", Value: "(library)", Reason: fmt.Sprintf("no arXiv ID in its %d entries (%s); arXiv IDs are read from eprint, url, doi (10.48550/arXiv.*) and note fields", len(l.Entries), strings.Join(first(l.Without(), 5), "; "))}
	}
	for _, id := range found {
		if !slices.Contains(def.Like, id) && !slices.Contains(def.Unlike, id) {
			def.Like = append(def.Like, id)
		}
	}
	slices.Sort(def.Like)
	became := "became seeds"
	if len(found) == 1 {
		became = "became a seed"
	}
	notes := []string{fmt.Sprintf("From your library (%s, %s): %s %s.", l.Format, count(len(l.Entries), "entry", "entries"),
		count(len(found), "arXiv paper", "arXiv papers"), became)}
	if without := l.Without(); len(without) > 0 {
		notes = append(notes, fmt.Sprintf("%s without an arXiv ID left out: %s.", count(len(without), "entry", "entries"),
			strings.Join(first(without, 20), "; ")))
	}
	return notes, nil
}

// count is n and the noun for it: "1 entry", "3 entries".
func count(n int, one, many string) string {
	if n == 1 {
		return "1 " + one
	}
	return fmt.Sprintf("%d %s", n, many)
}

func first(s []string, n int) []string {
	if len(s) > n {
		return append(slices.Clip(s[:n]), fmt.Sprintf("and %d more", len(s)-n))
	}
	return s
}

// idList reads arXiv IDs separated by commas, spaces or lines, as
// like= reads them; none is an empty list.
func idList(param, text string) ([]string, error) {
	ids := strings.FieldsFunc(text, func(r rune) bool { return r == ',' || unicode.IsSpace(r) })
	if len(ids) == 0 {
		return nil, nil
	}
	return filter.ParseIDList(param, strings.Join(ids, ","))
}
