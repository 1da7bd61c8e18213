// Package mailweb is the HTTP side of readers' e-mail (package notify,
// readers.go, has the rules): the
// builder page's form signs an address up to its filter; the mail that
// answers links a page whose button confirms it (a GET alone changes
// nothing: mail scanners open links ahead of their reader); every mail
// of the subscription carries a List-Unsubscribe URL that cancels it with
// a POST of List-Unsubscribe=One-Click (RFC 8058), which the same page's
// button sends. Links carry the subscription's token and a signature
// binding the token, the address and the action, keyed by the secret
// the replicas share. It is on only when SMTP is set.
package mailweb

import (
	"context"
	"crypto/hmac"
	"crypto/sha256"
	"encoding/base64"
	"errors"
	"html"
	"log/slog"
	"net/http"
	"net/url"
	"regexp"
	"strconv"
	"time"

	"paperfeed/filter"
	"paperfeed/internal/engine"
	"paperfeed/internal/notify"
	"paperfeed/internal/server/pagekit"
	"paperfeed/internal/state"
)

// Side is the readers' e-mail.
type Side struct {
	Readers *notify.Readers
	records state.RecordStore
	secret  func() ([]byte, error) // the replicas' shared secret
	smtp    notify.SMTP
	base    string // the public URL links point at (never a request's Host)
	opts    func() filter.Options
}

// Routes are the handlers of readers' e-mail: the sign-up and the
// pages of its links. They reach the rest of the server only through
// these fields. side is nil without SMTP settings.
type Routes struct {
	side        *Side
	engine      *engine.Engine
	log         *slog.Logger
	baseURL     func(r *http.Request) string
	writeHTML   func(w http.ResponseWriter, tmpl string, data any, status int, referrer, cacheControl string)
	validFilter func(query string, opts filter.Options) error
}

// Host is what the handlers need of the server.
type Host struct {
	Engine *engine.Engine
	Log    *slog.Logger
	// BaseURL is the public base URL a request was made to.
	BaseURL func(r *http.Request) string
	// WriteHTML writes a page of the server's templates.
	WriteHTML func(w http.ResponseWriter, tmpl string, data any, status int, referrer, cacheControl string)
	// ValidFilter refuses a filter a subscription cannot take.
	ValidFilter func(query string, opts filter.Options) error
}

// New makes the handlers over a side (nil without SMTP).
func New(h Host, side *Side) *Routes {
	return &Routes{side: side, engine: h.Engine, log: h.Log, baseURL: h.BaseURL, writeHTML: h.WriteHTML, validFilter: h.ValidFilter}
}

// NewSide is the readers' e-mail over a state store, or nil when smtp
// is not set; base is the public URL its links point at.
func NewSide(smtp notify.SMTP, base string, backend state.Backend, now func() time.Time, opts func() filter.Options) *Side {
	if smtp.Validate() != nil {
		return nil
	}
	return &Side{Readers: notify.NewReaders(backend, now), records: backend, secret: backend.PersonalSecret, smtp: smtp,
		base: base, opts: opts}
}

var readerToken = regexp.MustCompile(`^[a-z2-7]{26}$`)

// sign is a link's signature: the action, the token and the address.
func (m *Side) sign(action string, r notify.Reader) (string, error) {
	secret, err := m.secret()
	if err != nil {
		return "", err
	}
	k := hmac.New(sha256.New, secret)
	k.Write([]byte("paperfeed mail links"))
	mac := hmac.New(sha256.New, k.Sum(nil))
	mac.Write([]byte(action + "\x00" + r.Token + "\x00" + r.Address))
	return base64.RawURLEncoding.EncodeToString(mac.Sum(nil)[:16]), nil
}

// link is a signed link of a subscription.
func (m *Side) Link(action string, r notify.Reader) (string, error) {
	sig, err := m.sign(action, r)
	if err != nil {
		return "", err
	}
	return m.base + "/mail/" + action + "/" + r.Token + "?sig=" + sig, nil
}

// subscriptions are the confirmed readers' subscriptions, for the
// notifier.
func (m *Side) Subscriptions() []notify.Subscription {
	list, err := m.Readers.List()
	if err != nil {
		return nil
	}
	var out []notify.Subscription
	for _, r := range list {
		if r.Waiting() {
			continue
		}
		if u, err := m.Link("unsubscribe", r); err == nil {
			out = append(out, r.Subscription(m.title(r.Query), u))
		}
	}
	return out
}

