package state

import (
	"context"
	"errors"
	"time"

	"github.com/redis/go-redis/v9"
)

// redisCluster is how replicas sharing a Redis coordinate: the leader
// lease, the shared data's version and its announcements, and the
// requests queued for the leader.
type redisCluster struct{ *redisConn }

// The lease scripts: renew or release only while holding the token.
var (
	renewScript  = redis.NewScript(`if redis.call("GET", KEYS[1]) == ARGV[1] then return redis.call("PEXPIRE", KEYS[1], ARGV[2]) else return 0 end`)
	resignScript = redis.NewScript(`if redis.call("GET", KEYS[1]) == ARGV[1] then return redis.call("DEL", KEYS[1]) else return 0 end`)
)

// Campaign takes the lease when it is free or renews it when this
// replica holds it, and reports whether this replica leads now.
func (r *redisCluster) Campaign(ctx context.Context) (bool, error) {
	ctx, cancel := context.WithTimeout(ctx, 2*time.Second)
	defer cancel()
	ok, err := r.c.SetNX(ctx, r.k("leader"), r.token, r.lease).Result()
	if err == nil && !ok {
		var n int64
		n, err = renewScript.Run(ctx, r.c, []string{r.k("leader")}, r.token, r.lease.Milliseconds()).Int64()
		ok = n == 1
	}
	if err != nil {
		r.fail(err)
		r.setLeading(false)
		return false, err
	}
	r.setLeading(ok)
	return ok, nil
}

func (r *redisConn) setLeading(b bool) {
	r.mu.Lock()
	r.leading = b
	r.mu.Unlock()
}

// Resign gives the lease up, if held.
func (r *redisCluster) Resign(ctx context.Context) error {
	r.setLeading(false)
	return resignScript.Run(ctx, r.c, []string{r.k("leader")}, r.token).Err()
}

// Version is the shared data's version (0 when none was written).
func (r *redisCluster) Version(ctx context.Context) (int64, error) {
	ctx, cancel := context.WithTimeout(ctx, 2*time.Second)
	defer cancel()
	v, err := r.c.Get(ctx, r.k("version")).Int64()
	if errors.Is(err, redis.Nil) {
		return 0, nil
	}
	if err != nil {
		r.fail(err)
	}
	return v, err
}

// Updates delivers a signal when the leader announces a write; the
// channel closes when ctx ends. Messages lost while disconnected are
// made up for by polling Version.
func (r *redisCluster) Updates(ctx context.Context) <-chan struct{} {
	out := make(chan struct{}, 1)
	sub := r.c.Subscribe(ctx, r.k("updates"))
	go func() {
		defer close(out)
		defer sub.Close()
		ch := sub.Channel()
		for {
			select {
			case <-ctx.Done():
				return
			case _, ok := <-ch:
				if !ok {
					return
				}
				select {
				case out <- struct{}{}:
				default:
				}
			}
		}
	}()
	return out
}

// Ask queues a request for the leader.
func (r *redisCluster) Ask(ctx context.Context, req string) error {
	ctx, cancel := context.WithTimeout(ctx, 2*time.Second)
	defer cancel()
	return r.c.LPush(ctx, r.k("requests"), req).Err()
}

// NextRequest waits up to wait for a queued request ("" when none).
func (r *redisCluster) NextRequest(ctx context.Context, wait time.Duration) (string, error) {
	v, err := r.c.BRPop(ctx, wait, r.k("requests")).Result()
	if errors.Is(err, redis.Nil) {
		return "", nil
	}
	if err != nil {
		return "", err
	}
	return v[1], nil
}
