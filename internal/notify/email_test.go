package notify

import (
	"bytes"
	"context"
	"errors"
	"io"
	"mime"
	"mime/multipart"
	"mime/quotedprintable"
	"net"
	"net/mail"
	"slices"
	"strings"
	"sync"
	"testing"

	"github.com/emersion/go-sasl"
	"github.com/emersion/go-smtp"
)

// smtpServer is a real SMTP server (go-smtp) on a loopback port that
// keeps what it receives; it asks for PLAIN authentication.
type smtpServer struct {
	mu    sync.Mutex
	mails [][]byte
	rcpt  []string
	auth  []string
	addr  string
}

func (s *smtpServer) NewSession(*smtp.Conn) (smtp.Session, error) { return &smtpSession{s: s}, nil }

type smtpSession struct{ s *smtpServer }

func (ss *smtpSession) AuthMechanisms() []string { return []string{sasl.Plain} }
func (ss *smtpSession) Auth(string) (sasl.Server, error) {
	return sasl.NewPlainServer(func(_, user, pass string) error {
		ss.s.mu.Lock()
		defer ss.s.mu.Unlock()
		ss.s.auth = append(ss.s.auth, user+":"+pass)
		if pass != "smtp-pass" {
			return errors.New("bad password")
		}
		return nil
	}), nil
}
func (ss *smtpSession) Mail(string, *smtp.MailOptions) error { return nil }
func (ss *smtpSession) Rcpt(to string, _ *smtp.RcptOptions) error {
	ss.s.mu.Lock()
	defer ss.s.mu.Unlock()
	ss.s.rcpt = append(ss.s.rcpt, to)
	return nil
}
func (ss *smtpSession) Data(r io.Reader) error {
	b, err := io.ReadAll(r)
	ss.s.mu.Lock()
	defer ss.s.mu.Unlock()
	ss.s.mails = append(ss.s.mails, b)
	return err
}
func (ss *smtpSession) Reset()        {}
func (ss *smtpSession) Logout() error { return nil }

func startSMTP(t *testing.T) *smtpServer {
	t.Helper()
	be := &smtpServer{}
	srv := smtp.NewServer(be)
	srv.Domain = "localhost"
	srv.AllowInsecureAuth = true
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	be.addr = l.Addr().String()
	go func() { _ = srv.Serve(l) }()
	t.Cleanup(func() { srv.Close() })
	return be
}

// An e-mail through a real SMTP server: multipart text + HTML, readable
// as plain text, the feed's link and how to stop it in both parts.
func TestEmail(t *testing.T) {
	srv := startSMTP(t)
	host, port, _ := net.SplitHostPort(srv.addr)
	var p int
	for _, c := range port {
		p = p*10 + int(c-'0')
	}
	cfg := SMTP{Host: host, Port: p, User: "pf", Password: "smtp-pass", From: "paperfeed <pf@example.org>", TLS: "none"}
	subs, err := ParseSubscriptions(strings.NewReader("mail: email ann@example.org q=agents"), "f", env(nil), nil)
	if err != nil {
		t.Fatal(err)
	}
	m := sample()
	answer, err := Send(context.Background(), Settings{SMTP: cfg}, subs[0], m)
	if err != nil || !strings.Contains(answer, "accepted by 127.0.0.1") {
		t.Fatalf("send: %q %v", answer, err)
	}
	srv.mu.Lock()
	mails, rcpt, auth := slices.Clone(srv.mails), slices.Clone(srv.rcpt), slices.Clone(srv.auth)
	srv.mu.Unlock()
	if len(mails) != 1 || rcpt[0] != "ann@example.org" || auth[0] != "pf:smtp-pass" {
		t.Fatalf("received %d mails to %v, auth %v", len(mails), rcpt, auth)
	}
	msg, err := mail.ReadMessage(bytes.NewReader(mails[0]))
	if err != nil {
		t.Fatal(err)
	}
	subject, _ := new(mime.WordDecoder).DecodeHeader(msg.Header.Get("Subject"))
	if subject != m.Title || msg.Header.Get("X-Paperfeed-Delivery") != m.DeliveryID {
		t.Errorf("headers: %v", msg.Header)
	}
	mt, params, err := mime.ParseMediaType(msg.Header.Get("Content-Type"))
	if err != nil || mt != "multipart/alternative" {
		t.Fatalf("content type %q %v", mt, err)
	}
	parts := map[string]string{}
	mr := multipart.NewReader(msg.Body, params["boundary"])
	for {
		part, err := mr.NextPart()
		if err != nil {
			break
		}
		b, _ := io.ReadAll(part)
		ct, _, _ := mime.ParseMediaType(part.Header.Get("Content-Type"))
		if part.Header.Get("Content-Transfer-Encoding") == "quoted-printable" {
			b, _ = io.ReadAll(qpReader(b))
		}
		parts[ct] = string(b)
	}
	text, htm := parts["text/plain"], parts["text/html"]
	for _, want := range []string{"Agents <that> plan & act", "https://huggingface.co/papers/2612.00001", "The feed: https://pf.example/feed.rss?q=agents", "To stop"} {
		if !strings.Contains(text, want) {
			t.Errorf("the text part lacks %q:\n%s", want, text)
		}
	}
	if !strings.Contains(htm, `<a href="https://huggingface.co/papers/2612.00001">Agents &lt;that&gt; plan &amp; act</a>`) || !strings.Contains(htm, "To stop") {
		t.Errorf("the HTML part:\n%s", htm)
	}
	// A wrong password: an error that does not show it.
	cfg.Password = "wrong-secret"
	if _, err := Send(context.Background(), Settings{SMTP: cfg}, subs[0], m); err == nil || strings.Contains(err.Error(), "wrong-secret") {
		t.Errorf("a refused login: %v", err)
	}
}

func qpReader(b []byte) io.Reader { return quotedprintable.NewReader(bytes.NewReader(b)) }
