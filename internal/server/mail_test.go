package server

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"regexp"
	"strings"
	"sync"
	"testing"
	"time"

	"paperfeed/feed"
	"paperfeed/internal/notify"
	"paperfeed/internal/redistest"
	"paperfeed/internal/server/mailweb"
	"paperfeed/internal/smtptest"
	"paperfeed/internal/standin"
	"paperfeed/internal/state"
)

var (
	confirmLink     = regexp.MustCompile(`http://paperfeed\.test(/mail/confirm/[a-z2-7]{26}\?sig=[A-Za-z0-9_-]+)`)
	unsubscribeLink = regexp.MustCompile(`http://paperfeed\.test(/mail/unsubscribe/[a-z2-7]{26}\?sig=[A-Za-z0-9_-]+)`)
)

// do sends a request to the rig's service and returns the status and
// body.
func (r *pushRig) do(method, path string, form url.Values) (int, string) {
	r.t.Helper()
	var body io.Reader
	if form != nil {
		body = strings.NewReader(form.Encode())
	}
	req, err := http.NewRequest(method, r.base+path, body)
	if err != nil {
		r.t.Fatal(err)
	}
	if form != nil {
		req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		r.t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, string(b)
}

func (r *pushRig) signUp(address, filter, what string) (int, string) {
	r.t.Helper()
	return r.do("POST", "/mail", url.Values{"address": {address}, "filter": {filter}, "what": {what}})
}

func (r *pushRig) mailStatus() mailweb.MailStatus {
	r.t.Helper()
	_, body := r.do("GET", "/status", nil)
	var st Status
	if err := json.Unmarshal([]byte(body), &st); err != nil || st.Mail == nil {
		r.t.Fatalf("/status: %v %.300s", err, body)
	}
	return *st.Mail
}

// linkIn is the path of the first link of re in a mail.
func linkIn(t *testing.T, re *regexp.Regexp, m smtptest.Mail) string {
	t.Helper()
	got := re.FindStringSubmatch(m.Text)
	if got == nil {
		t.Fatalf("no %s link in the mail:\n%s", re, m.Text)
	}
	return got[1]
}

// A reader subscribes an address from the builder page, through a real
// SMTP server: a confirmation mail with a signed link, and nothing else
// before it is confirmed (a GET of the link, as a mail scanner does,
// confirms nothing); once confirmed, the papers that join arrive, each
// mail with a one-click unsubscribe (List-Unsubscribe and
// List-Unsubscribe-Post, RFC 8058) that a POST of
// List-Unsubscribe=One-Click honours.
func TestReaderMailDoubleOptIn(t *testing.T) {
	r := newPushRig(t, "", smtptest.Options{})
	first := r.site.HF.AddDerivedDay(time.Date(2026, 8, 24, 0, 0, 0, 0, time.UTC), 12)
	r.site.HF.HideNewest(2)
	a := r.start()
	r.refresh()
	_, page := r.do("GET", "/?limit=20", nil)
	_, form, _ := strings.Cut(page, `<details id="mail">`)
	form, _, _ = strings.Cut(form, "</details>")
	if !strings.Contains(form, `action="/mail"`) || !strings.Contains(form, `name="filter" value=""`) || !strings.Contains(form, `name="address"`) {
		t.Fatalf("the builder page offers no mail sign-up for its filter without limit:\n%s", form)
	}
	code, body := r.signUp("Reader@Example.org", "", "each")
	if code != 200 || !strings.Contains(body, "Check your inbox") {
		t.Fatalf("sign-up: %d %s", code, body)
	}
	mails := r.smtp.Wait(1, 5*time.Second)
	if len(mails) != 1 || mails[0].To[0] != "reader@example.org" || !strings.Contains(mails[0].Subject, "confirm") {
		t.Fatalf("confirmation: %d mails %+v", len(mails), mails)
	}
	confirm := linkIn(t, confirmLink, mails[0])
	// Papers join before the confirmation: nothing is sent.
	r.site.HF.HideNewest(1)
	r.refresh()
	a.Notify.Run(t.Context())
	// A mail scanner opens the link: a page with a button, no change.
	if code, body := r.do("GET", confirm, nil); code != 200 || !strings.Contains(body, `<form method="post"`) || !strings.Contains(body, "reader@example.org") {
		t.Fatalf("the confirmation page: %d %s", code, body)
	}
	a.Notify.Run(t.Context())
	if st := r.mailStatus(); st.Waiting != 1 || st.Confirmed != 0 {
		t.Fatalf("after a GET of the link: %+v", st)
	}
	if n := len(r.smtp.Mails()); n != 1 {
		t.Fatalf("%d mails before the confirmation, want only the confirmation", n)
	}
	if code, body := r.do("POST", confirm, url.Values{}); code != 200 || !strings.Contains(body, "Confirmed") {
		t.Fatalf("confirm: %d %s", code, body)
	}
	if st := r.mailStatus(); st.Waiting != 0 || st.Confirmed != 1 {
		t.Fatalf("after the confirmation: %+v", st)
	}
	a.Notify.Run(t.Context()) // begins: what the feed holds now is old news
	if n := len(r.smtp.Mails()); n != 1 {
		t.Fatalf("%d mails when the subscription began", n)
	}
	r.site.HF.HideNewest(0)
	r.refresh()
	a.Notify.Run(t.Context())
	mails = r.smtp.Wait(2, 5*time.Second)
	if len(mails) != 2 {
		t.Fatalf("%d mails after %d papers joined", len(mails), len(first))
	}
	m := mails[1]
	unsub := linkIn(t, unsubscribeLink, m)
	if m.Subject != fmt.Sprintf("paperfeed · Daily Papers: %d new papers", len(first)) {
		t.Errorf("subject %q", m.Subject)
	}
	token := strings.Split(strings.TrimPrefix(unsub, "/mail/unsubscribe/"), "?")[0]
	// (The access log's lines are masked as every token of a URL is.)
	if logs := grepLines(r.logs.String(), "notification"); strings.Contains(logs, token) || strings.Contains(logs, "reader@example.org") {
		t.Errorf("the notifier's log names the reader's token or address:\n%s", logs)
	}
	if got := m.Header.Get("List-Unsubscribe"); got != "<http://paperfeed.test"+unsub+">" {
		t.Errorf("List-Unsubscribe %q, want the link of the text %s", got, unsub)
	}
	if got := m.Header.Get("List-Unsubscribe-Post"); got != "List-Unsubscribe=One-Click" {
		t.Errorf("List-Unsubscribe-Post %q", got)
	}
	if strings.Contains(m.Text, r.file) || strings.Contains(m.Text, "notify file") {
		t.Errorf("a reader's mail names the server's notify file:\n%s", m.Text)
	}
	// A GET of the unsubscribe link (a scanner) changes nothing; the
	// one-click POST cancels.
	if code, body := r.do("GET", unsub, nil); code != 200 || !strings.Contains(body, `name="List-Unsubscribe" value="One-Click"`) {
		t.Fatalf("the unsubscribe page: %d %s", code, body)
	}
	if st := r.mailStatus(); st.Confirmed != 1 {
		t.Fatalf("a GET of the unsubscribe link cancelled: %+v", st)
	}
	if code, body := r.do("POST", unsub, url.Values{"List-Unsubscribe": {"One-Click"}}); code != 200 || !strings.Contains(body, "Unsubscribed") {
		t.Fatalf("one-click unsubscribe: %d %s", code, body)
	}
	if st := r.mailStatus(); st.Confirmed != 0 || st.Waiting != 0 {
		t.Fatalf("after the one-click unsubscribe: %+v", st)
	}
	more := r.site.HF.AddDerivedDay(time.Date(2026, 8, 25, 0, 0, 0, 0, time.UTC), 3)
	r.refresh()
	a.Notify.Run(t.Context())
	if n := len(r.smtp.Wait(3, 500*time.Millisecond)); n != 2 {
		t.Errorf("%d mails after the unsubscribe and %d more papers, want still 2", n, len(more))
	}
}

// Hostile tries: a forged or altered link, one address's link used for
// another's, a replayed link, a flood of sign-ups for one address or
// for many, an unsubscribe POST without its one-click body.
func TestReaderMailHostile(t *testing.T) {
	r := newPushRig(t, "", smtptest.Options{})
	r.start()
	r.refresh()
	if code, _ := r.signUp("ann@example.org", "q=agents", "each"); code != 200 {
		t.Fatal(code)
	}
	if code, _ := r.signUp("bo@example.org", "q=agents", "day"); code != 200 {
		t.Fatal(code)
	}
	mails := r.smtp.Wait(2, 5*time.Second)
	if len(mails) != 2 {
		t.Fatalf("%d confirmation mails", len(mails))
	}
	ann, bo := linkIn(t, confirmLink, mails[0]), linkIn(t, confirmLink, mails[1])
	annTok, annSig, _ := strings.Cut(strings.TrimPrefix(ann, "/mail/confirm/"), "?sig=")
	boTok, boSig, _ := strings.Cut(strings.TrimPrefix(bo, "/mail/confirm/"), "?sig=")
	for what, path := range map[string]string{
		"ann's token with bo's signature": "/mail/confirm/" + annTok + "?sig=" + boSig,
		"bo's token with ann's signature": "/mail/confirm/" + boTok + "?sig=" + annSig,
		"a signature altered":             "/mail/confirm/" + annTok + "?sig=" + alterFirst(annSig),
		"no signature":                    "/mail/confirm/" + annTok,
		"the confirm signature to cancel": "/mail/unsubscribe/" + annTok + "?sig=" + annSig,
	} {
		if code, body := r.do("POST", path, url.Values{"List-Unsubscribe": {"One-Click"}}); code != 403 || !strings.Contains(body, "not one this server made") {
			t.Errorf("%s: %d %.200s", what, code, body)
		}
	}
	if code, _ := r.do("POST", "/mail/confirm/"+strings.Repeat("a", 26)+"?sig="+annSig, url.Values{}); code != 404 {
		t.Errorf("a made-up token: %d", code)
	}
	if code, _ := r.do("POST", "/mail/confirm/..%2F..%2Fx?sig="+annSig, url.Values{}); code != 404 {
		t.Errorf("a hostile token: %d", code)
	}
	if st := r.mailStatus(); st.Confirmed != 0 || st.Waiting != 2 {
		t.Fatalf("after the forged links: %+v", st)
	}
	// The right link, twice: one subscription.
	for range 2 {
		if code, _ := r.do("POST", ann, url.Values{}); code != 200 {
			t.Fatalf("confirm: %d", code)
		}
	}
	if st := r.mailStatus(); st.Confirmed != 1 || st.Waiting != 1 {
		t.Fatalf("after confirming twice: %+v", st)
	}
	// Cancel, then replay the confirmation: it does not come back.
	list, err := r.app.HTTP.mail.Readers.List()
	if err != nil {
		t.Fatal(err)
	}
	var annReader notify.Reader
	for _, rd := range list {
		if rd.Token == annTok {
			annReader = rd
		}
	}
	unsub, err := r.app.HTTP.mail.Link("unsubscribe", annReader)
	if err != nil {
		t.Fatal(err)
	}
	unsub = strings.TrimPrefix(unsub, "http://paperfeed.test")
	if code, body := r.do("POST", unsub, url.Values{}); code != 400 || !strings.Contains(body, "List-Unsubscribe=One-Click") {
		t.Errorf("an unsubscribe POST without its body: %d %.200s", code, body)
	}
	if code, _ := r.do("POST", unsub, url.Values{"List-Unsubscribe": {"One-Click"}}); code != 200 {
		t.Fatalf("unsubscribe: %d", code)
	}
	if code, _ := r.do("POST", unsub, url.Values{"List-Unsubscribe": {"One-Click"}}); code != 200 {
		t.Errorf("unsubscribe again: %d, want 200 (cancelling what is gone is done)", code)
	}
	if code, _ := r.do("POST", ann, url.Values{}); code != 404 {
		t.Errorf("a replayed confirmation after the unsubscribe: %d, want 404", code)
	}
	if st := r.mailStatus(); st.Confirmed != 0 || st.Waiting != 1 {
		t.Fatalf("after the replay: %+v", st)
	}
	// One address, signed up again and again: one mail per filter, at
	// most MaxPerAddress, and the same answer every time.
	before := len(r.smtp.Mails())
	for i := range 20 {
		code, body := r.signUp("cy@example.org", fmt.Sprintf("q=topic%d", i%10), "each")
		if code != 200 || !strings.Contains(body, "Check your inbox") {
			t.Fatalf("sign-up %d: %d %.200s", i, code, body)
		}
	}
	if n := len(r.smtp.Wait(before+notify.MaxPerAddress+1, time.Second)) - before; n != notify.MaxPerAddress {
		t.Errorf("%d confirmation mails to one address after 20 sign-ups, want %d", n, notify.MaxPerAddress)
	}
	// Many addresses: at most MaxWaiting confirmation mails out, then
	// the answer says there is no room.
	before = len(r.smtp.Mails())
	full := 0
	for i := range notify.MaxWaiting + 20 {
		if code, _ := r.signUp(fmt.Sprintf("r%d@example.org", i), "q=agents", "each"); code == 503 {
			full++
		}
	}
	st := r.mailStatus()
	if sent := len(r.smtp.Wait(before+notify.MaxWaiting, 10*time.Second)) - before; st.Waiting != notify.MaxWaiting || full == 0 ||
		sent != notify.MaxWaiting-(1+notify.MaxPerAddress) {
		t.Errorf("a flood of sign-ups: %d waiting, %d mails sent, %d refused", st.Waiting, sent, full)
	}
	// Bad input is a 400 that says what was wrong.
	for _, tc := range []struct{ address, filter, what, want string }{
		{"not an address", "q=agents", "each", "not an e-mail address"},
		{"Ann <ann@example.org>", "q=agents", "each", "write it alone"},
		{"ann@example.org", "limit=5", "each", "limit=5 has no meaning"},
		{"ann@example.org", "min_upvotes=many", "each", "min_upvotes"},
		{"ann@example.org", "q=agents", "hourly", "what=hourly"},
	} {
		if code, body := r.signUp(tc.address, tc.filter, tc.what); code != 400 || !strings.Contains(body, tc.want) {
			t.Errorf("%+v: %d %.300s", tc, code, body)
		}
	}
}

// Without SMTP settings there is no sign-up, on the page or by a POST.
func TestReaderMailOffWithoutSMTP(t *testing.T) {
	r := newPushRig(t, "", smtptest.Options{})
	r.cfg = func(c *Config) { c.SMTP = notify.SMTP{} }
	r.start()
	r.refresh()
	if _, page := r.do("GET", "/", nil); strings.Contains(page, `id="mail"`) {
		t.Error("the builder page offers a mail sign-up without SMTP")
	}
	if code, _ := r.signUp("ann@example.org", "q=agents", "each"); code != 404 {
		t.Errorf("a sign-up without SMTP: %d", code)
	}
}

// Two replicas on one Redis: a sign-up through one, its confirmation
// through the other, concurrent sign-ups through both (none lost), the
// leader's mail, and the one-click unsubscribe through the follower.
func TestReaderMailAcrossReplicas(t *testing.T) {
	srv := redistest.Start(t, "")
	mails := smtptest.Start(t, smtptest.Options{})
	site, err := standin.NewSite(testdata, standin.SiteOptions{})
	if err != nil {
		t.Fatal(err)
	}
	site.HF.AddDerivedDay(time.Date(2026, 8, 24, 0, 0, 0, 0, time.UTC), 4)
	site.HF.HideNewest(1)
	up := newUpstream(t, site)
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	replica := func() (*app, *pushRig) {
		rs, err := state.OpenRedis(ctx, srv.URL(""), "", 2*time.Second, discardLog())
		if err != nil {
			t.Fatal(err)
		}
		a := testAppWith(t, up, nil, func(c *Config) {
			c.RedisLease = 2 * time.Second
			c.SMTP = notify.SMTP{Host: mails.Host(), Port: mails.Port(), From: "pf@example.org", TLS: "none"}
		}, rs)
		a.setNotify(nil, rs)
		if _, err := a.refresh.Restore(); err != nil {
			t.Fatal(err)
		}
		a.refresh.Start(ctx)
		t.Cleanup(func() { a.Close() })
		return a, &pushRig{t: t, base: newServer(t, a).URL, app: a}
	}
	leader, lr := replica()
	waitFor(t, "the leader to load", func() bool { return leader.Status().Ready })
	follower, fr := replica()
	waitFor(t, "the follower to load", func() bool { return follower.Status().Ready })
	if code, _ := fr.signUp("ann@example.org", "", "each"); code != 200 {
		t.Fatalf("sign-up through the follower: %d", code)
	}
	got := mails.Wait(1, 5*time.Second)
	if len(got) != 1 {
		t.Fatalf("%d confirmation mails", len(got))
	}
	if code, _ := lr.do("POST", linkIn(t, confirmLink, got[0]), url.Values{}); code != 200 {
		t.Fatalf("confirmation through the leader: %d", code)
	}
	// Sign-ups at once through both replicas: every one kept.
	var wg sync.WaitGroup
	for i := range 10 {
		wg.Go(func() {
			r := []*pushRig{lr, fr}[i%2]
			if code, _ := r.signUp(fmt.Sprintf("x%d@example.org", i), "q=agents", "each"); code != 200 {
				t.Errorf("concurrent sign-up %d: %d", i, code)
			}
		})
	}
	wg.Wait()
	for _, r := range []*pushRig{lr, fr} {
		if st := r.mailStatus(); st.Confirmed != 1 || st.Waiting != 10 {
			t.Errorf("%s: %+v, want 1 confirmed and 10 waiting", r.base, st)
		}
	}
	for _, a := range []*app{follower, leader} {
		a.Notify.Run(t.Context()) // begins, on the leader
	}
	site.HF.HideNewest(0)
	if _, err := leader.refresh.RefreshSource(ctx, feed.SourceHF); err != nil {
		t.Fatal(err)
	}
	for _, a := range []*app{follower, leader} {
		a.Notify.Run(t.Context())
	}
	got = mails.Wait(12, 5*time.Second)
	var papers []smtptest.Mail
	for _, m := range got {
		if strings.Contains(m.Subject, "new paper") {
			papers = append(papers, m)
		}
	}
	if len(papers) != 1 || papers[0].To[0] != "ann@example.org" {
		t.Fatalf("%d paper mails, want 1 to ann: %s", len(papers), subjects(got))
	}
	unsub := linkIn(t, unsubscribeLink, papers[0])
	if code, _ := fr.do("POST", unsub, url.Values{"List-Unsubscribe": {"One-Click"}}); code != 200 {
		t.Fatalf("unsubscribe through the follower: %d", code)
	}
	if st := lr.mailStatus(); st.Confirmed != 0 {
		t.Errorf("the leader still counts the cancelled subscription: %+v", st)
	}
}

// alterFirst changes a signature's first character to another one of
// the same alphabet, so the altered signature always differs.
func alterFirst(sig string) string {
	c := byte('A')
	if sig[0] == 'A' {
		c = 'B'
	}
	return string(c) + sig[1:]
}
