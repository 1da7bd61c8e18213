package server

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"slices"
	"sort"
	"strings"
	"sync"
	"time"
	"unicode"

	"golang.org/x/time/rate"

	"paperfeed/feed"
	"paperfeed/filter"
	"paperfeed/internal/personal"
	"paperfeed/internal/state"
)

// Personal feeds (package personal has the model and its rules):
//
//   - POST /f creates one from the builder page's form (name, filter,
//     liked and unliked seeds, a pasted or uploaded library, or an
//     export to import) and answers with its page (201, Location).
//   - GET /f/TOKEN is its page: feed links, seeds, votes (each with an
//     undo button), the edit form, export and delete.
//   - GET /f/TOKEN.rss|.atom|.json|.bib|.ris is the feed; each item links
//     "More like this" / "Less like this".
//   - GET /f/TOKEN/vote?id=&dir=&sig= shows a confirmation page; its POST
//     records the vote (303 to the page). A GET never records.
//   - POST /f/TOKEN/edit and /f/TOKEN/delete change it; GET
//     /f/TOKEN/export downloads it as JSON.
//
// Every POST is refused from another site (Sec-Fetch-Site cross-site, or
// an Origin that is not this server), so a page elsewhere cannot act for
// a reader; a vote also needs its link's signature. Pages and feeds are
// private and never cached by shared caches. Strangers are bounded: at
// most maxPersonalFeeds feeds in all, creations per client limited.

const (
	maxPersonalFeeds = 10000
	maxFormBytes     = personal.MaxLibraryBytes + 64<<10
)

// personalSide is the server's part of personal feeds.
type personalSide struct {
	store state.PersonalStore

	mu      sync.Mutex
	signer  *personal.Signer
	creates map[string]*rate.Limiter // per client: 10 an hour, bursts of 5
}

func newPersonalSide(store state.PersonalStore) *personalSide {
	return &personalSide{store: store, creates: map[string]*rate.Limiter{}}
}

// sign is the shared signer, its secret read (or made) on first use.
func (ps *personalSide) sign() (personal.Signer, error) {
	ps.mu.Lock()
	defer ps.mu.Unlock()
	if ps.signer != nil {
		return *ps.signer, nil
	}
	key, err := ps.store.PersonalSecret()
	if err != nil {
		return personal.Signer{}, err
	}
	s := personal.NewSigner(key)
	ps.signer = &s
	return s, nil
}

// allowCreate spends one of a client's creations.
func (ps *personalSide) allowCreate(client string) bool {
	ps.mu.Lock()
	defer ps.mu.Unlock()
	if len(ps.creates) > 10000 {
		clear(ps.creates) // bounded memory; a few clients get a fresh budget
	}
	l := ps.creates[client]
	if l == nil {
		l = rate.NewLimiter(rate.Every(6*time.Minute), 5)
		ps.creates[client] = l
	}
	return l.Allow()
}

// load reads a feed by token.
func (ps *personalSide) load(token string) (*personal.Feed, error) {
	if !personal.ValidToken(token) {
		return nil, state.ErrNoPersonal
	}
	rec, err := ps.store.PersonalGet(token)
	if err != nil {
		return nil, err
	}
	return personal.Decode(token, rec.Def, rec.Votes)
}

// revision names a feed's definition and votes, for cache keys and
// validators: a vote makes a new one.
func revision(f *personal.Feed) string {
	h := sha256.New()
	h.Write(personal.EncodeDef(f.Def))
	ids := make([]string, 0, len(f.Votes))
	for id := range f.Votes {
		ids = append(ids, id)
	}
	sort.Strings(ids)
	for _, id := range ids {
		fmt.Fprintf(h, "\x00%s=%s", id, f.Votes[id].Dir)
	}
	return hex.EncodeToString(h.Sum(nil)[:8])
}

// sameSite refuses a POST made by a page of another site.
func (s *Server) sameSite(r *http.Request) error {
	if r.Header.Get("Sec-Fetch-Site") == "cross-site" {
		return errors.New("refused: this form was sent from another site")
	}
	if o := r.Header.Get("Origin"); o != "" && o != "null" {
		u, err := url.Parse(o)
		base, _ := url.Parse(s.baseURL(r))
		if err != nil || base == nil || (!strings.EqualFold(u.Host, base.Host) && !strings.EqualFold(u.Host, r.Host)) {
			return fmt.Errorf("refused: this form was sent from %s, not from this server", o)
		}
	}
	return nil
}

