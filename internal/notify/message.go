package notify

import (
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"html"
	"strconv"
	"strings"
	"time"

	"paperfeed/feed"
)

// MaxPerMessage papers are listed in a chat message or a mail; the rest
// are counted ("and N more") and linked through the feed. A webhook's
// payload carries every paper (MaxPerPayload).
const MaxPerMessage = 10

// Paper is one paper as a message lists it.
type Paper struct {
	ID      string `json:"id"`
	Title   string `json:"title"`
	URL     string `json:"url"`
	Authors string `json:"authors,omitempty"`
	Upvotes int    `json:"upvotes,omitempty"`
	Code    string `json:"code,omitempty"`
	Note    string `json:"note,omitempty"` // what the feed adds: "▲ 42 in 24 h", a venue
}

// Message is one delivery: what it carries, in the channel-neutral form
// every channel renders from. It is saved before it is sent, so a retry
// (after a failure or a restart) sends the same message with the same
// delivery ID.
type Message struct {
	DeliveryID   string `json:"delivery_id"`
	Subscription string `json:"subscription"`
	Title        string `json:"title"`
	FeedURL      string `json:"feed_url"`
	// Papers are those listed: a digest's, or up to MaxPerMessage of a
	// chat message's or a mail's, or every paper of a webhook delivery.
	Papers []Paper `json:"papers"`
	// More counts the papers not listed (in the feed), or, for a
	// webhook, those that follow in the next deliveries.
	More int       `json:"more,omitempty"`
	Keys []string  `json:"keys"` // what it delivers: paper IDs, version GUIDs, digest periods
	Made time.Time `json:"made"`
	// JSONFeed is the JSON Feed document of its items (the webhook's
	// payload carries it).
	JSONFeed []byte `json:"json_feed,omitempty"`
	// Stop says how to stop these messages; Unsubscribe, for a reader's
	// subscription, is the URL that does it in one click (the mail's
	// List-Unsubscribe).
	Stop        string `json:"stop"`
	Unsubscribe string `json:"unsubscribe,omitempty"`
}

// deliveryID is the idempotency key of a message: the same subscription
// and keys give the same ID.
func deliveryID(sub string, keys []string) string {
	h := sha256.Sum256([]byte(sub + "\x00" + strings.Join(keys, "\x00")))
	return hex.EncodeToString(h[:12])
}

// Text is the message as plain text (e-mail's text part, Discord).
func (m *Message) Text() string {
	var b strings.Builder
	b.WriteString(m.Title + "\n\n")
	for _, p := range m.Papers {
		fmt.Fprintf(&b, "- %s\n  %s\n", p.Title, p.URL)
		if line := p.facts(); line != "" {
			b.WriteString("  " + line + "\n")
		}
	}
	if m.More > 0 {
		fmt.Fprintf(&b, "\n... and %d more: %s\n", m.More, m.FeedURL)
	}
	fmt.Fprintf(&b, "\nThe feed: %s\n%s\n", m.FeedURL, m.Stop)
	return b.String()
}

// HTML is the message as HTML (e-mail's HTML part).
func (m *Message) HTML() string {
	e := html.EscapeString
	var b strings.Builder
	b.WriteString("<!doctype html><html><body style=\"font-family:sans-serif\">")
	fmt.Fprintf(&b, "<h2>%s</h2>", e(m.Title))
	if len(m.Papers) > 0 {
		b.WriteString("<ul>")
		for _, p := range m.Papers {
			fmt.Fprintf(&b, `<li><a href="%s">%s</a>`, e(p.URL), e(p.Title))
			if line := p.facts(); line != "" {
				fmt.Fprintf(&b, "<br><small>%s</small>", e(line))
			}
			b.WriteString("</li>")
		}
		b.WriteString("</ul>")
	}
	if m.More > 0 {
		fmt.Fprintf(&b, `<p>… and <a href="%s">%d more</a>.</p>`, e(m.FeedURL), m.More)
	}
	fmt.Fprintf(&b, `<p><a href="%s">The feed</a></p>`, e(m.FeedURL))
	if m.Unsubscribe != "" {
		fmt.Fprintf(&b, `<p><small>To stop these messages: <a href="%s">unsubscribe</a> (one click, no login).</small></p>`, e(m.Unsubscribe))
	} else {
		fmt.Fprintf(&b, `<p><small>%s</small></p>`, e(m.Stop))
	}
	b.WriteString("</body></html>")
	return b.String()
}

// facts is a paper's line of facts: authors, upvotes, code, note.
func (p Paper) facts() string {
	var parts []string
	if p.Authors != "" {
		parts = append(parts, p.Authors)
	}
	if p.Upvotes > 0 {
		parts = append(parts, "▲ "+strconv.Itoa(p.Upvotes))
	}
	if p.Note != "" {
		parts = append(parts, p.Note)
	}
	if p.Code != "" {
		parts = append(parts, "code: "+p.Code)
	}
	return strings.Join(parts, " · ")
}

// chat is the message in a chat's markup (link renders a link, esc
// escapes text), within limit bytes: papers that do not fit are counted
// with the rest.
func (m *Message) chat(link func(text, url string) string, esc func(string) string, limit int) string {
	var b strings.Builder
	b.WriteString(esc(m.Title) + "\n")
	more := m.More
	for i, p := range m.Papers {
		line := "• " + link(p.Title, p.URL)
		if f := p.facts(); f != "" {
			line += " — " + esc(f)
		}
		if b.Len()+len(line)+300 > limit {
			more += len(m.Papers) - i
			break
		}
		b.WriteString(line + "\n")
	}
	if more > 0 {
		b.WriteString(esc(fmt.Sprintf("… and %d more: ", more)) + link("the feed", m.FeedURL) + "\n")
	} else {
		b.WriteString(link("The feed", m.FeedURL) + "\n")
	}
	return b.String()
}

// Sample is the message `paperfeed notify test` sends: one sample paper,
// marked as a test, in every part a real message has (the webhook's JSON
// Feed carries it as an item).
func Sample(s Subscription, feedURL string) *Message {
	now := time.Now().UTC()
	it := feed.Item{Paper: &feed.Paper{ID: "1706.03762", Title: "Attention Is All You Need (a sample paper: this is a test message)",
		Authors: []string{"Ashish Vaswani", "Noam Shazeer"}, Published: time.Date(2017, 6, 12, 0, 0, 0, 0, time.UTC),
		Abstract: "A sample item: real messages carry the papers that joined the feed."}, Date: now}
	m := &Message{Subscription: s.Name, Title: "paperfeed · " + s.Name + ": test message", FeedURL: feedURL, Made: now,
		Papers: []Paper{paperOf(&it)}, Keys: []string{"test/" + now.Format(time.RFC3339Nano)},
		Stop: "This is a test sent by `paperfeed notify test " + s.Name + "`; real messages say how to stop them."}
	m.DeliveryID = deliveryID(s.Name, m.Keys)
	m.JSONFeed, _ = feed.RenderBytes(feed.JSON, feed.Meta{Title: m.Title, SelfURL: feedURL, Updated: now}, []feed.Item{it})
	return m
}
