package state

import (
	"bytes"
	"errors"

	bolt "go.etcd.io/bbolt"
)

// In the bolt file, personal feeds live in the bucket "personal": the
// definition under "TOKEN/def", each vote under "TOKEN/v/ID", the secret
// under "\x00secret". A feed is a key range, read and deleted with one
// cursor.

var bPersonal = []byte("personal")

var secretKey = []byte("\x00secret")

func defKey(token string) []byte      { return []byte(token + "/def") }
func voteKey(token, id string) []byte { return []byte(token + "/v/" + id) }

// personalTx runs f over the personal feeds' bucket (see bucketTx); a
// file without it holds no feed.
func (b *Bolt) personalTx(update bool, f func(bk *bolt.Bucket) error) error {
	return b.bucketTx(bPersonal, "reading personal feeds", update, ErrNoPersonal, f)
}

// PersonalGet reads a feed.
func (b *Bolt) PersonalGet(token string) (PersonalRecord, error) {
	var r PersonalRecord
	err := b.personalTx(false, func(bk *bolt.Bucket) error {
		def := bk.Get(defKey(token))
		if def == nil {
			return ErrNoPersonal
		}
		r.Def = bytes.Clone(def)
		r.Votes = map[string]string{}
		prefix := []byte(token + "/v/")
		c := bk.Cursor()
		for k, v := c.Seek(prefix); k != nil && bytes.HasPrefix(k, prefix); k, v = c.Next() {
			r.Votes[string(k[len(prefix):])] = string(v)
		}
		return nil
	})
	return r, err
}

// PersonalPut creates or redefines a feed.
func (b *Bolt) PersonalPut(token string, def []byte) error {
	return b.personalTx(true, func(bk *bolt.Bucket) error { return bk.Put(defKey(token), def) })
}

// PersonalVote records or removes a vote of an existing feed.
func (b *Bolt) PersonalVote(token, id, vote string) error {
	return b.personalTx(true, func(bk *bolt.Bucket) error {
		if bk.Get(defKey(token)) == nil {
			return ErrNoPersonal
		}
		if vote == "" {
			return bk.Delete(voteKey(token, id))
		}
		return bk.Put(voteKey(token, id), []byte(vote))
	})
}

// PersonalDelete deletes a feed's whole key range.
func (b *Bolt) PersonalDelete(token string) error {
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
func (b *Bolt) PersonalCount() (int, error) {
	n := 0
	err := b.personalTx(false, func(bk *bolt.Bucket) error {
		return bk.ForEach(func(k, _ []byte) error {
			if bytes.HasSuffix(k, []byte("/def")) {
				n++
			}
			return nil
		})
	})
	if errors.Is(err, ErrNoPersonal) {
		return 0, nil
	}
	return n, err
}

// PersonalSecret reads the secret, making it on first use.
func (b *Bolt) PersonalSecret() ([]byte, error) {
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
