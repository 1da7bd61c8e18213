// Package smtptest starts a real SMTP server (go-smtp) on a free
// loopback port for tests, keeps what it receives, and reads each mail's
// headers and text and HTML parts. It can ask for PLAIN authentication
// and answer slowly (a delay before every reply to a command of a
// mail), as a loaded mail server does. It is stopped when the test ends.
package smtptest

import (
	"bytes"
	"encoding/base64"
	"errors"
	"io"
	"mime"
	"mime/multipart"
	"mime/quotedprintable"
	"net"
	"net/mail"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/emersion/go-sasl"
	"github.com/emersion/go-smtp"
)

// Options shape the server.
type Options struct {
	// User and Password, when Password is set, are the only login
	// accepted (PLAIN, without TLS: loopback only).
	User, Password string
	// Delay is waited before answering MAIL, RCPT and the end of DATA.
	Delay time.Duration
}

// Mail is one message received.
type Mail struct {
	From    string
	To      []string
	Raw     []byte
	Header  mail.Header
	Subject string // decoded
	Text    string // the text/plain part, decoded
	HTML    string // the text/html part, decoded
}

// Server is a running SMTP server.
type Server struct {
	opts Options
	addr string

	mu     sync.Mutex
	mails  []Mail
	logins []string
	cond   chan struct{} // closed and replaced on each mail
}

// Start starts a server on a free loopback port.
func Start(t testing.TB, o Options) *Server {
	t.Helper()
	s := &Server{opts: o, cond: make(chan struct{})}
	srv := smtp.NewServer(s)
	srv.Domain = "localhost"
	srv.AllowInsecureAuth = true
	srv.ReadTimeout, srv.WriteTimeout = time.Minute, time.Minute
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	s.addr = l.Addr().String()
	go func() { _ = srv.Serve(l) }()
	t.Cleanup(func() { srv.Close() })
	return s
}

// Addr is host:port.
func (s *Server) Addr() string { return s.addr }

// Host is the server's host.
func (s *Server) Host() string { h, _, _ := net.SplitHostPort(s.addr); return h }

// Port is the server's port.
func (s *Server) Port() int {
	_, p, _ := net.SplitHostPort(s.addr)
	n, _ := strconv.Atoi(p)
	return n
}

// Mails are the messages received so far.
func (s *Server) Mails() []Mail {
	s.mu.Lock()
	defer s.mu.Unlock()
	return append([]Mail(nil), s.mails...)
}

// Logins are the user:password pairs tried.
func (s *Server) Logins() []string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return append([]string(nil), s.logins...)
}

// Wait waits up to d for at least n messages and returns those received.
func (s *Server) Wait(n int, d time.Duration) []Mail {
	deadline := time.After(d)
	for {
		s.mu.Lock()
		got, ch := len(s.mails), s.cond
		s.mu.Unlock()
		if got >= n {
			return s.Mails()
		}
		select {
		case <-ch:
		case <-deadline:
			return s.Mails()
		}
	}
}

// NewSession is go-smtp's backend.
func (s *Server) NewSession(*smtp.Conn) (smtp.Session, error) { return &session{s: s}, nil }

type session struct {
	s    *Server
	from string
	to   []string
}

func (ss *session) AuthMechanisms() []string {
	if ss.s.opts.Password == "" {
		return nil
	}
	return []string{sasl.Plain}
}

func (ss *session) Auth(string) (sasl.Server, error) {
	return sasl.NewPlainServer(func(_, user, pass string) error {
		ss.s.mu.Lock()
		ss.s.logins = append(ss.s.logins, user+":"+pass)
		ss.s.mu.Unlock()
		if user != ss.s.opts.User || pass != ss.s.opts.Password {
			return errors.New("bad login")
		}
		return nil
	}), nil
}

func (ss *session) wait() { time.Sleep(ss.s.opts.Delay) }

func (ss *session) Mail(from string, _ *smtp.MailOptions) error {
	ss.wait()
	ss.from = from
	return nil
}

func (ss *session) Rcpt(to string, _ *smtp.RcptOptions) error {
	ss.wait()
	ss.to = append(ss.to, to)
	return nil
}

func (ss *session) Data(r io.Reader) error {
	b, err := io.ReadAll(r)
	if err != nil {
		return err
	}
	ss.wait()
	m := Read(b)
	m.From, m.To = ss.from, ss.to
	ss.s.mu.Lock()
	ss.s.mails = append(ss.s.mails, m)
	close(ss.s.cond)
	ss.s.cond = make(chan struct{})
	ss.s.mu.Unlock()
	return nil
}

func (ss *session) Reset()        { ss.from, ss.to = "", nil }
func (ss *session) Logout() error { return nil }

// Read reads a message's headers and its text and HTML parts (a single
// part or multipart/alternative; quoted-printable or base64). What
// cannot be read is left empty. Line ends are \n.
func Read(raw []byte) Mail {
	m := Mail{Raw: raw}
	msg, err := mail.ReadMessage(bytes.NewReader(raw))
	if err != nil {
		return m
	}
	m.Header = msg.Header
	m.Subject, _ = new(mime.WordDecoder).DecodeHeader(msg.Header.Get("Subject"))
	mt, params, err := mime.ParseMediaType(msg.Header.Get("Content-Type"))
	if err != nil {
		return m
	}
	if !strings.HasPrefix(mt, "multipart/") {
		m.setPart(mt, msg.Header.Get("Content-Transfer-Encoding"), msg.Body)
		return m
	}
	mr := multipart.NewReader(msg.Body, params["boundary"])
	for {
		p, err := mr.NextPart()
		if err != nil {
			return m
		}
		ct, _, _ := mime.ParseMediaType(p.Header.Get("Content-Type"))
		m.setPart(ct, p.Header.Get("Content-Transfer-Encoding"), p)
	}
}

func (m *Mail) setPart(mediaType, encoding string, r io.Reader) {
	switch strings.ToLower(encoding) {
	case "quoted-printable":
		r = quotedprintable.NewReader(r)
	case "base64":
		r = base64.NewDecoder(base64.StdEncoding, r)
	}
	b, _ := io.ReadAll(r)
	b = bytes.ReplaceAll(b, []byte("\r\n"), []byte("\n")) // the wire's line ends
	switch mediaType {
	case "text/plain":
		m.Text = string(b)
	case "text/html":
		m.HTML = string(b)
	}
}
