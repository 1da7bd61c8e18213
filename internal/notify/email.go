package notify

import (
	"context"
	"errors"
	"fmt"
	"strconv"
	"strings"

	mail "github.com/wneessen/go-mail"
)

// SMTP is how e-mail leaves: PAPERFEED_SMTP_HOST, _PORT, _USER,
// _PASSWORD, _FROM and _TLS (starttls, the default, which refuses a
// server that offers no STARTTLS; tls, implicit TLS; none, for a server
// on this machine or a trusted network).
type SMTP struct {
	Host, User, Password, From, TLS string
	Port                            int
}

// Validate checks the settings an e-mail subscription needs.
func (c SMTP) Validate() error {
	switch {
	case c.Host == "":
		return errors.New("e-mail needs PAPERFEED_SMTP_HOST")
	case c.From == "":
		return errors.New("e-mail needs PAPERFEED_SMTP_FROM (the sender address)")
	case c.TLS != "" && c.TLS != "starttls" && c.TLS != "tls" && c.TLS != "none":
		return fmt.Errorf("PAPERFEED_SMTP_TLS=%q: must be starttls (default), tls or none", c.TLS)
	}
	return nil
}

// sendEmail sends m as a multipart text + HTML mail (go-mail: a kept
// library that speaks SMTP, STARTTLS and implicit TLS, and writes MIME).
// A reader's mail carries its one-click unsubscribe (RFC 8058).
func sendEmail(ctx context.Context, c SMTP, s Subscription, m *Message) (string, error) {
	hdr := map[string]string{"X-Paperfeed-Delivery": m.DeliveryID}
	if m.Unsubscribe != "" {
		hdr["List-Unsubscribe"] = "<" + m.Unsubscribe + ">"
		hdr["List-Unsubscribe-Post"] = "List-Unsubscribe=One-Click"
	}
	return SendMail(ctx, c, Mail{To: s.address, Shown: s.Shown, Subject: m.Title, Text: m.Text(), HTML: m.HTML(),
		MessageID: m.DeliveryID + "@paperfeed", Header: hdr})
}

// Mail is one e-mail: to one address, a subject, a text and an HTML
// part, and headers of its own.
type Mail struct {
	To, Shown  string // the address, and how errors show it
	Subject    string
	Text, HTML string
	MessageID  string // "" for one of go-mail's
	Header     map[string]string
}

// SendMail sends one mail through the SMTP server and returns its answer
// in one line. Errors never carry the password.
func SendMail(ctx context.Context, c SMTP, m Mail) (string, error) {
	if err := c.Validate(); err != nil {
		return "", &SendError{Err: err, Permanent: true}
	}
	msg := mail.NewMsg()
	if err := msg.From(c.From); err != nil {
		return "", &SendError{Err: fmt.Errorf("PAPERFEED_SMTP_FROM: %w", err), Permanent: true}
	}
	if err := msg.To(m.To); err != nil {
		return "", &SendError{Err: fmt.Errorf("email %s: %w", m.Shown, err), Permanent: true}
	}
	msg.Subject(m.Subject)
	if m.MessageID != "" {
		msg.SetMessageIDWithValue(m.MessageID)
	}
	for k, v := range m.Header {
		msg.SetGenHeader(mail.Header(k), v)
	}
	msg.SetBodyString(mail.TypeTextPlain, m.Text)
	msg.AddAlternativeString(mail.TypeTextHTML, m.HTML)
	port := c.Port
	opts := []mail.Option{mail.WithTimeout(20e9)}
	switch c.TLS {
	case "tls":
		if port == 0 {
			port = 465
		}
		opts = append(opts, mail.WithSSL())
	case "none":
		if port == 0 {
			port = 25
		}
		opts = append(opts, mail.WithTLSPolicy(mail.NoTLS))
	default:
		if port == 0 {
			port = 587
		}
		opts = append(opts, mail.WithTLSPolicy(mail.TLSMandatory))
	}
	opts = append(opts, mail.WithPort(port))
	if c.User != "" {
		opts = append(opts, mail.WithSMTPAuth(mail.SMTPAuthPlain), mail.WithUsername(c.User), mail.WithPassword(c.Password))
	}
	cl, err := mail.NewClient(c.Host, opts...)
	if err != nil {
		return "", &SendError{Err: fmt.Errorf("email via %s: %w", c.Host, err), Permanent: true}
	}
	if err := cl.DialAndSendWithContext(ctx, msg); err != nil {
		err = fmt.Errorf("email to %s via %s:%d: %w", m.Shown, c.Host, port, err)
		if (c.TLS == "" || c.TLS == "starttls") && strings.Contains(err.Error(), "not support STARTTLS") {
			err = fmt.Errorf("%w; the server offers no STARTTLS and paperfeed does not send mail in the clear unless told: "+
				"for a server on this machine or a network you trust set PAPERFEED_SMTP_TLS=none (-smtp-tls none); "+
				"for implicit TLS (port 465) set PAPERFEED_SMTP_TLS=tls", err)
		}
		return "", &SendError{Err: err}
	}
	return "email " + m.Shown + ": accepted by " + c.Host + ":" + strconv.Itoa(port), nil
}
