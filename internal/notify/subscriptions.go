package notify

import (
	"bufio"
	"errors"
	"fmt"
	"io"
	"net/mail"
	"net/url"
	"os"
	"regexp"
	"strings"
	"unicode"
	"unicode/utf8"
)

// Channels by name.
const (
	Email    = "email"
	Slack    = "slack"
	Discord  = "discord"
	Telegram = "telegram"
	Webhook  = "webhook"
)

// Channels lists the channel names, for messages.
var Channels = []string{Email, Slack, Discord, Telegram, Webhook}

// Subscription is one line of the notify file.
type Subscription struct {
	Name     string
	Channel  string
	Query    string // the filter as written, without backfill
	Backfill bool
	// Shown is the target as logs and /status may show it: an address,
	// a URL's scheme and host, a chat ID; never a secret.
	Shown string
	// Unsubscribe, for a reader's subscription, is the URL that cancels
	// it in one click (RFC 8058); "" for a line of the notify file.
	Unsubscribe string
	// Title names it in its messages' titles ("": its name).
	Title string

	url     string // slack, discord, webhook: the URL to POST to
	address string // email
	token   string // telegram: the bot token
	chatID  string // telegram
}

var subName = regexp.MustCompile(`^[a-z0-9][a-z0-9-]{0,39}$`)

// Env reads the environment (os.LookupEnv; tests give their own).
type Env func(string) (string, bool)

// ParseSubscriptions reads a notify file: one "name: channel target
// filter" per line, blank lines and # comments ignored, the filter being
// the rest of the line (a feed URL's query string, which may hold spaces
// as a topics line's does). Targets may name environment variables
// ($SLACK_AGENTS_URL, or for Telegram $BOT_TOKEN:chat_id); validate
// checks each filter. The first line that cannot work is the error.
func ParseSubscriptions(r io.Reader, src string, env Env, validate func(query string) error) ([]Subscription, error) {
	lines, err := ReadLines(r, src, env, validate)
	if err != nil {
		return nil, err
	}
	out := make([]Subscription, 0, len(lines))
	for _, l := range lines {
		if l.Err != nil {
			return nil, l.Err
		}
		out = append(out, l.Sub)
	}
	return out, nil
}

// Line is one subscription line of a notify file, read on its own.
type Line struct {
	N    int    // its line number
	Name string // "" when the line names none
	Sub  Subscription
	Err  error // what keeps the line from working, naming the file and line
}

// ReadLines reads every subscription line of a notify file, each on its
// own: one line's fault does not hide the others (paperfeed notify test
// tries the line it names). The error is the file's, not a line's.
func ReadLines(r io.Reader, src string, env Env, validate func(query string) error) ([]Line, error) {
	var out []Line
	seen := map[string]bool{}
	sc := bufio.NewScanner(r)
	for n := 1; sc.Scan(); n++ {
		line := strings.TrimSpace(sc.Text())
		if line == "" || strings.HasPrefix(line, "#") {
			continue
		}
		l := Line{N: n}
		name, rest, ok := strings.Cut(line, ":")
		name = strings.TrimSpace(name)
		switch {
		case !ok || !subName.MatchString(name):
			l.Err = errors.New(`want "name: channel target filter", with a name of lower-case letters, digits and dashes`)
		case seen[name]:
			l.Name, l.Err = name, fmt.Errorf("subscription %q is defined twice", name)
		default:
			seen[name] = true
			l.Name = name
			l.Sub, l.Err = parseLine(name, rest, env, validate)
			if l.Err != nil {
				l.Err = fmt.Errorf("%s: %w", name, l.Err)
			}
		}
		if l.Err != nil {
			l.Err = fmt.Errorf("%s line %d: %w", src, n, l.Err)
		}
		out = append(out, l)
	}
	if err := sc.Err(); err != nil {
		return nil, fmt.Errorf("%s: %w", src, err)
	}
	return out, nil
}

