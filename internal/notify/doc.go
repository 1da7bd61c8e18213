// Package notify delivers feeds to where readers are: e-mail, Slack,
// Discord, Telegram and signed webhooks. A subscription is a named filter
// and a channel (subscriptions.go); the notifier (notifier.go) turns what
// the filter newly holds into messages (message.go) and sends them
// (channels.go, email.go).
//
// The rules:
//
//   - An item filter sends each paper once, when it qualifies (the moment
//     the feed dates it); what qualifies at one refresh goes in one message,
//     at most MaxPerMessage papers and "and N more" with the feed's link.
//     A digest filter (digest=day|week|month) sends one message per closed
//     period.
//   - A new subscription starts from the moment it is first seen: what
//     its feed holds then is recorded as not to send (no flood of old
//     papers), unless its line asks for backfill=1 (then it is sent once);
//     from then on every paper (or digest) the feed gains is sent.
//   - Delivery is at least once, with an idempotency key: a message's
//     delivery ID is derived from the subscription and what it carries, so
//     a message sent again after a crash carries the same ID. What was
//     delivered is saved in the state before the next message, so a
//     restart sends nothing twice; only the leader of replicas sends.
//   - A failure is retried with backoff (30 s doubling to an hour), waiting
//     at least what Retry-After asks; after MaxAttempts the message is
//     marked failed and its papers are not tried again.
//   - Secrets (webhook URLs, bot tokens, SMTP passwords) are read from the
//     environment by reference ($NAME) and never written to logs, /status
//     or /metrics: a target is shown by its channel and host only.
package notify
