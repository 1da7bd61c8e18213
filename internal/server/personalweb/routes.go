// Package personalweb is the HTTP side of personal feeds (package
// personal has the model and its rules):
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
package personalweb

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
	"paperfeed/internal/server/pagekit"
	"paperfeed/internal/state"
)

const (
	maxPersonalFeeds = 10000
	maxFormBytes     = personal.MaxLibraryBytes + 64<<10
	createBurst      = 5               // feeds a client makes at once,
	createEvery      = 6 * time.Minute // and then one per createEvery
)

// Routes are the personal feeds' handlers: their pages, votes, edits,
// exports and feeds. They reach the rest of the server only through
// Host, and the state through Side.
type Routes struct {
	Host
	Side *Side
}

// Host is what the handlers need of the server: the engine, the
// settings, and its feed and page writers.
type Host struct {
	Engine *engine.Engine
	Log    *slog.Logger
	// RequestTimeout bounds a request's work; StartupWait is how long a
	// request waits for a source's first load.
	RequestTimeout, StartupWait time.Duration
	// ServeFeed answers a personal feed in a format.
	ServeFeed func(w http.ResponseWriter, r *http.Request, format feed.Format, f *personal.Feed)
	// WriteHTML writes a page of the server's templates.
	WriteHTML func(w http.ResponseWriter, tmpl string, data any, status int, referrer, cacheControl string)
	// Fail writes an error answer; KnownParams refuses (and answers) a
	// request with parameters other than those named.
	Fail        func(w http.ResponseWriter, status int, msg string)
	KnownParams func(w http.ResponseWriter, r *http.Request, what string, accepted ...string) bool
	// BaseURL is the public base URL a request was made to; ClientAddr
	// names the client.
	BaseURL, ClientAddr func(r *http.Request) string
	// NotLoaded says why a source has no data yet.
	NotLoaded func(source string, st refresh.SourceState) string
}

// New makes the handlers over a store of personal feeds.
func New(h Host, ps state.PersonalStore) *Routes {
	return &Routes{Host: h, Side: newSide(ps)}
}

// Side is the state of personal feeds: the store and its bounds.
type Side struct {
	Store    state.PersonalStore
	MaxFeeds int // feeds held at most
	Burst    int // feeds a client makes at once (createBurst)
}

func newSide(store state.PersonalStore) *Side {
	return &Side{Store: store, MaxFeeds: maxPersonalFeeds, Burst: createBurst}
}

// sign is the shared signer. The secret is read on every use: it is the
// one the store holds (see state), so replicas sign alike even after
// Redis lost it.
func (ps *Side) sign() (personal.Signer, error) {
	key, err := ps.Store.PersonalSecret()
	if err != nil {
		return personal.Signer{}, fmt.Errorf("the vote links' secret: %w", err)
	}
	return personal.NewSigner(key), nil
}

// limits are the bounds of creating a feed now.
func (ps *Side) limits(now time.Time) state.Limits {
	return state.Limits{Feeds: ps.MaxFeeds, Burst: ps.Burst, Every: createEvery, Now: now}
}

// creator names a client in the store's creation budgets: a hash of its
// address (the state keeps no address).
func creator(addr string) string {
	h := sha256.Sum256([]byte("personal-create\x00" + addr))
	return hex.EncodeToString(h[:12])
}

// load reads a feed by token.
func (ps *Side) load(token string) (*personal.Feed, error) {
	if !personal.ValidToken(token) {
		return nil, state.ErrNoPersonal
	}
	rec, err := ps.Store.PersonalGet(token)
	if err != nil {
		return nil, err
	}
	return personal.Decode(token, rec.Def, rec.Votes)
}

