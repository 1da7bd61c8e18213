package state

import (
	"bytes"
	"encoding/binary"
	"errors"
	"fmt"
	"time"

	bolt "go.etcd.io/bbolt"
)

// In the bolt file, personal feeds live in the bucket "personal": the
// definition under "TOKEN/def", each vote under "TOKEN/v/ID", the secret
// under "\x00secret", a client's creation time under "\x00c/CLIENT" (8
// bytes, Unix nanoseconds). A feed is a key range, read and deleted with
// one cursor; every write with its bounds is one transaction.

var bPersonal = []byte("personal")

var (
	secretKey    = []byte("\x00secret")
	createPrefix = []byte("\x00c/")
)

func defKey(token string) []byte      { return []byte(token + "/def") }
func voteKey(token, id string) []byte { return []byte(token + "/v/" + id) }

// boltPersonal are the bolt store's personal feeds.
type boltPersonal struct{ *boltFile }

// personalTx runs f over the personal feeds' bucket (see bucketTx); a
// file without it holds no feed.
func (b *boltPersonal) personalTx(update bool, f func(bk *bolt.Bucket) error) error {
	return b.bucketTx(bPersonal, "reading personal feeds", update, ErrNoPersonal, f)
}

// votesIn reads a feed's votes.
func votesIn(bk *bolt.Bucket, token string) map[string]string {
	votes := map[string]string{}
	prefix := []byte(token + "/v/")
	c := bk.Cursor()
	for k, v := c.Seek(prefix); k != nil && bytes.HasPrefix(k, prefix); k, v = c.Next() {
		votes[string(k[len(prefix):])] = string(v)
	}
	return votes
}

// PersonalGet reads a feed.
func (b *boltPersonal) PersonalGet(token string) (PersonalRecord, error) {
	var r PersonalRecord
	err := b.personalTx(false, func(bk *bolt.Bucket) error {
		def := bk.Get(defKey(token))
		if def == nil {
			return ErrNoPersonal
		}
		r.Def = bytes.Clone(def)
		r.Votes = votesIn(bk, token)
		return nil
	})
	return r, err
}

// PersonalCreate writes a new feed, its count and its client's budget
// checked in the same transaction.
func (b *boltPersonal) PersonalCreate(token string, rec PersonalRecord, client string, lim Limits) error {
	return b.personalTx(true, func(bk *bolt.Bucket) error {
		if bk.Get(defKey(token)) != nil {
			return fmt.Errorf("personal feed %s exists already", token)
		}
		if countFeeds(bk) >= lim.Feeds {
			return ErrPersonalFull
		}
		key := append(bytes.Clone(createPrefix), client...)
		var tat time.Time
		if v := bk.Get(key); len(v) == 8 {
			tat = time.Unix(0, int64(binary.BigEndian.Uint64(v)))
		}
		next, err := lim.admit(tat)
		if err != nil {
			return err
		}
		if err := pruneCreates(bk, lim.Now); err != nil {
			return err
		}
		if err := bk.Put(key, binary.BigEndian.AppendUint64(nil, uint64(next.UnixNano()))); err != nil {
			return err
		}
		if err := bk.Put(defKey(token), rec.Def); err != nil {
			return err
		}
		for id, v := range rec.Votes {
			if err := bk.Put(voteKey(token, id), []byte(v)); err != nil {
				return err
			}
		}
		return nil
	})
}

// countFeeds counts the definitions, one seek per feed.
func countFeeds(bk *bolt.Bucket) int {
	n := 0
	c := bk.Cursor()
	for k, _ := c.Seek([]byte{1}); k != nil; {
		token, _, _ := bytes.Cut(k, []byte("/"))
		if bk.Get(append(bytes.Clone(token), "/def"...)) != nil {
			n++
		}
		k, _ = c.Seek(append(bytes.Clone(token), '0')) // past "TOKEN/..."
	}
	return n
}

// pruneCreates drops the clients whose budget is whole again.
func pruneCreates(bk *bolt.Bucket, now time.Time) error {
	var old [][]byte
	c := bk.Cursor()
	for k, v := c.Seek(createPrefix); k != nil && bytes.HasPrefix(k, createPrefix); k, v = c.Next() {
		if len(v) != 8 || time.Unix(0, int64(binary.BigEndian.Uint64(v))).Before(now) {
			old = append(old, bytes.Clone(k))
		}
	}
	for _, k := range old {
		if err := bk.Delete(k); err != nil {
			return err
		}
	}
	return nil
}

// PersonalPut redefines an existing feed.
func (b *boltPersonal) PersonalPut(token string, def []byte) error {
	return b.personalTx(true, func(bk *bolt.Bucket) error {
		if bk.Get(defKey(token)) == nil {
			return ErrNoPersonal
		}
		return bk.Put(defKey(token), def)
	})
}

// PersonalVote records or removes a vote of an existing feed, the
// oldest giving way in the same transaction.
func (b *boltPersonal) PersonalVote(token, id, vote string, maxVotes int) error {
	return b.personalTx(true, func(bk *bolt.Bucket) error {
		if bk.Get(defKey(token)) == nil {
			return ErrNoPersonal
		}
		if vote == "" {
			return bk.Delete(voteKey(token, id))
		}
		for _, old := range giveWay(votesIn(bk, token), id, maxVotes) {
			if err := bk.Delete(voteKey(token, old)); err != nil {
				return err
			}
		}
		return bk.Put(voteKey(token, id), []byte(vote))
	})
}

// PersonalDelete deletes a feed's whole key range.
func (b *boltPersonal) PersonalDelete(token string) error {
	return b.personalTx(true, func(bk *bolt.Bucket) error {
		if bk.Get(defKey(token)) == nil {
			return ErrNoPersonal
		}
		prefix := []byte(token + "/")
		var keys [][]byte
		c := bk.Cursor()
		for k, _ := c.Seek(prefix); k != nil && bytes.HasPrefix(k, prefix); k, _ = c.Next() {
			keys = append(keys, bytes.Clone(k))
		}
		for _, k := range keys {
			if err := bk.Delete(k); err != nil {
				return err
			}
		}
		return nil
	})
}

// PersonalCount counts the definitions.
func (b *boltPersonal) PersonalCount() (int, error) {
	n := 0
	err := b.personalTx(false, func(bk *bolt.Bucket) error {
		n = countFeeds(bk)
		return nil
	})
	if errors.Is(err, ErrNoPersonal) {
		return 0, nil
	}
	return n, err
}

// PersonalSecret reads the secret, making it on first use.
func (b *boltPersonal) PersonalSecret() ([]byte, error) {
	var s []byte
	err := b.personalTx(false, func(bk *bolt.Bucket) error {
		s = bytes.Clone(bk.Get(secretKey))
		return nil
	})
	if errors.Is(err, ErrNoPersonal) {
		err = nil
	}
	if err != nil || len(s) > 0 {
		return s, err
	}
	err = b.personalTx(true, func(bk *bolt.Bucket) error {
		if v := bk.Get(secretKey); len(v) > 0 { // made meanwhile
			s = bytes.Clone(v)
			return nil
		}
		var err error
		if s, err = newSecret(); err != nil {
			return err
		}
		return bk.Put(secretKey, s)
	})
	return s, err
}
