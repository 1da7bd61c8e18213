package notify

import (
	"bufio"
	"fmt"
	"io"
	"net/mail"
	"net/url"
	"os"
	"regexp"
	"strings"
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

	url     string // slack, discord, webhook: the URL to POST to
	address string // email
	token   string // telegram: the bot token
	chatID  string // telegram
}

var subName = regexp.MustCompile(`^[a-z0-9][a-z0-9-]{0,39}$`)

// Env reads the environment (os.LookupEnv; tests give their own).
type Env func(string) (string, bool)

// ParseSubscriptions reads a notify file: one "name: channel target
// filter-query" per line, blank lines and # comments ignored. Targets may
// name environment variables ($SLACK_AGENTS_URL, or for Telegram
// $BOT_TOKEN:chat_id); validate checks each filter.
func ParseSubscriptions(r io.Reader, src string, env Env, validate func(query string) error) ([]Subscription, error) {
	var out []Subscription
	seen := map[string]bool{}
	sc := bufio.NewScanner(r)
	for n := 1; sc.Scan(); n++ {
		line := strings.TrimSpace(sc.Text())
		if line == "" || strings.HasPrefix(line, "#") {
			continue
		}
		fail := func(format string, a ...any) error {
			return fmt.Errorf("%s line %d: %s", src, n, fmt.Sprintf(format, a...))
		}
		name, rest, ok := strings.Cut(line, ":")
		name = strings.TrimSpace(name)
		if !ok || !subName.MatchString(name) {
			return nil, fail(`want "name: channel target filter", with a name of lower-case letters, digits and dashes`)
		}
		if seen[name] {
			return nil, fail("subscription %q is defined twice", name)
		}
		seen[name] = true
		fields := strings.Fields(rest)
		if len(fields) < 2 || len(fields) > 3 {
			return nil, fail("%s: want \"channel target filter\" (the filter may be empty), e.g. agents: webhook https://hooks.example.org/in q=agents&min_upvotes=20", name)
		}
		s := Subscription{Name: name, Channel: fields[0]}
		query := ""
		if len(fields) == 3 {
			query = strings.TrimPrefix(fields[2], "?")
		}
		v, err := url.ParseQuery(query)
		if err != nil {
			return nil, fail("%s: the filter is not a query string: %v", name, err)
		}
		if b := v.Get("backfill"); v.Has("backfill") {
			if b != "1" && b != "0" {
				return nil, fail("%s: backfill=%s: must be 1 (send what the feed holds now, once) or 0", name, b)
			}
			s.Backfill = b == "1"
			v.Del("backfill")
		}
		s.Query = v.Encode()
		if validate != nil {
			if err := validate(s.Query); err != nil {
				return nil, fail("%s: %v", name, err)
			}
		}
		if err := s.setTarget(fields[1], env); err != nil {
			return nil, fail("%s: %v", name, err)
		}
		out = append(out, s)
	}
	if err := sc.Err(); err != nil {
		return nil, fmt.Errorf("%s: %w", src, err)
	}
	return out, nil
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
	switch s.Channel {
	case Email:
		addr, err := resolve(target, env)
		if err != nil {
			return err
		}
		a, err := mail.ParseAddress(addr)
		if err != nil {
			return fmt.Errorf("email target %q is not an address: %v", target, err)
		}
		s.address, s.Shown = a.Address, a.Address
	case Slack, Discord, Webhook:
		raw, err := resolve(target, env)
		if err != nil {
			return err
		}
		u, err := url.Parse(raw)
		if err != nil || (u.Scheme != "https" && u.Scheme != "http") || u.Host == "" {
			return fmt.Errorf("%s target must be an http(s) URL (or $VAR naming one)", s.Channel)
		}
		s.url, s.Shown = raw, u.Scheme+"://"+u.Host+"/…"
	case Telegram:
		ref, chat, ok := strings.Cut(target, ":")
		if !ok || !strings.HasPrefix(ref, "$") || chat == "" {
			return fmt.Errorf("telegram target must be $BOT_TOKEN_VAR:chat_id (the token by reference, never written in the file)")
		}
		tok, err := resolve(ref, env)
		if err != nil {
			return err
		}
		s.token, s.chatID, s.Shown = tok, chat, "chat "+chat
	default:
		return fmt.Errorf("unknown channel %q; channels are %s", s.Channel, strings.Join(Channels, ", "))
	}
	return nil
}