// personalFile serves GET /f/{file}: a feed's page (TOKEN) or the feed
// itself (TOKEN.rss, ...).
func (s *Server) personalFile(w http.ResponseWriter, r *http.Request) {
	token, ext, hasExt := strings.Cut(r.PathValue("file"), ".")
	f, err := s.personal.load(token)
	if err != nil {
		s.personalMissing(w, err)
		return
	}
	if !hasExt {
		s.personalPage(w, r, f, http.StatusOK, nil)
		return
	}
	format, ok := feed.ParseFormat(ext)
	if !ok {
		http.Error(w, fmt.Sprintf("404 not found: a personal feed is /f/%s.rss, .atom, .json, .bib or .ris", token), http.StatusNotFound)
		return
	}
	s.serveFeed(w, r, feedRequest{format: format, personal: f})
}

// personalMissing answers a token that names no feed (or a store that
// cannot be read).
func (s *Server) personalMissing(w http.ResponseWriter, err error) {
	w.Header().Set("Cache-Control", "no-store")
	if errors.Is(err, state.ErrNoPersonal) {
		http.Error(w, "404 no personal feed here: the link is wrong, or the feed was deleted. Make one from the builder page (/).", http.StatusNotFound)
		return
	}
	s.log.Warn("personal feed unreadable", "error", err)
	w.Header().Set("Retry-After", "10")
	http.Error(w, "503 the personal feeds' store cannot be read right now; try again shortly", http.StatusServiceUnavailable)
}

// personalQuery makes a personal feed's query: its filter, with its
// seeds and votes as the two sides of like=.
func (s *Server) personalQuery(f *personal.Feed) (filter.Query, error) {
	values, err := url.ParseQuery(f.Filter)
	if err != nil {
		return filter.Query{}, &filter.Error{Param: "filter", Value: f.Filter, Reason: "is not a query string"}
	}
	opts := s.engine.Options()
	opts.SeedsLater = true
	q, err := filter.Parse(values, opts)
	if err != nil {
		return q, err
	}
	q.SetSeeds(f.Positives(), f.Negatives())
	return q, nil
}

// voteLinks decorates a personal feed's items with their signed links.
func (s *Server) voteLinks(base string, f *personal.Feed) (func([]feed.Item), error) {
	sg, err := s.personal.sign()
	if err != nil {
		return nil, err
	}
	return func(items []feed.Item) {
		for i := range items {
			p := items[i].Paper
			if p == nil {
				continue
			}
			items[i].Votes = &feed.VoteLinks{More: voteURL(base, sg, f.Token, p.ID, personal.More), Less: voteURL(base, sg, f.Token, p.ID, personal.Less)}
		}
	}, nil
}

func voteURL(base string, sg personal.Signer, token, id, dir string) string {
	return base + "/f/" + token + "/vote?" + url.Values{"id": {id}, "dir": {dir}, "sig": {sg.Sign(token, id, dir)}}.Encode()
}

// voteForm reads and checks a vote's id, dir and signature.
func (s *Server) voteForm(r *http.Request, f *personal.Feed) (id, dir string, err error) {
	id, dir, sig := r.Form.Get("id"), r.Form.Get("dir"), r.Form.Get("sig")
	if dir != personal.More && dir != personal.Less && dir != "undo" {
		return "", "", fmt.Errorf("dir=%q: must be more, less or undo", dir)
	}
	if _, _, ok := feed.ParseArxivID(id); !ok {
		return "", "", fmt.Errorf("id=%q: not an arXiv ID", id)
	}
	sg, err := s.personal.sign()
	if err != nil {
		return "", "", err
	}
	if !sg.Valid(f.Token, id, dir, sig) {
		return "", "", errors.New("this vote link is not one this feed issued (changed, or copied from another feed)")
	}
	return id, dir, nil
}

