package server

import (
	"context"
	"errors"
	"fmt"
	"math"
	"net/http"
	"net/url"
	"os"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/prometheus/client_golang/prometheus"

	"paperfeed/feed"
	"paperfeed/filter"
	"paperfeed/internal/notify"
	"paperfeed/internal/state"
	"paperfeed/scrape"
)

// Push (package notify has the rules): the notify file is read at start,
// every filter validated like a topic's, and the settings its channels
// need checked then; the notifier runs after every data change and every
// 15 seconds (for retries), on the leading replica only, and reads each
// subscription's feed through the engine as a reader's request would.

// LoadSubscriptions reads the notify file (its $references resolved in
// env) and checks that its channels can work with cfg (e-mail needs SMTP
// settings, webhooks a signing key). The first line that cannot work is
// the error.
func LoadSubscriptions(cfg Config, env notify.Env) ([]notify.Subscription, error) {
	lines, err := notifyLines(cfg, env)
	if err != nil {
		return nil, err
	}
	subs := make([]notify.Subscription, 0, len(lines))
	for _, l := range lines {
		if l.Err != nil {
			return nil, l.Err
		}
		subs = append(subs, l.Sub)
	}
	return subs, nil
}

// notifyLines reads every line of the notify file on its own: a line's
// Err says what keeps it from working, its filter or its channel.
func notifyLines(cfg Config, env notify.Env) ([]notify.Line, error) {
	if cfg.NotifyFile == "" {
		return nil, nil
	}
	opts := filter.Options{Today: feed.DayOf(time.Now()), Earliest: feed.FirstListing, MaxDays: feed.MaxDays}
	f, err := os.Open(cfg.NotifyFile)
	if err != nil {
		return nil, fmt.Errorf("invalid -notify / PAPERFEED_NOTIFY: notify file: %w", err)
	}
	defer f.Close()
	lines, err := notify.ReadLines(f, cfg.NotifyFile, env, func(q string) error { return validSubscriptionFilter(q, opts) })
	if err != nil {
		return nil, fmt.Errorf("invalid -notify / PAPERFEED_NOTIFY: %w", err)
	}
	for i := range lines {
		l := &lines[i]
		if l.Err == nil {
			l.Err = channelReady(cfg, l.Sub)
		}
		if l.Err != nil {
			l.Err = fmt.Errorf("invalid -notify / PAPERFEED_NOTIFY: %w", l.Err)
		}
	}
	return lines, nil
}

// validSubscriptionFilter checks a subscription's filter as a feed's.
func validSubscriptionFilter(q string, opts filter.Options) error {
	v, err := url.ParseQuery(q)
	if err != nil {
		return err
	}
	if v.Has("since") || v.Has("until") || v.Has("format") {
		return errors.New("since, until and format have no meaning in a subscription; use days")
	}
	if v.Has("limit") {
		return fmt.Errorf("limit=%s has no meaning in a subscription: every paper that joins the feed is sent, however many join at once "+
			"(a mail or chat message lists %d and links the rest; a webhook's payload carries them all)", v.Get("limit"), notify.MaxPerMessage)
	}
	_, err = filter.Parse(v, opts)
	return err
}

// channelReady checks that the settings a subscription's channel needs
// are set.
func channelReady(cfg Config, s notify.Subscription) error {
	if err := s.Ready(notify.Settings{WebhookSecret: cfg.WebhookSecret, SMTP: cfg.SMTP}); err != nil {
		return fmt.Errorf("notify subscription %s: %w", s.Name, err)
	}
	return nil
}

// NotifySettings are the channels' settings of cfg.
func NotifySettings(cfg Config) notify.Settings {
	return notify.Settings{HTTP: pushClient(), UserAgent: scrape.UserAgent(Version, cfg.Contact),
		WebhookSecret: cfg.WebhookSecret, TelegramAPI: cfg.TelegramAPI, SMTP: cfg.SMTP}
}

// pushClient is the upstreams' client without their one connection per
// host: subscriptions are sent side by side, and many share a host (every
// Slack line is on hooks.slack.com), so one receiver slow to answer would
// hold up every other line to its host.
func pushClient() *http.Client {
	c := scrape.NewHTTPClient(20 * time.Second)
	c.Transport.(*http.Transport).MaxConnsPerHost = 0
	return c
}

// notifySource is the feed side as the notifier reads it.
type notifySource struct{ s *Server }

// base is the public URL messages link to.
func (ns notifySource) base() string { return messageBase(ns.s.cfg) }

// messageBase is the public URL messages link to: -base-url, else this
// machine's listening address.
func messageBase(cfg Config) string {
	if cfg.BaseURL != "" {
		return cfg.BaseURL
	}
	host := cfg.Addr
	if strings.HasPrefix(host, ":") {
		host = "localhost" + host
	}
	return "http://" + host
}

