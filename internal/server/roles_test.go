package server

import (
	"context"
	"strings"
	"testing"
	"time"
)

// Each replica says its role in the log once it knows it: the leader
// that it fetches, a follower that it serves what the leader writes
// (before, a follower logged nothing about its role at all).
func TestFollowerLogsItsRole(t *testing.T) {
	up, openShared := sharedSite(t)
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	cfg := func(c *Config) { c.RedisLease = 2 * time.Second }
	leaderLogs, followerLogs := &syncBuffer{}, &syncBuffer{}
	leader := testAppLogging(t, up, nil, cfg, openShared(), leaderLogs)
	leader.refresh.Start(ctx)
	waitFor(t, "the leader to lead", func() bool { c, _ := leader.refresh.Cluster(); return c.Role == "leader" })
	follower := testAppLogging(t, up, nil, cfg, openShared(), followerLogs)
	follower.refresh.Start(ctx)
	waitFor(t, "the follower to log its role", func() bool { return strings.Contains(followerLogs.String(), "this replica follows") })
	time.Sleep(1500 * time.Millisecond) // a few campaigns more: said once, not at each
	if n := strings.Count(followerLogs.String(), "this replica follows"); n != 1 {
		t.Errorf("the follower said its role %d times:\n%s", n, followerLogs.String())
	}
	if !strings.Contains(leaderLogs.String(), "this replica leads") || strings.Contains(leaderLogs.String(), "this replica follows") {
		t.Errorf("the leader's log:\n%s", leaderLogs.String())
	}
}
