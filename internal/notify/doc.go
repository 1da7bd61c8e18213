// Package notify delivers feeds to where readers are: e-mail, Slack,
// Discord, Telegram and signed webhooks. A subscription is a named filter
// and a channel (subscriptions.go); the notifier (notifier.go) begins
// each subscription (compose.go: next), turns what its filter newly
// holds into messages (compose.go, message.go), sends them and records
// the outcome (deliver.go, record.go; channels.go, email.go).
//
// The rules:
//
//   - An item filter sends each paper once, when it qualifies (the moment
//     the feed dates it), however many qualify at once: the feed's limit
//     does not apply. What qualifies at one refresh goes to a mail or a
//     chat in one message, MaxPerMessage papers listed and "and N more"
//     with the feed's link; to a webhook with every paper in its payload,
//     at most MaxPerPayload a delivery. A digest filter
//     (digest=day|week|month) sends one message per period that closed
//     after the subscription began.
//   - A new subscription begins once the sources have settled (Source.Mark
//     answers): what its feed holds then is recorded as not to send, and
//     so, however late it arrives, is what was old news then (a paper
//     listed before the newest day its source held, one that met the
//     filter before, a digest of a closed period); unless its line asks
//     for backfill=1 (then what it holds is sent once). A source that held
//     nothing then is taken in the same way when it first loads.
//   - Each subscription runs on its own: a slow channel holds up no other.
//   - Delivery: a message is saved before it is sent, each send is claimed
//     before it begins and its outcome recorded after; every write swaps
//     the record as read, among replicas only under the leader lease
//     (Records.SwapRecord). A replica that lost the lease mid-send writes
//     nothing over its successor's record, which sends the same message,
//     with the same delivery ID, again: at least once with an idempotency
//     key, and never one paper under two IDs.
//   - A failure is retried with backoff (30 s doubling to an hour), waiting
//     at least what Retry-After asks; after MaxAttempts sends begun the
//     message is marked failed and its papers are not tried again.
//   - What /status shows of a subscription is read from its saved state.
//   - Secrets (webhook URLs, bot tokens, SMTP passwords) are read from the
//     environment by reference ($NAME) and never written to logs, /status
//     or /metrics: a target is shown by its channel and host only.
package notify