// personalVote serves /f/{token}/vote: GET confirms, POST records.
func (s *Server) personalVote(w http.ResponseWriter, r *http.Request) {
	f, err := s.personal.load(r.PathValue("token"))
	if err != nil {
		s.personalMissing(w, err)
		return
	}
	switch r.Method {
	case http.MethodGet, http.MethodHead, http.MethodPost:
	default:
		w.Header().Set("Allow", "GET, HEAD, POST")
		http.Error(w, "405 a vote link is opened (GET) and confirmed (POST)", http.StatusMethodNotAllowed)
		return
	}
	if r.Method == http.MethodPost {
		if err := s.sameSite(r); err != nil {
			http.Error(w, "403 "+err.Error(), http.StatusForbidden)
			return
		}
		r.Body = http.MaxBytesReader(w, r.Body, 4096)
	}
	if err := r.ParseForm(); err != nil {
		http.Error(w, "400 unreadable form: "+err.Error(), http.StatusBadRequest)
		return
	}
	id, dir, err := s.voteForm(r, f)
	if err != nil {
		w.Header().Set("Cache-Control", "no-store")
		http.Error(w, "400 "+err.Error(), http.StatusBadRequest)
		return
	}
	id, _, _ = feed.ParseArxivID(id)
	if r.Method != http.MethodPost {
		s.voteConfirmPage(w, r, f, id, dir)
		return
	}
	if err := s.recordVote(f, id, dir); err != nil {
		s.personalMissing(w, err)
		return
	}
	http.Redirect(w, r, basePath(s.baseURL(r))+"/f/"+f.Token+"?voted="+url.QueryEscape(dir)+"#votes", http.StatusSeeOther)
}

// recordVote stores a vote (undo removes it); a feed at MaxVotes lets
// its oldest vote go.
func (s *Server) recordVote(f *personal.Feed, id, dir string) error {
	if dir == "undo" {
		return s.personal.store.PersonalVote(f.Token, id, "")
	}
	if _, had := f.Votes[id]; !had && len(f.Votes) >= personal.MaxVotes {
		if err := s.personal.store.PersonalVote(f.Token, f.Oldest(), ""); err != nil {
			return err
		}
	}
	return s.personal.store.PersonalVote(f.Token, id, personal.EncodeVote(personal.Vote{Dir: dir, At: s.engine.Now().UTC()}))
}

// personalCreate serves POST /f.
func (s *Server) personalCreate(w http.ResponseWriter, r *http.Request) {
	if err := s.sameSite(r); err != nil {
		http.Error(w, "403 "+err.Error(), http.StatusForbidden)
		return
	}
	form, err := readPersonalForm(w, r)
	if err != nil {
		s.personalFormError(w, r, nil, err)
		return
	}
	if n, err := s.personal.store.PersonalCount(); err != nil {
		s.personalMissing(w, err)
		return
	} else if n >= maxPersonalFeeds {
		w.Header().Set("Retry-After", "86400")
		http.Error(w, fmt.Sprintf("503 this server holds %d personal feeds, its limit; delete unused ones or ask its operator", n), http.StatusServiceUnavailable)
		return
	}
	f := &personal.Feed{Token: personal.NewToken(), Votes: map[string]personal.Vote{}}
	now := s.engine.Now().UTC()
	var notes []string
	if form.imported != nil {
		f.Def, f.Votes = form.imported.Def, form.imported.Votes
		if f.Votes == nil {
			f.Votes = map[string]personal.Vote{}
		}
		notes = append(notes, "Imported from an export.")
	} else {
		f.Def = form.def
		f.Created = now
		notes = form.notes
	}
	f.Changed = now
	if err := s.checkDef(r.Context(), r, f); err != nil {
		s.personalFormError(w, r, nil, err)
		return
	}
	if !s.personal.allowCreate(s.clientAddr(r)) {
		w.Header().Set("Retry-After", "360")
		http.Error(w, "429 too many personal feeds made from this address; try again in a few minutes", http.StatusTooManyRequests)
		return
	}
	if err := s.personal.store.PersonalPut(f.Token, personal.EncodeDef(f.Def)); err != nil {
		s.personalMissing(w, err)
		return
	}
	for id, v := range f.Votes {
		if err := s.personal.store.PersonalVote(f.Token, id, personal.EncodeVote(v)); err != nil {
			s.personalMissing(w, err)
			return
		}
	}
	w.Header().Set("Location", basePath(s.baseURL(r))+"/f/"+f.Token)
	s.personalPage(w, r, f, http.StatusCreated, append([]string{"Your personal feed is made. Its address is its only key: bookmark this page, and subscribe to a feed link below."}, notes...))
}

