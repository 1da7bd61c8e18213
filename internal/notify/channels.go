package notify

import (
	"bytes"
	"context"
	"crypto/hmac"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"html"
	"io"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"time"
)

// Settings are what the channels need beyond a subscription.
type Settings struct {
	HTTP          *http.Client
	UserAgent     string
	WebhookSecret string // PAPERFEED_WEBHOOK_SECRET: the webhook's HMAC key
	TelegramAPI   string // Bot API base URL (https://api.telegram.org)
	SMTP          SMTP
}

// SendError is a failed delivery: Retry is how long the receiver asked
// to wait (0: not said); Permanent marks answers a retry cannot change.
type SendError struct {
	Err       error
	Retry     time.Duration
	Permanent bool
}

func (e *SendError) Error() string { return e.Err.Error() }
func (e *SendError) Unwrap() error { return e.Err }

// A channel is one way to push: how a notify file's target is read
// into a subscription, how a message is sent, and whether a message
// carries its papers whole (a webhook: every paper, as a JSON Feed, at
// most MaxPerPayload a delivery) or lists them for people (at most
// MaxPerMessage, and a link to the rest). Adding a channel is an entry
// in channels and its name in Channels.
type channel struct {
	target func(s *Subscription, target string, env Env) error
	send   func(ctx context.Context, set Settings, s Subscription, m *Message) (string, error)
	ready  func(set Settings) error // nil: needs no setting
	whole  bool
}

// channels are the channels by name.
var channels = map[string]channel{
	Email:    {target: emailTarget, send: sendMail, ready: func(set Settings) error { return set.SMTP.Validate() }},
	Slack:    {target: urlTarget, send: sendSlack},
	Discord:  {target: urlTarget, send: sendDiscord},
	Telegram: {target: telegramTarget, send: sendTelegram},
	Webhook:  {target: urlTarget, send: sendWebhook, ready: webhookReady, whole: true},
}

func sendMail(ctx context.Context, set Settings, s Subscription, m *Message) (string, error) {
	return sendEmail(ctx, set.SMTP, s, m)
}

func webhookReady(set Settings) error {
	if set.WebhookSecret == "" {
		return errors.New("webhooks are signed: set PAPERFEED_WEBHOOK_SECRET")
	}
	return nil
}

// Send delivers m through s's channel and returns the receiver's answer
// in one line (for `paperfeed notify test`). Errors never carry secrets.
func Send(ctx context.Context, set Settings, s Subscription, m *Message) (string, error) {
	c, ok := channels[s.Channel]
	if !ok {
		return "", &SendError{Err: fmt.Errorf("unknown channel %q", s.Channel), Permanent: true}
	}
	return c.send(ctx, set, s, m)
}

// Ready checks that the settings s's channel needs are set.
func (s Subscription) Ready(set Settings) error {
	if c := channels[s.Channel]; c.ready != nil {
		return c.ready(set)
	}
	return nil
}

// whole reports whether s's channel carries every paper of a message.
func (s Subscription) whole() bool { return channels[s.Channel].whole }

func sendSlack(ctx context.Context, set Settings, s Subscription, m *Message) (string, error) {
	body, _ := json.Marshal(map[string]any{"text": m.chat(slackLink, slackEscape, 38000), "unfurl_links": false})
	return post(ctx, set, s, s.url, body, nil)
}

func sendDiscord(ctx context.Context, set Settings, s Subscription, m *Message) (string, error) {
	body, _ := json.Marshal(map[string]any{"content": m.chat(mdLink, mdEscape, 2000), "allowed_mentions": map[string]any{"parse": []string{}}})
	return post(ctx, set, s, s.url, body, nil)
}

func sendTelegram(ctx context.Context, set Settings, s Subscription, m *Message) (string, error) {
	body, _ := json.Marshal(map[string]any{"chat_id": s.chatID, "text": m.chat(htmlLink, html.EscapeString, 4096),
		"parse_mode": "HTML", "link_preview_options": map[string]bool{"is_disabled": true}})
	base := strings.TrimSuffix(set.TelegramAPI, "/")
	if base == "" {
		base = "https://api.telegram.org"
	}
	return post(ctx, set, s, base+"/bot"+s.token+"/sendMessage", body, nil)
}