// title names a reader's subscription in its mails: what its filter
// holds, short.
func (m *Side) title(query string) string {
	v, _ := url.ParseQuery(query)
	q, err := filter.Parse(v, m.opts())
	if err != nil {
		return "your feed"
	}
	return q.Title()
}

// mailPageData is what a page of the readers' e-mail shows.
type mailPageData struct {
	Title      string
	Prefix     string
	Meta       []pagekit.MetaTag
	Alternates []pagekit.FeedLink
	Notes      []string
	Action     string      // the form's target ("": no form)
	Hidden     [][2]string // its fields
	Button     string
	Back       string // the feed's builder page
}

func (s *Routes) mailPage(w http.ResponseWriter, r *http.Request, status int, d mailPageData) {
	d.Prefix = pagekit.BasePath(s.baseURL(r))
	d.Meta = append(d.Meta, pagekit.MetaTag{Name: "robots", Content: "noindex, nofollow"})
	w.Header().Set("X-Robots-Tag", "noindex, nofollow")
	s.writeHTML(w, "mail", d, status, "no-referrer", "private, no-store") // links carry tokens
}

func (s *Routes) mailError(w http.ResponseWriter, r *http.Request, status int, title, why string) {
	s.mailPage(w, r, status, mailPageData{Title: title, Notes: []string{why}})
}

// SignUp answers the builder page's form: address, filter, and what
// (each paper, or a day's or a week's digest).
func (s *Routes) SignUp(w http.ResponseWriter, r *http.Request) {
	m := s.side
	if m == nil {
		s.mailError(w, r, http.StatusNotFound, "No e-mail here", "This server sends no e-mail: its operator has not set SMTP.")
		return
	}
	r.Body = http.MaxBytesReader(w, r.Body, 16<<10)
	if err := r.ParseForm(); err != nil {
		s.mailError(w, r, http.StatusBadRequest, "Not a sign-up", "The form could not be read: "+err.Error()+". Sign up from the builder page.")
		return
	}
	address, err := notify.Address(r.PostForm.Get("address"))
	if err != nil {
		s.mailError(w, r, http.StatusBadRequest, "Not an address", "address="+r.PostForm.Get("address")+": "+err.Error()+".")
		return
	}
	query, holds, err := s.mailFilter(r.PostForm.Get("filter"), r.PostForm.Get("what"))
	if err != nil {
		s.mailError(w, r, http.StatusBadRequest, "Not a filter for e-mail", err.Error())
		return
	}
	rd, fresh, err := m.Readers.SignUp(address, query)
	sent := mailPageData{Title: "Check your inbox", Back: feedPage(s, r, query), Notes: []string{
		"If " + address + " can receive mail, a link to confirm is on its way to it. Nothing is sent before it is followed and confirmed; it works for " +
			strconv.Itoa(int(notify.ConfirmWithin.Hours())) + " hours.",
		"What it would bring: " + holds + "."}}
	switch {
	case errors.Is(err, notify.ErrAddressFull):
		s.mailPage(w, r, http.StatusOK, sent) // the same answer: whether an address has subscriptions is not told
		return
	case errors.Is(err, notify.ErrReadersFull):
		s.mailError(w, r, http.StatusServiceUnavailable, "No room", err.Error()+"; try again in a few days.")
		return
	case err != nil:
		s.mailError(w, r, http.StatusServiceUnavailable, "Not now", "The sign-up could not be saved: "+err.Error()+"; try again in a minute.")
		return
	}
	if fresh {
		if err := s.sendConfirmation(r.Context(), rd, holds); err != nil {
			_, _ = m.Readers.Remove(rd.Token) // so a try later can send one
			s.log.Warn("mail confirmation not sent", "error", err)
			s.mailError(w, r, http.StatusServiceUnavailable, "Not sent", "The confirmation mail could not be sent now; try again in a few minutes.")
			return
		}
	}
	s.mailPage(w, r, http.StatusOK, sent)
}