// query is a subscription's filter as the notifier reads it: a paper
// is dated when it qualified (it is sent then), and every paper or
// digest the filter keeps is read, without the limit a feed has.
func (ns notifySource) query(raw string) (filter.Query, error) {
	v, err := url.ParseQuery(raw)
	if err != nil {
		return filter.Query{}, err
	}
	if !v.Has("digest") {
		v.Set("date_by", filter.DateQualified)
	}
	q, err := filter.Parse(v, ns.s.engine.Options())
	q.Limit = 0 // papers: no limit
	if q.Digest != "" {
		q.Limit = math.MaxInt // digests: every closed period held
	}
	return q, err
}

// Mark is where a subscription that begins now begins: once every source
// has completed its first load, and after a restart the refreshes that
// were due (refresh.Service.Current), the newest listing day of each,
// and of the days the query's digests are made of.
func (ns notifySource) Mark(_ context.Context, raw string) (notify.Mark, error) {
	q, err := ns.query(raw)
	if err != nil {
		return notify.Mark{}, err
	}
	if !ns.s.refresh.Current() {
		return notify.Mark{}, notify.ErrNotReady
	}
	v := ns.s.engine.View()
	m := notify.Mark{Newest: map[string]time.Time{}}
	for src, days := range map[string][]time.Time{feed.SourceHF: v.HFDays, feed.SourceArxiv: v.ArxivDays} {
		if len(days) > 0 {
			m.Newest[src] = days[0] // newest first
		}
	}
	switch q.Source {
	case feed.SourceArxiv:
		m.Digest = m.Newest[feed.SourceArxiv]
	case feed.SourceAll:
		m.Digest = m.Newest[feed.SourceHF]
		if ax := m.Newest[feed.SourceArxiv]; ax.After(m.Digest) {
			m.Digest = ax
		}
	default:
		m.Digest = m.Newest[feed.SourceHF]
	}
	return m, nil
}

// Version is the data version the engine reads.
func (ns notifySource) Version() uint64 { return ns.s.engine.View().Version }

// Items are the subscription's feed items now.
func (ns notifySource) Items(ctx context.Context, raw string) ([]feed.Item, error) {
	q, err := ns.query(raw)
	if err != nil {
		return nil, err
	}
	if ok, _ := ns.s.engine.WaitLoaded(ctx, q.Source, 0); !ok {
		return nil, notify.ErrNotReady
	}
	plan, err := ns.s.engine.Plan(ctx, q, "notify")
	if err != nil {
		return nil, err
	}
	base := ns.base()
	items, _, err := ns.s.engine.Items(ctx, plan, func(q string) string { return pageURL(base, q) })
	return items, err
}

// FeedURL is the subscription's feed, as a reader would subscribe to
// it, its limit raised to reach papers when it shows fewer.
func (ns notifySource) FeedURL(raw string, reach int) string {
	v, _ := url.ParseQuery(raw)
	q, err := filter.Parse(v, ns.s.engine.Options())
	if err != nil {
		return feedURL(ns.base(), feed.RSS, raw)
	}
	if reach > q.Limit && q.Digest == "" {
		v.Set("limit", strconv.Itoa(min(reach, filter.MaxLimit)))
		if wide, err := filter.Parse(v, ns.s.engine.Options()); err == nil {
			q = wide
		}
	}
	return feedURL(ns.base(), feed.RSS, q.Canonical())
}

// JSONFeed is a JSON Feed document of some of its items.
func (ns notifySource) JSONFeed(title, raw string, items []feed.Item) []byte {
	base := ns.base()
	b, err := feed.RenderBytes(feed.JSON, feed.Meta{Title: title, HomeURL: pageURL(base, raw), SelfURL: ns.FeedURL(raw, 0), BaseURL: base, Updated: ns.s.engine.Now()}, items)
	if err != nil {
		return nil
	}
	return b
}

// leads reports whether this replica sends: always alone, the leader
// among replicas.
func (s *Server) leads() bool {
	c, shared := s.refresh.Cluster()
	return !shared || c.Role == "leader"
}