// personalEdit serves POST /f/{token}/edit.
func (s *Server) personalEdit(w http.ResponseWriter, r *http.Request) {
	if err := s.sameSite(r); err != nil {
		http.Error(w, "403 "+err.Error(), http.StatusForbidden)
		return
	}
	f, err := s.personal.load(r.PathValue("token"))
	if err != nil {
		s.personalMissing(w, err)
		return
	}
	form, err := readPersonalForm(w, r)
	if err == nil && form.imported != nil {
		err = &filter.Error{Param: "import_file", Value: "(upload)", Reason: "an export is imported as a new feed from the builder page, not into an existing one"}
	}
	if err != nil {
		s.personalFormError(w, r, f, err)
		return
	}
	edited := *f
	edited.Def = form.def
	edited.Created, edited.Changed = f.Created, s.engine.Now().UTC()
	if err := s.checkDef(r.Context(), r, &edited); err != nil {
		s.personalFormError(w, r, f, err)
		return
	}
	if err := s.personal.store.PersonalPut(f.Token, personal.EncodeDef(edited.Def)); err != nil {
		s.personalMissing(w, err)
		return
	}
	http.Redirect(w, r, basePath(s.baseURL(r))+"/f/"+f.Token+"?saved=1", http.StatusSeeOther)
}

// personalDelete serves POST /f/{token}/delete (confirm=yes).
func (s *Server) personalDelete(w http.ResponseWriter, r *http.Request) {
	if err := s.sameSite(r); err != nil {
		http.Error(w, "403 "+err.Error(), http.StatusForbidden)
		return
	}
	token := r.PathValue("token")
	r.Body = http.MaxBytesReader(w, r.Body, 4096)
	if err := r.ParseForm(); err != nil || r.PostForm.Get("confirm") != "yes" {
		http.Error(w, "400 to delete, tick the confirmation box (confirm=yes)", http.StatusBadRequest)
		return
	}
	if !personal.ValidToken(token) {
		s.personalMissing(w, state.ErrNoPersonal)
		return
	}
	if err := s.personal.store.PersonalDelete(token); err != nil {
		s.personalMissing(w, err)
		return
	}
	w.Header().Set("Cache-Control", "no-store")
	w.Header().Set("Content-Type", "text/plain; charset=utf-8")
	fmt.Fprintln(w, "Deleted: the feed, its seeds and its votes are gone. Its address now answers 404.")
}

// personalExport serves GET /f/{token}/export.
func (s *Server) personalExport(w http.ResponseWriter, r *http.Request) {
	f, err := s.personal.load(r.PathValue("token"))
	if err != nil {
		s.personalMissing(w, err)
		return
	}
	b, _ := json.MarshalIndent(f.Export(), "", "  ")
	h := w.Header()
	h.Set("Content-Type", "application/json; charset=utf-8")
	h.Set("Content-Disposition", `attachment; filename="paperfeed-personal-feed.json"`)
	h.Set("Cache-Control", "private, no-store")
	_, _ = w.Write(append(b, '\n'))
}

// checkDef validates a definition: its filter parses, its seeds are
// within bounds and known (held or looked up on arXiv like like='s).
func (s *Server) checkDef(ctx context.Context, r *http.Request, f *personal.Feed) error {
	if len(f.Name) > 4*personal.MaxName {
		return &filter.Error{Param: "name", Value: f.Name[:40] + "…", Reason: fmt.Sprintf("at most %d characters", personal.MaxName)}
	}
	if len(f.Filter) > personal.MaxFilter {
		return &filter.Error{Param: "filter", Value: f.Filter[:40] + "…", Reason: fmt.Sprintf("at most %d bytes", personal.MaxFilter)}
	}
	for _, side := range [][2]any{{"like", f.Like}, {"unlike", f.Unlike}} {
		if ids := side[1].([]string); len(ids) > personal.MaxSeeds {
			return &filter.Error{Param: side[0].(string), Value: fmt.Sprintf("%d papers", len(ids)), Reason: fmt.Sprintf("at most %d; vote on items to add more", personal.MaxSeeds)}
		}
	}
	for _, id := range f.Unlike {
		if slices.Contains(f.Like, id) {
			return &filter.Error{Param: "unlike", Value: id, Reason: "is liked too; a paper is liked or unliked, not both"}
		}
	}
	q, err := s.personalQuery(f)
	if err != nil {
		return err
	}
	if len(q.Like)+len(q.Hide) == 0 {
		return nil
	}
	ctx, cancel := context.WithTimeout(ctx, s.cfg.RequestTimeout)
	defer cancel()
	if ok, st := s.engine.WaitLoaded(ctx, q.Source, s.cfg.StartupWait); !ok {
		msg, _ := notLoaded(q.Source, st, s.shared(), s.engine.Now())
		return errors.New(msg)
	}
	_, err = s.engine.Plan(ctx, q, s.clientAddr(r)) // looks the seeds up: an unknown one is a 400
	return err
}

