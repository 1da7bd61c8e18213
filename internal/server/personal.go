package server

import (
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"math"
	"net/http"
	"net/url"
	"sort"
	"strconv"
	"strings"
	"time"

	"paperfeed/feed"
	"paperfeed/filter"
	"paperfeed/internal/engine"
	"paperfeed/internal/personal"
	"paperfeed/internal/refresh"
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
	createBurst      = 5               // feeds a client makes at once,
	createEvery      = 6 * time.Minute // and then one per createEvery
)

// personalRoutes are the personal feeds' handlers: their pages, votes,
// edits, exports and feeds. They reach the rest of the server only
// through these fields: the state (side), the engine, the settings,
// and the server's feed and page writers.
type personalRoutes struct {
	side       *personalSide
	engine     *engine.Engine
	cfg        Config
	log        *slog.Logger
	serveFeed  func(w http.ResponseWriter, r *http.Request, fr feedRequest)
	writeHTML  func(w http.ResponseWriter, tmpl string, data any, status int, referrer, cacheControl string)
	baseURL    func(r *http.Request) string
	clientAddr func(r *http.Request) string
	shared     func() *refresh.ClusterState
}

func newPersonalRoutes(s *Server, ps state.PersonalStore) *personalRoutes {
	return &personalRoutes{side: newPersonalSide(ps), engine: s.engine, cfg: s.cfg, log: s.log,
		serveFeed: s.serveFeed, writeHTML: s.writeHTML, baseURL: s.baseURL, clientAddr: s.clientAddr, shared: s.shared}
}

// personalSide is the server's part of personal feeds.
type personalSide struct {
	store    state.PersonalStore
	maxFeeds int // feeds held at most
	burst    int // feeds a client makes at once (createBurst)
}

func newPersonalSide(store state.PersonalStore) *personalSide {
	return &personalSide{store: store, maxFeeds: maxPersonalFeeds, burst: createBurst}
}

// sign is the shared signer. The secret is read on every use: it is the
// one the store holds (see state), so replicas sign alike even after
// Redis lost it.
func (ps *personalSide) sign() (personal.Signer, error) {
	key, err := ps.store.PersonalSecret()
	if err != nil {
		return personal.Signer{}, fmt.Errorf("the vote links' secret: %w", err)
	}
	return personal.NewSigner(key), nil
}

// limits are the bounds of creating a feed now.
func (ps *personalSide) limits(now time.Time) state.Limits {
	return state.Limits{Feeds: ps.maxFeeds, Burst: ps.burst, Every: createEvery, Now: now}
}

