package notify

import (
	"crypto/rand"
	"crypto/sha256"
	"encoding/base32"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	mrand "math/rand/v2"
	"net/mail"
	"slices"
	"strings"
	"sync"
	"time"
)

// Readers' mail subscriptions: a reader signs an address up to a filter
// (from the builder page); nothing is sent to it before the link of the
// confirmation mail it gets is followed and confirmed (double opt-in),
// and every mail it gets carries a one-click unsubscribe (RFC 8058). The
// rules:
//
//   - The list is one record any replica swaps (SharedRecords), so a
//     sign-up, a confirmation or an unsubscribe through any replica is
//     seen by all, and two at once are both kept.
//   - Bounds: MaxReaders subscriptions an instance holds, confirmed or
//     waiting; MaxWaiting of them waiting (so at most that many
//     confirmation mails are out in any ConfirmWithin); MaxPerAddress per
//     address. A sign-up that waits longer than ConfirmWithin is dropped.
//   - A sign-up of an address to a filter it already has (waiting or
//     confirmed) sends nothing again.
//   - A token (26 base32 characters, 128 random bits) names each
//     subscription in its links; the links are signed besides (the
//     server's part), binding the token to the address and the action.

// Bounds of readers' subscriptions.
const (
	MaxReaders     = 1000
	MaxWaiting     = 200
	MaxPerAddress  = 5
	ConfirmWithin  = 48 * time.Hour
	MaxReaderQuery = 1000 // bytes of a filter
	readersKey     = "mail/readers"
)

// Errors of readers' subscriptions.
var (
	ErrNoReader     = errors.New("no such mail subscription: it was cancelled, or its confirmation link expired")
	ErrReadersFull  = errors.New("this server takes no more mail subscriptions for now")
	ErrAddressFull  = fmt.Errorf("this address has as many mail subscriptions as one address may (%d, confirmed or waiting)", MaxPerAddress)
	errReadersBusy  = errors.New("the list of mail subscriptions kept changing; try again")
	tokenEncoding   = base32.StdEncoding.WithPadding(base32.NoPadding)
	readerNamespace = "reader-"
)

// Reader is one reader's subscription.
type Reader struct {
	Token     string    `json:"token"`
	Address   string    `json:"address"`
	Query     string    `json:"query"`
	Created   time.Time `json:"created"`
	Confirmed time.Time `json:"confirmed,omitzero"` // zero: waiting for the confirmation
}

// Waiting reports whether the subscription waits for its confirmation.
func (r Reader) Waiting() bool { return r.Confirmed.IsZero() }

// SharedRecords is where the list is kept: records any replica swaps.
type SharedRecords interface {
	Record(key string) ([]byte, error)
	SwapSharedRecord(key string, old, val []byte) error
}

// Readers is the list of readers' subscriptions.
type Readers struct {
	rec SharedRecords
	now func() time.Time
	mu  sync.Mutex // one change at a time here; replicas contend by swapping
}

// NewReaders reads and writes the list in rec.
func NewReaders(rec SharedRecords, now func() time.Time) *Readers {
	return &Readers{rec: rec, now: now}
}

// List is every subscription held, those whose confirmation expired
// left out.
func (rs *Readers) List() ([]Reader, error) {
	list, _, err := rs.read()
	return rs.live(list), err
}

func (rs *Readers) read() ([]Reader, []byte, error) {
	b, err := rs.rec.Record(readersKey)
	if err != nil || b == nil {
		return nil, b, err
	}
	var list []Reader
	if err := json.Unmarshal(b, &list); err != nil {
		return nil, b, fmt.Errorf("the list of mail subscriptions: %w", err)
	}
	return list, b, nil
}

// live leaves out the sign-ups whose confirmation expired.
func (rs *Readers) live(list []Reader) []Reader {
	now := rs.now()
	return slices.DeleteFunc(list, func(r Reader) bool { return r.Waiting() && now.Sub(r.Created) > ConfirmWithin })
}

// update applies f to the list and swaps it in, reading it again when
// another replica swapped it meanwhile.
func (rs *Readers) update(f func([]Reader) ([]Reader, error)) error {
	rs.mu.Lock()
	defer rs.mu.Unlock()
	var last error
	for try := range 12 {
		if try > 0 {
			// Another replica swapped first: wait a little, longer each
			// time and at random, so replicas stop colliding.
			time.Sleep(time.Duration(mrand.Int64N(int64(time.Millisecond) << min(try, 6))))
		}
		list, old, err := rs.read()
		if err != nil {
			return err
		}
		next, err := f(rs.live(list))
		if err != nil {
			return err
		}
		b, err := json.Marshal(next)
		if err != nil {
			return err
		}
		if last = rs.rec.SwapSharedRecord(readersKey, old, b); last == nil {
			return nil
		}
		// Swapped by another replica meanwhile (or not written): read again.
	}
	return fmt.Errorf("%w: %w", errReadersBusy, last)
}