// parseLine reads what follows a line's name: the channel, the target,
// and the rest of the line as the filter.
func parseLine(name, rest string, env Env, validate func(string) error) (Subscription, error) {
	channel, rest := cutField(rest)
	target, query := cutField(rest)
	if channel == "" || target == "" {
		return Subscription{}, errors.New(`want "channel target filter" (the filter may be empty), e.g. agents: webhook https://hooks.example.org/in q=agents&min_upvotes=20`)
	}
	s := Subscription{Name: name, Channel: channel}
	v, err := url.ParseQuery(strings.TrimPrefix(query, "?"))
	if err != nil {
		return s, fmt.Errorf("the filter is not a query string: %w", err)
	}
	if b := v.Get("backfill"); v.Has("backfill") {
		if b != "1" && b != "0" {
			return s, fmt.Errorf("backfill=%s: must be 1 (send what the feed holds now, once) or 0", b)
		}
		s.Backfill = b == "1"
		v.Del("backfill")
	}
	s.Query = v.Encode()
	if validate != nil {
		if err := validate(s.Query); err != nil {
			return s, err
		}
	}
	if err := s.setTarget(target, env); err != nil {
		return s, err
	}
	return s, nil
}

// cutField cuts the first space-separated field off s; the rest is
// trimmed.
func cutField(s string) (field, rest string) {
	s = strings.TrimSpace(s)
	i := strings.IndexFunc(s, unicode.IsSpace)
	if i < 0 {
		return s, ""
	}
	return s[:i], strings.TrimSpace(s[i:])
}

// LoadSubscriptions reads the notify file at path, its references
// resolved in env.
func LoadSubscriptions(path string, env Env, validate func(string) error) ([]Subscription, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, fmt.Errorf("notify file: %w", err)
	}
	defer f.Close()
	return ParseSubscriptions(f, path, env, validate)
}

// resolve reads a $NAME reference from the environment; other text is
// itself.
func resolve(s string, env Env) (string, error) {
	name, ok := strings.CutPrefix(s, "$")
	if !ok {
		return s, nil
	}
	v, set := env(strings.Trim(name, "{}"))
	if !set || v == "" {
		return "", fmt.Errorf("the environment variable %s is not set", name)
	}
	return v, nil
}

func (s *Subscription) setTarget(target string, env Env) error {
	c, ok := channels[s.Channel]
	if !ok {
		return fmt.Errorf("unknown channel %q; channels are %s", s.Channel, strings.Join(Channels, ", "))
	}
	return c.target(s, target, env)
}

// emailTarget reads an address (or $VAR naming one).
func emailTarget(s *Subscription, target string, env Env) error {
	addr, err := resolve(target, env)
	if err != nil {
		return err
	}
	a, err := mail.ParseAddress(addr)
	if err != nil {
		return fmt.Errorf("email target %q is not an address: %v", target, err)
	}
	s.address, s.Shown = a.Address, shownAddress(a.Address)
	return nil
}

// urlTarget reads the http(s) URL a message is POSTed to (or $VAR
// naming one), shown by its host.
func urlTarget(s *Subscription, target string, env Env) error {
	raw, err := resolve(target, env)
	if err != nil {
		return err
	}
	u, err := url.Parse(raw)
	if err != nil || (u.Scheme != "https" && u.Scheme != "http") || u.Host == "" {
		return fmt.Errorf("%s target must be an http(s) URL (or $VAR naming one)", s.Channel)
	}
	s.url, s.Shown = raw, u.Scheme+"://"+u.Host+"/…"
	return nil
}

// telegramTarget reads $BOT_TOKEN_VAR:chat_id.
func telegramTarget(s *Subscription, target string, env Env) error {
	ref, chat, ok := strings.Cut(target, ":")
	if !ok || !strings.HasPrefix(ref, "$") || chat == "" {
		return fmt.Errorf("telegram target must be $BOT_TOKEN_VAR:chat_id (the token by reference, never written in the file)")
	}
	tok, err := resolve(ref, env)
	if err != nil {
		return err
	}
	s.token, s.chatID, s.Shown = tok, chat, "chat "+chat
	return nil
}

// shownAddress is how logs and /status show an address: by its first
// letter and its domain (a…@example.org), as a URL is by its host.
func shownAddress(a string) string {
	local, domain, _ := strings.Cut(a, "@")
	first, _ := utf8.DecodeRuneInString(local)
	return string(first) + "…@" + domain
}

// label names a subscription in its messages' titles.
func (s Subscription) label() string {
	if s.Title != "" {
		return s.Title
	}
	return s.Name
}
