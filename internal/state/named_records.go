package state

import (
	"bytes"
	"errors"

	"github.com/redis/go-redis/v9"
	bolt "go.etcd.io/bbolt"
)

// RecordStore keeps small named records the refresh side's helpers own
// (the delivery state of notifications): a read of one, a write of one.
// In a shared store every replica sees them; the notifier writes only
// while this replica leads.
type RecordStore interface {
	// Record reads one (nil, nil when there is none).
	Record(key string) ([]byte, error)
	// PutRecord writes one whole.
	PutRecord(key string, val []byte) error
}

var bRecords = []byte("records")

// Record reads a record of the file.
func (b *Bolt) Record(key string) ([]byte, error) {
	var v []byte
	err := b.recordsTx(false, func(bk *bolt.Bucket) error {
		v = bytes.Clone(bk.Get([]byte(key)))
		return nil
	})
	return v, err
}

// PutRecord writes a record to the file.
func (b *Bolt) PutRecord(key string, val []byte) error {
	return b.recordsTx(true, func(bk *bolt.Bucket) error { return bk.Put([]byte(key), val) })
}

// recordsTx runs f over the records' bucket (see bucketTx); a file
// without it holds no record.
func (b *Bolt) recordsTx(update bool, f func(bk *bolt.Bucket) error) error {
	return b.bucketTx(bRecords, "reading records", update, nil, f)
}

// bucketTx runs f over one bucket in a transaction (update or not),
// guarded against faults on damaged pages like every other access. A
// bucket added in a later version is missing from an older file opened
// read-only: a read then returns missing, a write an error.
func (b *Bolt) bucketTx(name []byte, what string, update bool, missing error, f func(bk *bolt.Bucket) error) error {
	b.dbMu.RLock()
	defer b.dbMu.RUnlock()
	return damagedContent(guarded(what, func() error {
		run := b.handle().View
		if update {
			run = b.handle().Update
		}
		return run(func(tx *bolt.Tx) error {
			bk := tx.Bucket(name)
			if bk == nil {
				if update {
					return errors.New("the state file is open read-only")
				}
				return missing
			}
			return f(bk)
		})
	}))
}

// Record reads a record from Redis.
func (r *Redis) Record(key string) ([]byte, error) {
	ctx, cancel := ctxT()
	defer cancel()
	v, err := r.c.Get(ctx, r.k("record:"+key)).Bytes()
	if errors.Is(err, redis.Nil) {
		return nil, nil
	}
	return v, err
}

// PutRecord writes a record to Redis.
func (r *Redis) PutRecord(key string, val []byte) error {
	ctx, cancel := ctxT()
	defer cancel()
	return r.c.Set(ctx, r.k("record:"+key), val, 0).Err()
}

// Record reads a record kept in memory.
func (m *Memory) Record(key string) ([]byte, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	return bytes.Clone(m.records[key]), nil
}

// PutRecord keeps a record in memory.
func (m *Memory) PutRecord(key string, val []byte) error {
	m.mu.Lock()
	defer m.mu.Unlock()
	if m.records == nil {
		m.records = map[string][]byte{}
	}
	m.records[key] = bytes.Clone(val)
	return nil
}