// mailFilter is a sign-up's filter as a subscription keeps it
// (canonical), with what it holds in words; what=day|week makes it a
// digest.
func (s *Routes) mailFilter(raw, what string) (query, holds string, err error) {
	v, err := url.ParseQuery(raw)
	if err != nil {
		return "", "", errors.New("filter: not a query string: " + err.Error())
	}
	switch what {
	case "", "each":
	case "day", "week":
		if v.Has("digest") && v.Get("digest") != what {
			return "", "", errors.New("what=" + what + " and the filter's digest=" + v.Get("digest") + " disagree: choose one")
		}
		v.Set("digest", what)
	default:
		return "", "", errors.New("what=" + what + ": must be each (every paper as it joins), day or week (a digest)")
	}
	if err := s.validFilter(v.Encode(), s.engine.Options()); err != nil {
		return "", "", err
	}
	q, err := filter.Parse(v, s.engine.Options())
	if err != nil {
		return "", "", err
	}
	if len(q.Canonical()) > notify.MaxReaderQuery {
		return "", "", errors.New("the filter is too long for a mail subscription (at most " + strconv.Itoa(notify.MaxReaderQuery) + " bytes)")
	}
	return q.Canonical(), q.Title(), nil
}

// sendConfirmation mails the link that confirms a sign-up.
func (s *Routes) sendConfirmation(ctx context.Context, rd notify.Reader, holds string) error {
	link, err := s.side.Link("confirm", rd)
	if err != nil {
		return err
	}
	ctx, cancel := context.WithTimeout(ctx, 20*time.Second)
	defer cancel()
	text := "Someone, we hope you, asked the paperfeed at " + s.side.base + " to mail " + rd.Address + " the papers of this filter:\n\n  " + holds +
		"\n\nTo confirm, open this link and press the button on its page:\n\n  " + link +
		"\n\nIf you did not ask, ignore this mail: nothing will be sent to you. The link works for " + strconv.Itoa(int(notify.ConfirmWithin.Hours())) + " hours.\n"
	html := "<!doctype html><html><body style=\"font-family:sans-serif\"><p>Someone, we hope you, asked the paperfeed at " + html.EscapeString(s.side.base) +
		" to mail " + html.EscapeString(rd.Address) + " the papers of this filter: <strong>" + html.EscapeString(holds) + "</strong>.</p><p><a href=\"" + html.EscapeString(link) +
		"\">Confirm</a> (a page with a button).</p><p><small>If you did not ask, ignore this mail: nothing will be sent to you. The link works for " +
		strconv.Itoa(int(notify.ConfirmWithin.Hours())) + " hours.</small></p></body></html>"
	_, err = notify.SendMail(ctx, s.side.smtp, notify.Mail{To: rd.Address, Shown: "a reader", Subject: "paperfeed: confirm your subscription", Text: text, HTML: html})
	return err
}

// mailReader is the subscription a link names, its signature checked;
// it answers the page itself when there is none or the link is not one
// this server made.
func (s *Routes) mailReader(w http.ResponseWriter, r *http.Request, action string) (notify.Reader, bool) {
	m := s.side
	if m == nil {
		s.mailError(w, r, http.StatusNotFound, "No e-mail here", "This server sends no e-mail.")
		return notify.Reader{}, false
	}
	if r.Method != http.MethodGet && r.Method != http.MethodPost {
		w.Header().Set("Allow", "GET, POST")
		s.mailError(w, r, http.StatusMethodNotAllowed, "Not allowed", "GET shows this page; POST does what it says.")
		return notify.Reader{}, false
	}
	token := r.PathValue("token")
	rd, err := m.Readers.Get(token)
	if !readerToken.MatchString(token) || errors.Is(err, notify.ErrNoReader) {
		status := http.StatusNotFound
		if action == "unsubscribe" {
			status = http.StatusOK // cancelling what is gone is done
		}
		s.mailError(w, r, status, "No such subscription", "There is no mail subscription for this link: it was cancelled, or its confirmation link expired. Nothing will be sent.")
		return notify.Reader{}, false
	}
	if err != nil {
		s.mailError(w, r, http.StatusServiceUnavailable, "Not now", "The subscriptions could not be read: "+err.Error()+"; try again in a minute.")
		return notify.Reader{}, false
	}
	want, err := m.sign(action, rd)
	if err != nil || !hmac.Equal([]byte(want), []byte(r.URL.Query().Get("sig"))) {
		s.mailError(w, r, http.StatusForbidden, "Not this server's link", "This link is not one this server made for that subscription (sig= is missing or wrong). Use the link of the mail as it came.")
		return notify.Reader{}, false
	}
	return rd, true
}