// Address is an address as subscriptions are kept and compared: the
// address alone, lower-case.
func Address(s string) (string, error) {
	if len(s) > 254 || strings.ContainsAny(s, "\r\n") {
		return "", errors.New("not an e-mail address")
	}
	a, err := mail.ParseAddress(strings.TrimSpace(s))
	if err != nil || a.Name != "" || strings.Count(a.Address, "@") != 1 ||
		strings.IndexFunc(a.Address, func(r rune) bool { return r <= ' ' || r == '"' || r == '\\' || r == 0x7f }) >= 0 {
		return "", errors.New("not an e-mail address (write it alone: name@example.org)")
	}
	return strings.ToLower(a.Address), nil
}

// SignUp adds a waiting subscription of address to query, within the
// bounds, and reports whether it is new (then a confirmation mail goes
// out); an address already signed up to the query gets the one it has.
func (rs *Readers) SignUp(address, query string) (Reader, bool, error) {
	var out Reader
	fresh := false
	err := rs.update(func(list []Reader) ([]Reader, error) {
		fresh = false
		mine := 0
		for _, r := range list {
			if r.Address != address {
				continue
			}
			if r.Query == query {
				out = r
				return list, nil
			}
			mine++
		}
		waiting := 0
		for _, r := range list {
			if r.Waiting() {
				waiting++
			}
		}
		switch {
		case len(list) >= MaxReaders || waiting >= MaxWaiting:
			return nil, ErrReadersFull
		case mine >= MaxPerAddress:
			return nil, ErrAddressFull
		}
		tok := make([]byte, 16)
		if _, err := rand.Read(tok); err != nil {
			return nil, err
		}
		out = Reader{Token: strings.ToLower(tokenEncoding.EncodeToString(tok)), Address: address, Query: query, Created: rs.now().UTC()}
		fresh = true
		return append(list, out), nil
	})
	return out, fresh, err
}

// Get is the subscription of a token.
func (rs *Readers) Get(token string) (Reader, error) {
	list, err := rs.List()
	if err != nil {
		return Reader{}, err
	}
	for _, r := range list {
		if r.Token == token {
			return r, nil
		}
	}
	return Reader{}, ErrNoReader
}

// Confirm confirms a waiting subscription (a confirmed one stays as it
// is); ErrNoReader when there is none (cancelled, or expired).
func (rs *Readers) Confirm(token string) (Reader, error) {
	var out Reader
	err := rs.update(func(list []Reader) ([]Reader, error) {
		for i := range list {
			if list[i].Token == token {
				if list[i].Waiting() {
					list[i].Confirmed = rs.now().UTC()
				}
				out = list[i]
				return list, nil
			}
		}
		return nil, ErrNoReader
	})
	return out, err
}

// Remove cancels a subscription; ErrNoReader when there is none.
func (rs *Readers) Remove(token string) (Reader, error) {
	var out Reader
	err := rs.update(func(list []Reader) ([]Reader, error) {
		for i := range list {
			if list[i].Token == token {
				out = list[i]
				return slices.Delete(list, i, i+1), nil
			}
		}
		return nil, ErrNoReader
	})
	return out, err
}

// Counts are how many subscriptions are confirmed and waiting.
func Counts(list []Reader) (confirmed, waiting int) {
	for _, r := range list {
		if r.Waiting() {
			waiting++
		} else {
			confirmed++
		}
	}
	return confirmed, waiting
}

// Subscription is a confirmed reader's subscription as the notifier
// sends it: by e-mail, titled by what its filter holds (title), every
// mail carrying the unsubscribe URL (in its List-Unsubscribe header and
// its text). Its name (in logs and its delivery record) and its target
// as shown ("a reader") tell neither the address nor the token.
func (r Reader) Subscription(title, unsubscribe string) Subscription {
	return Subscription{Name: ReaderName(r.Token), Title: title, Channel: Email, Query: r.Query, Shown: "a reader", address: r.Address,
		Unsubscribe: unsubscribe}
}

// ReaderName is the subscription name of a reader's token: "reader-"
// and a digest of it, never the token itself.
func ReaderName(token string) string {
	h := sha256.Sum256([]byte("paperfeed reader " + token))
	return readerNamespace + hex.EncodeToString(h[:8])
}

// IsReader reports whether a subscription name is a reader's.
func IsReader(name string) bool { return strings.HasPrefix(name, readerNamespace) }

// DeliveryRecord is the key of a subscription's delivery state (deleted
// with a reader's subscription).
func DeliveryRecord(name string) string { return recordKey(name) }
