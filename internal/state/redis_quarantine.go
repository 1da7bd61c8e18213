package state

import (
	"errors"

	"github.com/redis/go-redis/v9"
)

// ErrSharedReset is Reset's answer: a replica never wipes the state
// the others share because it could not read part of it.
var ErrSharedReset = errors.New("the shared state is never reset by a replica; unreadable records are quarantined instead")

// Reset refuses (ErrSharedReset): see Quarantine.
func (r *Redis) Reset() error { return ErrSharedReset }

// quarantineKey holds the raw values of quarantined records, by
// "bucket/key", for an operator to look at.
const quarantineKey = "quarantine"

// Quarantine moves records Load could not decode out of the data into
// the quarantine hash, as the leader (fenced like every write), and
// announces a new version so that followers reload without them. Each
// record is read again first: one that decodes now (rewritten since, or
// named by a mistaken request) is left where it is.
func (r *Redis) Quarantine(ds []Damage) error {
	if len(ds) == 0 {
		return nil
	}
	ctx, cancel := ctxT()
	defer cancel()
	leader := r.k("leader")
	err := r.c.Watch(ctx, func(tx *redis.Tx) error {
		if holder, err := tx.Get(ctx, leader).Result(); err != nil || holder != r.token {
			return ErrNotLeader
		}
		var bad []Damage
		var raw []string
		for _, d := range ds {
			v, err := tx.HGet(ctx, r.k(d.Bucket), d.Key).Result()
			if errors.Is(err, redis.Nil) {
				continue
			}
			if err != nil {
				return err
			}
			if !Decodable(d.Bucket, d.Key, []byte(v)) {
				bad, raw = append(bad, d), append(raw, v)
			}
		}
		if len(bad) == 0 {
			return nil
		}
		_, err := tx.TxPipelined(ctx, func(p redis.Pipeliner) error {
			for i, d := range bad {
				p.HSet(ctx, r.k(quarantineKey), d.Bucket+"/"+d.Key, raw[i])
				p.HDel(ctx, r.k(d.Bucket), d.Key)
				if d.Bucket == "entries" {
					p.HDel(ctx, r.k("refs"), d.Key)
				}
			}
			p.Incr(ctx, r.k("version"))
			return nil
		})
		return err
	}, leader)
	if err != nil {
		return err
	}
	_ = r.c.Publish(ctx, r.k("updates"), "1").Err()
	return nil
}