// Confirm shows the confirmation (GET) and confirms (POST).
func (s *Routes) Confirm(w http.ResponseWriter, r *http.Request) {
	rd, ok := s.mailReader(w, r, "confirm")
	if !ok {
		return
	}
	_, holds, _ := s.mailFilter(rd.Query, "")
	unsub, _ := s.side.Link("unsubscribe", rd)
	back := feedPage(s, r, rd.Query)
	if r.Method == http.MethodGet {
		if !rd.Waiting() {
			s.mailPage(w, r, http.StatusOK, mailPageData{Title: "Already confirmed", Back: back, Notes: []string{
				rd.Address + " gets the papers of: " + holds + ".", "Every mail has a link to stop them; this is it: " + unsub}})
			return
		}
		s.mailPage(w, r, http.StatusOK, mailPageData{Title: "Confirm", Back: back, Action: r.URL.RequestURI(), Button: "Yes: mail me these papers",
			Notes: []string{"Mail " + rd.Address + " the papers of: " + holds + "?"}})
		return
	}
	if _, err := s.side.Readers.Confirm(rd.Token); err != nil {
		s.mailError(w, r, http.StatusServiceUnavailable, "Not now", "The confirmation could not be saved: "+err.Error()+"; try again in a minute.")
		return
	}
	s.mailPage(w, r, http.StatusOK, mailPageData{Title: "Confirmed", Back: back, Notes: []string{
		rd.Address + " gets the papers of " + holds + " from now on, as they join (what the feed holds now is not sent).",
		"Every mail has a link to stop them in one click; this is it: " + unsub}})
}

// Unsubscribe shows the button (GET) and cancels (POST, as RFC 8058's
// one-click: List-Unsubscribe=One-Click).
func (s *Routes) Unsubscribe(w http.ResponseWriter, r *http.Request) {
	rd, ok := s.mailReader(w, r, "unsubscribe")
	if !ok {
		return
	}
	if r.Method == http.MethodGet {
		s.mailPage(w, r, http.StatusOK, mailPageData{Title: "Unsubscribe", Action: r.URL.RequestURI(), Button: "Yes: stop these mails",
			Hidden: [][2]string{{"List-Unsubscribe", "One-Click"}}, Notes: []string{"Stop mailing " + rd.Address + " the papers of this subscription?"}})
		return
	}
	r.Body = http.MaxBytesReader(w, r.Body, 4<<10)
	if err := r.ParseForm(); err != nil || r.PostForm.Get("List-Unsubscribe") != "One-Click" {
		s.mailError(w, r, http.StatusBadRequest, "Not an unsubscribe", "A one-click unsubscribe is a POST with List-Unsubscribe=One-Click (RFC 8058); open the link to get its button.")
		return
	}
	if _, err := s.side.Readers.Remove(rd.Token); err != nil && !errors.Is(err, notify.ErrNoReader) {
		s.mailError(w, r, http.StatusServiceUnavailable, "Not now", "The subscription could not be cancelled: "+err.Error()+"; try again in a minute.")
		return
	}
	_ = s.side.records.PutRecord(notify.DeliveryRecord(notify.ReaderName(rd.Token)), nil)
	s.mailPage(w, r, http.StatusOK, mailPageData{Title: "Unsubscribed", Notes: []string{"Nothing more is sent to " + rd.Address + " for this subscription."}})
}

// feedPage is the builder page of a filter.
func feedPage(s *Routes, r *http.Request, query string) string {
	return s.baseURL(r) + "/?" + query
}

// MailStatus is what /status shows of readers' mail subscriptions:
// counts, never an address.
type MailStatus struct {
	Confirmed int `json:"confirmed"`
	Waiting   int `json:"waiting"` // for their confirmation
}

func (m *Side) Status() *MailStatus {
	list, err := m.Readers.List()
	if err != nil {
		return nil
	}
	c, w := notify.Counts(list)
	return &MailStatus{Confirmed: c, Waiting: w}
}