// personalForm is a create or edit form, read.
type personalForm struct {
	def      personal.Def
	imported *personal.Export
	notes    []string
}

// readPersonalForm reads the form: name, filter, like, unlike, and a
// library pasted (library) or uploaded (library_file), or an export
// uploaded (import_file).
func readPersonalForm(w http.ResponseWriter, r *http.Request) (personalForm, error) {
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
	file := func(name string) ([]byte, bool, error) {
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
	if b, ok, err := file("import_file"); err != nil {
		return pf, err
	} else if ok {
		e, err := personal.ReadExport(b)
		if err != nil {
			return pf, &filter.Error{Param: "import_file", Value: "(upload)", Reason: err.Error()}
		}
		pf.imported = &e
		return pf, nil
	}
	pf.def.Name = strings.TrimSpace(r.PostForm.Get("name"))
	if pf.def.Name == "" {
		pf.def.Name = "My papers"
	}
	if len([]rune(pf.def.Name)) > personal.MaxName {
		return pf, &filter.Error{Param: "name", Value: pf.def.Name, Reason: fmt.Sprintf("at most %d characters", personal.MaxName)}
	}
	values, err := url.ParseQuery(strings.TrimPrefix(strings.TrimSpace(r.PostForm.Get("filter")), "?"))
	if err != nil {
		return pf, &filter.Error{Param: "filter", Value: r.PostForm.Get("filter"), Reason: "is not a query string (write it as in a feed URL: q=agents&min_upvotes=10)"}
	}
	like, unlike := values["like"], values["unlike"]
	delete(values, "like")
	delete(values, "unlike")
	delete(values, "format")
	pf.def.Filter = values.Encode()
	for _, side := range []struct {
		param string
		extra []string
		dst   *[]string
	}{{"like", like, &pf.def.Like}, {"unlike", unlike, &pf.def.Unlike}} {
		ids, err := idList(side.param, strings.Join(append(side.extra, r.PostForm.Get(side.param)), ","))
		if err != nil {
			return pf, err
		}
		*side.dst = ids
	}
	lib := []byte(r.PostForm.Get("library"))
	if b, ok, err := file("library_file"); err != nil {
		return pf, err
	} else if ok {
		lib = b
	}
	if len(bytes.TrimSpace(lib)) > 0 {
		l, err := personal.ReadLibrary(bytes.NewReader(lib))
		if err != nil {
			return pf, &filter.Error{Param: "library", Value: "(library)", Reason: err.Error()}
		}
		found := l.IDs()
		if len(found) == 0 {
			return pf, &filter.Error{Param: "library", Value: "(library)", Reason: fmt.Sprintf("no arXiv ID in its %d entries (%s); arXiv IDs are read from eprint, url, doi (10.48550/arXiv.*) and note fields", len(l.Entries), strings.Join(first(l.Without(), 5), "; "))}
		}
		for _, id := range found {
			if !slices.Contains(pf.def.Like, id) && !slices.Contains(pf.def.Unlike, id) {
				pf.def.Like = append(pf.def.Like, id)
			}
		}
		slices.Sort(pf.def.Like)
		pf.notes = append(pf.notes, fmt.Sprintf("From your library (%s, %d entries): %d arXiv papers became seeds.", l.Format, len(l.Entries), len(found)))
		if without := l.Without(); len(without) > 0 {
			pf.notes = append(pf.notes, fmt.Sprintf("%d entries had no arXiv ID and were left out: %s.", len(without), strings.Join(first(without, 20), "; ")))
		}
	}
	return pf, nil
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