// setNotify makes the service's notifier for subs and, when SMTP is set,
// readers' mail subscriptions.
func (svc *Service) setNotify(subs []notify.Subscription, backend state.RecordStore) {
	s := svc.HTTP
	if len(subs) == 0 && s.mail == nil {
		return
	}
	set := NotifySettings(svc.Config)
	m := s.metrics
	sent := prometheus.NewCounterVec(prometheus.CounterOpts{
		Name: "paperfeed_notifications_total", Help: "Notification sends by subscription (readers' mail counted as \"readers\") and result (sent, retry, failed).",
	}, []string{"subscription", "result"})
	m.reg.MustRegister(sent)
	var readers func() []notify.Subscription
	if s.mail != nil {
		readers = s.mail.Subscriptions
		for _, st := range []string{"confirmed", "waiting"} {
			m.reg.MustRegister(prometheus.NewGaugeFunc(prometheus.GaugeOpts{Name: "paperfeed_mail_subscriptions",
				Help: "Readers' mail subscriptions, confirmed or waiting for their confirmation.", ConstLabels: prometheus.Labels{"state": st}},
				func() float64 {
					ms := s.mail.Status()
					if ms == nil {
						return 0
					}
					return float64(map[string]int{"confirmed": ms.Confirmed, "waiting": ms.Waiting}[st])
				}))
		}
	}
	svc.Notify = notify.New(notify.Config{Subscriptions: subs, Source: notifySource{s}, Records: backend, Leads: s.leads,
		Now: s.engine.Now, Log: svc.Log, Base: messageBase(svc.Config), Readers: readers,
		Observe: func(sub, result string) {
			if notify.IsReader(sub) {
				sub = "readers"
			}
			sent.WithLabelValues(sub, result).Inc()
		},
		Send: func(ctx context.Context, sub notify.Subscription, msg *notify.Message) (string, error) {
			return notify.Send(ctx, set, sub, msg)
		}})
	for _, sub := range subs {
		svc.notifyGauges(sub.Name)
	}
	s.notifyStatus = svc.Notify.Statuses
	svc.Log.Info("notifications on", "subscriptions", len(subs), "reader_mail", s.mail != nil, "base_url", notifySource{s}.base())
}

// notifyGauges registers a subscription's gauges.
func (svc *Service) notifyGauges(name string) {
	m := svc.HTTP.metrics
	status := func() notify.Status {
		for _, st := range svc.Notify.Statuses() {
			if st.Name == name {
				return st
			}
		}
		return notify.Status{}
	}
	m.reg.MustRegister(prometheus.NewGaugeFunc(prometheus.GaugeOpts{Name: "paperfeed_notification_pending",
		Help: "Papers or digests in a message waiting to be sent (again).", ConstLabels: prometheus.Labels{"subscription": name}},
		func() float64 { return float64(status().Pending) }))
	m.reg.MustRegister(prometheus.NewGaugeFunc(prometheus.GaugeOpts{Name: "paperfeed_notification_last_success_timestamp_seconds",
		Help: "When the subscription's last message was delivered (0: never).", ConstLabels: prometheus.Labels{"subscription": name}},
		func() float64 { return unixOrZero(status().LastSuccess) }))
	m.reg.MustRegister(prometheus.NewGaugeFunc(prometheus.GaugeOpts{Name: "paperfeed_notification_last_error_timestamp_seconds",
		Help: "When a send of the subscription last failed (0: never); the error is in /status.", ConstLabels: prometheus.Labels{"subscription": name}},
		func() float64 { return unixOrZero(status().LastErrorAt) }))
	m.reg.MustRegister(prometheus.NewGaugeFunc(prometheus.GaugeOpts{Name: "paperfeed_notification_failed",
		Help: "Papers or digests whose message was given up after its last send.", ConstLabels: prometheus.Labels{"subscription": name}},
		func() float64 { return float64(status().Failed) }))
}

// TestNotify sends one sample message to a subscription and returns the
// channel's answer (paperfeed notify test NAME). Only the named line is
// tried: another line's fault does not stop it.
func TestNotify(ctx context.Context, cfg Config, env notify.Env, name string) (string, error) {
	if cfg.NotifyFile == "" {
		return "", errors.New("no notify file: set -notify / PAPERFEED_NOTIFY")
	}
	lines, err := notifyLines(cfg, env)
	if err != nil {
		return "", err
	}
	i := slices.IndexFunc(lines, func(l notify.Line) bool { return l.Name == name })
	if i < 0 {
		var names []string
		for _, l := range lines {
			if l.Name != "" {
				names = append(names, l.Name)
			}
		}
		return "", fmt.Errorf("no subscription %q in %s; it has %s", name, cfg.NotifyFile, strings.Join(names, ", "))
	}
	if lines[i].Err != nil {
		return "", lines[i].Err
	}
	sub := lines[i].Sub
	msg := notify.Sample(sub, feedURL(messageBase(cfg), feed.RSS, sub.Query))
	return notify.Send(ctx, NotifySettings(cfg), sub, msg)
}

func unixOrZero(t time.Time) float64 {
	if t.IsZero() {
		return 0
	}
	return float64(t.Unix())
}