func sendWebhook(ctx context.Context, set Settings, s Subscription, m *Message) (string, error) {
	if set.WebhookSecret == "" {
		return "", &SendError{Err: errors.New("webhook: PAPERFEED_WEBHOOK_SECRET is not set; webhooks are signed"), Permanent: true}
	}
	payload := struct {
		DeliveryID   string          `json:"delivery_id"`
		Subscription string          `json:"subscription"`
		Title        string          `json:"title"`
		FeedURL      string          `json:"feed_url"`
		More         int             `json:"more,omitempty"`
		Feed         json.RawMessage `json:"feed"`
	}{m.DeliveryID, m.Subscription, m.Title, m.FeedURL, m.More, m.JSONFeed}
	if len(payload.Feed) == 0 {
		payload.Feed = json.RawMessage(`null`)
	}
	body, _ := json.Marshal(payload)
	mac := hmac.New(sha256.New, []byte(set.WebhookSecret))
	mac.Write(body)
	return post(ctx, set, s, s.url, body, map[string]string{
		"X-Paperfeed-Signature": "sha256=" + hex.EncodeToString(mac.Sum(nil)),
		"X-Paperfeed-Delivery":  m.DeliveryID,
	})
}

// post sends a JSON body and reads the answer: 2xx is delivered, 429 and
// 5xx are retried (Retry-After honoured), other answers too, up to the
// bound. Errors name the target as shown, never its URL.
func post(ctx context.Context, set Settings, s Subscription, target string, body []byte, hdr map[string]string) (string, error) {
	ctx, cancel := context.WithTimeout(ctx, 20*time.Second)
	defer cancel()
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, target, bytes.NewReader(body))
	if err != nil {
		return "", &SendError{Err: fmt.Errorf("%s %s: bad URL", s.Channel, s.Shown), Permanent: true}
	}
	req.Header.Set("Content-Type", "application/json")
	if set.UserAgent != "" {
		req.Header.Set("User-Agent", set.UserAgent)
	}
	for k, v := range hdr {
		req.Header.Set(k, v)
	}
	client := set.HTTP
	if client == nil {
		client = http.DefaultClient
	}
	resp, err := client.Do(req)
	if err != nil {
		var ue *url.Error
		if errors.As(err, &ue) {
			err = ue.Err // its text holds the URL, and the URL the secret
		}
		return "", &SendError{Err: fmt.Errorf("%s %s: %v", s.Channel, s.Shown, err)}
	}
	defer resp.Body.Close()
	answer, _ := io.ReadAll(io.LimitReader(resp.Body, 2048))
	line := fmt.Sprintf("%s %s: %s %s", s.Channel, s.Shown, resp.Status, strings.Join(strings.Fields(string(answer)), " "))
	if resp.StatusCode/100 == 2 {
		if s.Channel == Telegram {
			var ok struct {
				OK bool `json:"ok"`
			}
			if json.Unmarshal(answer, &ok) == nil && !ok.OK {
				return line, &SendError{Err: errors.New(line)}
			}
		}
		return line, nil
	}
	se := &SendError{Err: errors.New(line), Retry: retryAfter(resp.Header.Get("Retry-After"), answer)}
	return line, se
}

// retryAfter reads Retry-After (seconds or a date), or Telegram's
// parameters.retry_after.
func retryAfter(h string, body []byte) time.Duration {
	if n, err := strconv.Atoi(strings.TrimSpace(h)); err == nil && n > 0 {
		return time.Duration(n) * time.Second
	}
	if t, err := http.ParseTime(h); err == nil {
		return time.Until(t)
	}
	var tg struct {
		Parameters struct {
			RetryAfter int `json:"retry_after"`
		} `json:"parameters"`
	}
	if json.Unmarshal(body, &tg) == nil && tg.Parameters.RetryAfter > 0 {
		return time.Duration(tg.Parameters.RetryAfter) * time.Second
	}
	return 0
}

func slackLink(text, u string) string { return "<" + u + "|" + slackEscape(text) + ">" }
func slackEscape(s string) string {
	return strings.NewReplacer("&", "&amp;", "<", "&lt;", ">", "&gt;").Replace(s)
}
func mdLink(text, u string) string { return "[" + mdEscape(text) + "](<" + u + ">)" }
func mdEscape(s string) string {
	return strings.NewReplacer(`\`, `\\`, "*", `\*`, "_", `\_`, "[", `\[`, "]", `\]`, "`", "\\`", "~", `\~`, "|", `\|`, ">", `\>`, "@", "@\u200b").Replace(s)
}
func htmlLink(text, u string) string {
	return `<a href="` + html.EscapeString(u) + `">` + html.EscapeString(text) + "</a>"
}
