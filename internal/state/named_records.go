package state

import (
	"bytes"
	"errors"

	"github.com/redis/go-redis/v9"
	bolt "go.etcd.io/bbolt"
)

// RecordStore keeps small named records (the delivery state of
// notifications, the list of readers' mail subscriptions): a read of
// one, a write of one. In a shared store every replica sees them. A nil
// value deletes a record.
type RecordStore interface {
	// Record reads one (nil, nil when there is none).
	Record(key string) ([]byte, error)
	// PutRecord writes one whole, whoever leads.
	PutRecord(key string, val []byte) error
	// SwapRecord writes one whole only if it still holds old (nil: it
	// must not exist) and, in a shared store, only while this replica
	// holds the leader lease, checked in the same atomic step as the data
	// writes are: ErrNotLeader or ErrRecordChanged otherwise, and nothing
	// is written.
	SwapRecord(key string, old, val []byte) error
	// SwapSharedRecord is SwapRecord whoever leads: for records any
	// replica writes.
	SwapSharedRecord(key string, old, val []byte) error
}

// ErrRecordChanged means a record was written by someone else since it
// was read.
var ErrRecordChanged = errors.New("the record changed since it was read")

// swapOK reports whether a record that holds cur may be swapped for one
// read as old (nil: none).
func swapOK(cur, old []byte) bool {
	if old == nil {
		return cur == nil
	}
	return cur != nil && bytes.Equal(cur, old)
}

var bRecords = []byte("records")

// boltRecords are the bolt store's named records.
type boltRecords struct{ *boltFile }

// Record reads a record of the file.
func (b *boltRecords) Record(key string) ([]byte, error) {
	var v []byte
	err := b.recordsTx(false, func(bk *bolt.Bucket) error {
		v = bytes.Clone(bk.Get([]byte(key)))
		return nil
	})
	return v, err
}

// PutRecord writes a record to the file.
func (b *boltRecords) PutRecord(key string, val []byte) error {
	return b.recordsTx(true, func(bk *bolt.Bucket) error { return putOrDelete(bk, key, val) })
}

// SwapRecord writes a record to the file if it still holds old (one
// process holds the file: it always leads).
func (b *boltRecords) SwapRecord(key string, old, val []byte) error {
	return b.recordsTx(true, func(bk *bolt.Bucket) error {
		if !swapOK(bk.Get([]byte(key)), old) {
			return ErrRecordChanged
		}
		return putOrDelete(bk, key, val)
	})
}

// SwapSharedRecord is SwapRecord: one process holds the file.
func (b *boltRecords) SwapSharedRecord(key string, old, val []byte) error {
	return b.SwapRecord(key, old, val)
}

func putOrDelete(bk *bolt.Bucket, key string, val []byte) error {
	if val == nil {
		return bk.Delete([]byte(key))
	}
	return bk.Put([]byte(key), val)
}

// recordsTx runs f over the records' bucket (see bucketTx); a file
// without it holds no record.
func (b *boltRecords) recordsTx(update bool, f func(bk *bolt.Bucket) error) error {
	return b.bucketTx(bRecords, "reading records", update, nil, f)
}

// bucketTx runs f over one bucket in a transaction (update or not),
// guarded against faults on damaged pages like every other access. A
// bucket added in a later version is missing from an older file opened
// read-only: a read then returns missing, a write an error.
func (b *boltFile) bucketTx(name []byte, what string, update bool, missing error, f func(bk *bolt.Bucket) error) error {
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

// redisRecords are the Redis store's named records.
type redisRecords struct{ *redisConn }

// Record reads a record from Redis.
func (r *redisRecords) Record(key string) ([]byte, error) {
	ctx, cancel := ctxT()
	defer cancel()
	v, err := r.c.Get(ctx, r.k("record:"+key)).Bytes()
	if errors.Is(err, redis.Nil) {
		return nil, nil
	}
	return v, err
}

// PutRecord writes a record to Redis.
func (r *redisRecords) PutRecord(key string, val []byte) error {
	ctx, cancel := ctxT()
	defer cancel()
	if val == nil {
		return r.c.Del(ctx, r.k("record:"+key)).Err()
	}
	return r.c.Set(ctx, r.k("record:"+key), val, 0).Err()
}

// swapScript sets KEYS[2] to ARGV[4] (deletes it when ARGV[6] is "del")
// while KEYS[1] (the lease) holds ARGV[1] (unless ARGV[5] is "any") and
// KEYS[2] holds ARGV[3] (ARGV[2] "0": KEYS[2] must not exist): one atomic
// step, as the data writes' WATCH of the lease is.
var swapScript = redis.NewScript(`
if ARGV[5] ~= "any" and redis.call("GET", KEYS[1]) ~= ARGV[1] then return -1 end
local cur = redis.call("GET", KEYS[2])
if ARGV[2] == "0" then
  if cur then return -2 end
elseif cur ~= ARGV[3] then
  return -2
end
if ARGV[6] == "del" then
  redis.call("DEL", KEYS[2])
else
  redis.call("SET", KEYS[2], ARGV[4])
end
return 1`)

// SwapRecord writes a record to Redis if it still holds old, only while
// this replica holds the lease.
func (r *redisRecords) SwapRecord(key string, old, val []byte) error {
	return r.swap(key, old, val, "lease")
}

// SwapSharedRecord writes a record to Redis if it still holds old.
func (r *redisRecords) SwapSharedRecord(key string, old, val []byte) error {
	return r.swap(key, old, val, "any")
}

func (r *redisRecords) swap(key string, old, val []byte, who string) error {
	ctx, cancel := ctxT()
	defer cancel()
	exists, op := "1", "set"
	if old == nil {
		exists = "0"
	}
	if val == nil {
		op = "del"
	}
	n, err := swapScript.Run(ctx, r.c, []string{r.k("leader"), r.k("record:" + key)}, r.token, exists, old, val, who, op).Int64()
	switch {
	case err != nil:
		r.fail(err)
		return err
	case n == -1:
		return ErrNotLeader
	case n == -2:
		return ErrRecordChanged
	}
	return nil
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
	m.putRecord(key, val)
	return nil
}

func (m *Memory) putRecord(key string, val []byte) {
	if val == nil {
		delete(m.records, key)
		return
	}
	if m.records == nil {
		m.records = map[string][]byte{}
	}
	m.records[key] = bytes.Clone(val)
}

// SwapRecord keeps a record in memory if it still holds old.
func (m *Memory) SwapRecord(key string, old, val []byte) error {
	m.mu.Lock()
	defer m.mu.Unlock()
	if !swapOK(m.records[key], old) {
		return ErrRecordChanged
	}
	m.putRecord(key, val)
	return nil
}

// SwapSharedRecord is SwapRecord: one process holds the memory.
func (m *Memory) SwapSharedRecord(key string, old, val []byte) error {
	return m.SwapRecord(key, old, val)
}
