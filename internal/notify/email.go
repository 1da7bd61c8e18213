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
func sendEmail(ctx context.Context, c SMTP, s Subscription, m *Message) (string, error) {
	if err := c.Validate(); err != nil {
		return "", &SendError{Err: err, Permanent: true}
	}
	msg := mail.NewMsg()
	if err := msg.From(c.From); err != nil {
		return "", &SendError{Err: fmt.Errorf("PAPERFEED_SMTP_FROM: %w", err), Permanent: true}
	}
	if err := msg.To(s.address); err != nil {
		return "", &SendError{Err: fmt.Errorf("email %s: %w", s.Shown, err), Permanent: true}
	}
	msg.Subject(m.Title)
	msg.SetMessageIDWithValue(m.DeliveryID + "@paperfeed")
	msg.SetGenHeader("X-Paperfeed-Delivery", m.DeliveryID)
	msg.SetBodyString(mail.TypeTextPlain, m.Text())
	msg.AddAlternativeString(mail.TypeTextHTML, m.HTML())
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
		return "", &SendError{Err: fmt.Errorf("email via %s: %v", c.Host, err), Permanent: true}
	}
	if err := cl.DialAndSendWithContext(ctx, msg); err != nil {
		err = fmt.Errorf("email to %s via %s:%d: %w", s.Shown, c.Host, port, err)
		if (c.TLS == "" || c.TLS == "starttls") && strings.Contains(err.Error(), "not support STARTTLS") {
			err = fmt.Errorf("%w; the server offers no STARTTLS and paperfeed does not send mail in the clear unless told: "+
				"for a server on this machine or a network you trust set PAPERFEED_SMTP_TLS=none (-smtp-tls none); "+
				"for implicit TLS (port 465) set PAPERFEED_SMTP_TLS=tls", err)
		}
		return "", &SendError{Err: err}
	}
	return "email " + s.Shown + ": accepted by " + c.Host + ":" + strconv.Itoa(port), nil
}