// Revision names a feed's definition and votes, for cache keys and
// validators: a vote makes a new one.
func Revision(f *personal.Feed) string {
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
func (s *Routes) sameSite(r *http.Request) error {
	if r.Header.Get("Sec-Fetch-Site") == "cross-site" {
		return errors.New("refused: this form was sent from another site")
	}
	if o := r.Header.Get("Origin"); o != "" && o != "null" {
		u, err := url.Parse(o)
		base, _ := url.Parse(s.BaseURL(r))
		if err != nil || base == nil || (!strings.EqualFold(u.Host, base.Host) && !strings.EqualFold(u.Host, r.Host)) {
			return fmt.Errorf("refused: this form was sent from %s, not from this server", o)
		}
	}
	return nil
}

// File serves GET /f/{file}: a feed's page (TOKEN) or the feed
// itself (TOKEN.rss, ...).
func (s *Routes) File(w http.ResponseWriter, r *http.Request) {
	token, ext, hasExt := strings.Cut(r.PathValue("file"), ".")
	f, err := s.Side.load(token)
	if err != nil {
		s.personalMissing(w, err)
		return
	}
	if !hasExt {
		if !s.KnownParams(w, r, "a personal feed's page", "voted", "saved") {
			return
		}
		s.personalPage(w, r, f, http.StatusOK, nil)
		return
	}
	format, ok := feed.ParseFormat(ext)
	if !ok {
		s.Fail(w, http.StatusNotFound, fmt.Sprintf("a personal feed is /f/%s.rss, .atom, .json, .bib or .ris", token))
		return
	}
	s.ServeFeed(w, r, format, f)
}

// personalMissing answers a token that names no feed (or a store that
// cannot be read).
func (s *Routes) personalMissing(w http.ResponseWriter, err error) {
	w.Header().Set("Cache-Control", "no-store")
	if errors.Is(err, state.ErrNoPersonal) {
		s.Fail(w, http.StatusNotFound, "no personal feed here: the link is wrong, or the feed was deleted. Make one from the builder page (/).")
		return
	}
	s.Log.Warn("personal feed unreadable", "error", err)
	w.Header().Set("Retry-After", "10")
	s.Fail(w, http.StatusServiceUnavailable, "the personal feeds' store cannot be read right now; try again shortly")
}

// Query makes a personal feed's query: its filter, with its
// seeds and votes as the two sides of like=.
func (s *Routes) Query(f *personal.Feed) (filter.Query, error) {
	values, err := url.ParseQuery(f.Filter)
	if err != nil {
		return filter.Query{}, &filter.Error{Param: "filter", Value: f.Filter, Reason: "is not a query string"}
	}
	opts := s.Engine.Options()
	opts.SeedsLater = true
	q, err := filter.Parse(values, opts)
	if err != nil {
		return q, err
	}
	q.SetSeeds(filter.Seeds{Like: f.Positives(), Unlike: f.Negatives(), More: f.Voted(personal.More), Less: f.Voted(personal.Less)})
	return q, nil
}

// Create serves POST /f.
func (s *Routes) Create(w http.ResponseWriter, r *http.Request) {
	if err := s.sameSite(r); err != nil {
		s.Fail(w, http.StatusForbidden, err.Error())
		return
	}
	form, err := readPersonalForm(w, r, s.Engine.Now().UTC())
	if err != nil {
		s.personalFormError(w, r, nil, err)
		return
	}
	if n, err := s.Side.Store.PersonalCount(); err != nil {
		s.personalMissing(w, err)
		return
	} else if n >= s.Side.MaxFeeds { // before any look-up; the write checks again
		s.personalFull(w)
		return
	}
	f := &personal.Feed{Token: personal.NewToken(), Votes: map[string]personal.Vote{}}
	now := s.Engine.Now().UTC()
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
	err = s.Side.Store.PersonalCreate(f.Token, rec, creator(s.ClientAddr(r)), s.Side.limits(now))
	var limited *state.CreateLimitError
	switch {
	case errors.Is(err, state.ErrPersonalFull):
		s.personalFull(w)
		return
	case errors.As(err, &limited):
		w.Header().Set("Retry-After", strconv.Itoa(int(max(1, math.Ceil(limited.Retry.Seconds())))))
		s.Fail(w, http.StatusTooManyRequests, fmt.Sprintf("too many personal feeds made from this address: %d at once, then one every %s; the next in %s",
			s.Side.Burst, createEvery, limited.Retry.Round(time.Second)))
		return
	case err != nil:
		s.personalMissing(w, err)
		return
	}
	w.Header().Set("Location", pagekit.BasePath(s.BaseURL(r))+"/f/"+f.Token)
	s.personalPage(w, r, f, http.StatusCreated, append([]string{"Your personal feed is made. Its address is its only key: bookmark this page, and subscribe to a feed link below."}, notes...))
}

// personalFull answers a create when the server holds its limit.
func (s *Routes) personalFull(w http.ResponseWriter) {
	w.Header().Set("Retry-After", "86400")
	w.Header().Set("Cache-Control", "no-store")
	s.Fail(w, http.StatusServiceUnavailable, fmt.Sprintf("this server holds %d personal feeds, its limit; delete unused ones or ask its operator", s.Side.MaxFeeds))
}

// Edit serves POST /f/{token}/edit.
func (s *Routes) Edit(w http.ResponseWriter, r *http.Request) {
	if err := s.sameSite(r); err != nil {
		s.Fail(w, http.StatusForbidden, err.Error())
		return
	}
	f, err := s.Side.load(r.PathValue("token"))
	if err != nil {
		s.personalMissing(w, err)
		return
	}
	form, err := readPersonalForm(w, r, s.Engine.Now().UTC())
	if err == nil && form.imported != nil {
		err = &filter.Error{Param: "import_file", Value: "(upload)", Reason: "an export is imported as a new feed from the builder page, not into an existing one"}
	}
	if err != nil {
		s.personalFormError(w, r, f, err)
		return
	}
	edited := *f
	edited.Def = form.def
	edited.Created, edited.Changed = f.Created, s.Engine.Now().UTC()
	if err := s.checkDef(r.Context(), r, &edited); err != nil {
		s.personalFormError(w, r, f, err)
		return
	}
	if err := s.Side.Store.PersonalPut(f.Token, personal.EncodeDef(edited.Def)); err != nil {
		s.personalMissing(w, err)
		return
	}
	http.Redirect(w, r, pagekit.BasePath(s.BaseURL(r))+"/f/"+f.Token+"?saved=1", http.StatusSeeOther)
}

// Delete serves POST /f/{token}/delete (confirm=yes, or any
// yes of feed.ParseBool).
func (s *Routes) Delete(w http.ResponseWriter, r *http.Request) {
	if err := s.sameSite(r); err != nil {
		s.Fail(w, http.StatusForbidden, err.Error())
		return
	}
	token := r.PathValue("token")
	r.Body = http.MaxBytesReader(w, r.Body, 4096)
	if err := r.ParseForm(); err != nil {
		s.Fail(w, http.StatusBadRequest, "unreadable form: "+err.Error())
		return
	}
	confirm := r.PostForm.Get("confirm")
	if yes, ok := feed.ParseBool(confirm); !ok || !yes {
		why := "nothing was deleted"
		if !ok {
			why = "takes " + feed.BoolWords
		}
		w.Header().Set("Cache-Control", "no-store")
		s.Fail(w, http.StatusBadRequest, fmt.Sprintf("confirm=%q: %s; to delete, tick the confirmation box (confirm=yes)", confirm, why))
		return
	}
	if !personal.ValidToken(token) {
		s.personalMissing(w, state.ErrNoPersonal)
		return
	}
	if err := s.Side.Store.PersonalDelete(token); err != nil {
		s.personalMissing(w, err)
		return
	}
	w.Header().Set("Cache-Control", "no-store")
	w.Header().Set("Content-Type", "text/plain; charset=utf-8")
	fmt.Fprintln(w, "Deleted: the feed, its seeds and its votes are gone. Its address now answers 404.")
}

// Export serves GET /f/{token}/export.
func (s *Routes) Export(w http.ResponseWriter, r *http.Request) {
	f, err := s.Side.load(r.PathValue("token"))
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