// creator names a client in the store's creation budgets: a hash of its
// address (the state keeps no address).
func creator(addr string) string {
	h := sha256.Sum256([]byte("personal-create\x00" + addr))
	return hex.EncodeToString(h[:12])
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
func (s *personalRoutes) sameSite(r *http.Request) error {
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
func (s *personalRoutes) personalFile(w http.ResponseWriter, r *http.Request) {
	token, ext, hasExt := strings.Cut(r.PathValue("file"), ".")
	f, err := s.side.load(token)
	if err != nil {
		s.personalMissing(w, err)
		return
	}
	if !hasExt {
		if !knownParams(w, r, "a personal feed's page", "voted", "saved") {
			return
		}
		s.personalPage(w, r, f, http.StatusOK, nil)
		return
	}
	format, ok := feed.ParseFormat(ext)
	if !ok {
		fail(w, http.StatusNotFound, fmt.Sprintf("a personal feed is /f/%s.rss, .atom, .json, .bib or .ris", token))
		return
	}
	s.serveFeed(w, r, feedRequest{format: format, personal: f})
}

// personalMissing answers a token that names no feed (or a store that
// cannot be read).
func (s *personalRoutes) personalMissing(w http.ResponseWriter, err error) {
	w.Header().Set("Cache-Control", "no-store")
	if errors.Is(err, state.ErrNoPersonal) {
		fail(w, http.StatusNotFound, "no personal feed here: the link is wrong, or the feed was deleted. Make one from the builder page (/).")
		return
	}
	s.log.Warn("personal feed unreadable", "error", err)
	w.Header().Set("Retry-After", "10")
	fail(w, http.StatusServiceUnavailable, "the personal feeds' store cannot be read right now; try again shortly")
}

// personalQuery makes a personal feed's query: its filter, with its
// seeds and votes as the two sides of like=.
func (s *personalRoutes) personalQuery(f *personal.Feed) (filter.Query, error) {
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
	q.SetSeeds(filter.Seeds{Like: f.Positives(), Unlike: f.Negatives(), More: f.Voted(personal.More), Less: f.Voted(personal.Less)})
	return q, nil
}

// personalCreate serves POST /f.
func (s *personalRoutes) personalCreate(w http.ResponseWriter, r *http.Request) {
	if err := s.sameSite(r); err != nil {
		fail(w, http.StatusForbidden, err.Error())
		return
	}
	form, err := readPersonalForm(w, r, s.engine.Now().UTC())
	if err != nil {
		s.personalFormError(w, r, nil, err)
		return
	}
	if n, err := s.side.store.PersonalCount(); err != nil {
		s.personalMissing(w, err)
		return
	} else if n >= s.side.maxFeeds { // before any look-up; the write checks again
		s.personalFull(w)
		return
	}
	f := &personal.Feed{Token: personal.NewToken(), Votes: map[string]personal.Vote{}}
	now := s.engine.Now().UTC()
	var notes []string
	if form.imported != nil {
		f.Def, f.Votes = form.imported.Def, form.imported.Votes
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
	rec := state.PersonalRecord{Def: personal.EncodeDef(f.Def), Votes: map[string]string{}}
	for id, v := range f.Votes {
		rec.Votes[id] = personal.EncodeVote(v)
	}
	err = s.side.store.PersonalCreate(f.Token, rec, creator(s.clientAddr(r)), s.side.limits(now))
	var limited *state.CreateLimitError
	switch {
	case errors.Is(err, state.ErrPersonalFull):
		s.personalFull(w)
		return
	case errors.As(err, &limited):
		w.Header().Set("Retry-After", strconv.Itoa(int(max(1, math.Ceil(limited.Retry.Seconds())))))
		fail(w, http.StatusTooManyRequests, fmt.Sprintf("too many personal feeds made from this address: %d at once, then one every %s; the next in %s",
			s.side.burst, createEvery, limited.Retry.Round(time.Second)))
		return
	case err != nil:
		s.personalMissing(w, err)
		return
	}
	w.Header().Set("Location", basePath(s.baseURL(r))+"/f/"+f.Token)
	s.personalPage(w, r, f, http.StatusCreated, append([]string{"Your personal feed is made. Its address is its only key: bookmark this page, and subscribe to a feed link below."}, notes...))
}

// personalFull answers a create when the server holds its limit.
func (s *personalRoutes) personalFull(w http.ResponseWriter) {
	w.Header().Set("Retry-After", "86400")
	w.Header().Set("Cache-Control", "no-store")
	fail(w, http.StatusServiceUnavailable, fmt.Sprintf("this server holds %d personal feeds, its limit; delete unused ones or ask its operator", s.side.maxFeeds))
}

// personalEdit serves POST /f/{token}/edit.
func (s *personalRoutes) personalEdit(w http.ResponseWriter, r *http.Request) {
	if err := s.sameSite(r); err != nil {
		fail(w, http.StatusForbidden, err.Error())
		return
	}
	f, err := s.side.load(r.PathValue("token"))
	if err != nil {
		s.personalMissing(w, err)
		return
	}
	form, err := readPersonalForm(w, r, s.engine.Now().UTC())
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
	if err := s.side.store.PersonalPut(f.Token, personal.EncodeDef(edited.Def)); err != nil {
		s.personalMissing(w, err)
		return
	}
	http.Redirect(w, r, basePath(s.baseURL(r))+"/f/"+f.Token+"?saved=1", http.StatusSeeOther)
}

// personalDelete serves POST /f/{token}/delete (confirm=yes, or any
// yes of feed.ParseBool).
func (s *personalRoutes) personalDelete(w http.ResponseWriter, r *http.Request) {
	if err := s.sameSite(r); err != nil {
		fail(w, http.StatusForbidden, err.Error())
		return
	}
	token := r.PathValue("token")
	r.Body = http.MaxBytesReader(w, r.Body, 4096)
	if err := r.ParseForm(); err != nil {
		fail(w, http.StatusBadRequest, "unreadable form: "+err.Error())
		return
	}
	confirm := r.PostForm.Get("confirm")
	if yes, ok := feed.ParseBool(confirm); !ok || !yes {
		why := "nothing was deleted"
		if !ok {
			why = "takes " + feed.BoolWords
		}
		w.Header().Set("Cache-Control", "no-store")
		fail(w, http.StatusBadRequest, fmt.Sprintf("confirm=%q: %s; to delete, tick the confirmation box (confirm=yes)", confirm, why))
		return
	}
	if !personal.ValidToken(token) {
		s.personalMissing(w, state.ErrNoPersonal)
		return
	}
	if err := s.side.store.PersonalDelete(token); err != nil {
		s.personalMissing(w, err)
		return
	}
	w.Header().Set("Cache-Control", "no-store")
	w.Header().Set("Content-Type", "text/plain; charset=utf-8")
	fmt.Fprintln(w, "Deleted: the feed, its seeds and its votes are gone. Its address now answers 404.")
}

// personalExport serves GET /f/{token}/export.
func (s *personalRoutes) personalExport(w http.ResponseWriter, r *http.Request) {
	f, err := s.side.load(r.PathValue("token"))
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
