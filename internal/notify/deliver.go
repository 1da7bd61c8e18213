package notify

import (
	"context"
	"errors"
	"time"
)

// deliver sends the pending message and records the outcome. The send
// is claimed first (its attempt saved, under the lease) and the outcome
// is saved after it the same way: a replica that lost the lease while it
// was stopped, or that reads a record another replica wrote since, sends
// nothing more and writes nothing over its successor's record (which
// sends the same message, with the same delivery ID, if it must). It
// reports whether the message was delivered.
func (n *Notifier) deliver(ctx context.Context, s Subscription, st *subState) (bool, error) {
	m := st.Pending
	st.Attempts++
	if err := n.save(s, st); err != nil {
		return false, err // not sent: saved before sent, or not at all
	}
	_, err := n.send(ctx, s, m)
	now := n.now()
	if err == nil {
		for _, k := range m.Keys {
			st.Delivered[k] = now
		}
		st.Pending, st.Attempts, st.NextTry = nil, 0, time.Time{}
		st.LastSuccess = now
		n.observe(s.Name, "sent")
		st.prune(now)
		if err := n.save(s, st); err != nil {
			n.log.Warn("notification sent but its delivery not recorded; the replica that sends sends it again, with the same delivery ID",
				"subscription", s.Name, "delivery", m.DeliveryID, "error", err)
			return false, err
		}
		n.log.Info("notification sent", "subscription", s.Name, "channel", s.Channel, "target", s.Shown, "delivery", m.DeliveryID, "keys", len(m.Keys))
		return true, nil
	}
	if ctx.Err() != nil {
		return false, ctx.Err() // stopping: the claim stands, the next start sends it again
	}
	st.LastError, st.LastErrorAt = err.Error(), now
	wait := backoff(st.Attempts)
	var se *SendError
	if errors.As(err, &se) && se.Retry > wait {
		wait = min(se.Retry, 24*time.Hour)
	}
	st.NextTry = now.Add(wait)
	if st.Attempts >= MaxAttempts {
		for _, k := range m.Keys {
			st.Failed[k] = now
		}
		st.Pending, st.NextTry = nil, time.Time{}
		n.observe(s.Name, "failed")
		n.log.Error("notification failed for good", "subscription", s.Name, "channel", s.Channel, "target", s.Shown,
			"delivery", m.DeliveryID, "attempts", st.Attempts, "error", err)
		st.Attempts = 0
	} else {
		n.observe(s.Name, "retry")
		n.log.Warn("notification not delivered; will retry", "subscription", s.Name, "channel", s.Channel, "target", s.Shown,
			"delivery", m.DeliveryID, "attempt", st.Attempts, "retry_in", wait.Round(time.Second), "error", err)
	}
	return false, n.save(s, st)
}
