package notify

import (
	"context"
	"strings"
	"testing"

	"paperfeed/internal/smtptest"
)

// smtpSettings are the settings of a test's SMTP server.
func smtpSettings(srv *smtptest.Server) SMTP {
	return SMTP{Host: srv.Host(), Port: srv.Port(), User: "pf", Password: "smtp-pass", From: "paperfeed <pf@example.org>", TLS: "none"}
}

// An e-mail through a real SMTP server: multipart text + HTML, readable
// as plain text, the feed's link and how to stop it in both parts.
func TestEmail(t *testing.T) {
	srv := smtptest.Start(t, smtptest.Options{User: "pf", Password: "smtp-pass"})
	cfg := smtpSettings(srv)
	subs, err := ParseSubscriptions(strings.NewReader("mail: email ann@example.org q=agents"), "f", env(nil), nil)
	if err != nil {
		t.Fatal(err)
	}
	m := sample()
	answer, err := Send(context.Background(), Settings{SMTP: cfg}, subs[0], m)
	if err != nil || !strings.Contains(answer, "accepted by 127.0.0.1") {
		t.Fatalf("send: %q %v", answer, err)
	}
	mails, logins := srv.Mails(), srv.Logins()
	if len(mails) != 1 || mails[0].To[0] != "ann@example.org" || logins[0] != "pf:smtp-pass" {
		t.Fatalf("received %d mails, logins %v", len(mails), logins)
	}
	got := mails[0]
	if got.Subject != m.Title || got.Header.Get("X-Paperfeed-Delivery") != m.DeliveryID {
		t.Errorf("headers: %v", got.Header)
	}
	for _, want := range []string{"Agents <that> plan & act", "https://huggingface.co/papers/2612.00001", "The feed: https://pf.example/feed.rss?q=agents", "To stop"} {
		if !strings.Contains(got.Text, want) {
			t.Errorf("the text part lacks %q:\n%s", want, got.Text)
		}
	}
	if !strings.Contains(got.HTML, `<a href="https://huggingface.co/papers/2612.00001">Agents &lt;that&gt; plan &amp; act</a>`) || !strings.Contains(got.HTML, "To stop") {
		t.Errorf("the HTML part:\n%s", got.HTML)
	}
	// A wrong password: an error that does not show it.
	cfg.Password = "wrong-secret"
	if _, err := Send(context.Background(), Settings{SMTP: cfg}, subs[0], m); err == nil || strings.Contains(err.Error(), "wrong-secret") {
		t.Errorf("a refused login: %v", err)
	}
}

// A server that offers no STARTTLS (a local relay, a test server) with
// the default starttls: the error says what to set, and that it is for
// a server on this machine or a trusted network only.
func TestEmailWithoutSTARTTLSSaysWhatToSet(t *testing.T) {
	srv := smtptest.Start(t, smtptest.Options{})
	cfg := smtpSettings(srv)
	cfg.User, cfg.Password, cfg.TLS = "", "", ""
	subs, err := ParseSubscriptions(strings.NewReader("mail: email ann@example.org"), "f", env(nil), nil)
	if err != nil {
		t.Fatal(err)
	}
	_, err = Send(context.Background(), Settings{SMTP: cfg}, subs[0], sample())
	if err == nil || !strings.Contains(err.Error(), "STARTTLS") || !strings.Contains(err.Error(), "PAPERFEED_SMTP_TLS=none") {
		t.Errorf("a server without STARTTLS: %v", err)
	}
	if n := len(srv.Mails()); n != 0 {
		t.Errorf("%d mails sent in the clear while STARTTLS was asked for", n)
	}
}
