package agent

import (
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"time"

	"github.com/wharf-project/wharf/internal/api"
)

// joinTimeout bounds the whole join: every server named is tried in turn
// until one adds the member.
const joinTimeout = 2 * time.Minute

// normalizeEtcdJoin checks etcd { join }: the new member needs a name and
// a peer URL the other servers reach, and an embedded member.
func (c *Config) normalizeEtcdJoin() error {
	ec := c.Etcd
	if ec == nil || len(ec.Join) == 0 {
		return nil
	}
	switch {
	case len(ec.Endpoints) > 0:
		return errors.New("etcd.join: servers on an external etcd join nothing; remove join or endpoints")
	case ec.Name == "" || ec.PeerURL == "":
		return errors.New("etcd.join: set etcd.name and etcd.peer_url (an address the other servers reach) to join a cluster")
	}
	return nil
}

// etcdMembership returns the initial cluster and cluster state to start
// the embedded member with. With etcd { join } and a data dir that holds
// no member yet, it asks the servers named there to add this member
// (PUT /v1/operator/etcd/member, with acl { token }) and starts it as
// a member of their cluster ("existing"); otherwise it returns the
// configuration's values (a member with data restarts from them, so a
// removed member's data dir is refused by the cluster, never re-added).
func (a *Agent) etcdMembership(ctx context.Context, dir string) (string, string, error) {
	ec := a.cfg.Etcd
	if len(ec.Join) == 0 {
		return ec.InitialCluster, ec.InitialClusterState, nil
	}
	if _, err := os.Stat(filepath.Join(dir, "member")); err == nil {
		a.log.Info("etcd member has data: restarting it, not joining again", "data_dir", dir)
		return ec.InitialCluster, ec.InitialClusterState, nil
	}
	hc, err := a.serverHTTPClient()
	if err != nil {
		return "", "", fmt.Errorf("etcd.join: %w", err)
	}
	ctx, cancel := context.WithTimeout(ctx, joinTimeout)
	defer cancel()
	var errs []error
	for ctx.Err() == nil {
		for _, addr := range a.agentURLs(ec.Join) {
			c, err := api.NewClient(&api.Config{Address: addr, HTTPClient: hc, Token: a.agentToken()})
			if err != nil {
				return "", "", fmt.Errorf("etcd.join: %w", err)
			}
			rctx, rcancel := context.WithTimeout(ctx, 15*time.Second)
			res, err := c.Operator().EtcdMemberAdd(ec.Name, ec.PeerURL, &api.WriteOptions{Context: rctx})
			rcancel()
			if err == nil {
				a.log.Info("joined the cluster: starting the etcd member", "via", addr, "initial_cluster", res.InitialCluster)
				return res.InitialCluster, "existing", nil
			}
			var ae *api.Error
			if errors.As(err, &ae) && ae.StatusCode >= 400 && ae.StatusCode < 500 {
				return "", "", fmt.Errorf("etcd.join: %s refused to add member %s at %s: %w", addr, ec.Name, ec.PeerURL, err)
			}
			a.log.Warn("etcd.join: server did not answer, trying the next", "server", addr, "err", err)
			errs = append(errs, err)
		}
		select {
		case <-ctx.Done():
		case <-time.After(2 * time.Second):
		}
	}
	return "", "", fmt.Errorf("etcd.join: no server of %v added this member within %s: %w", ec.Join, joinTimeout, errors.Join(errs...))
}
