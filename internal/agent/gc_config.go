package agent

import (
	"context"
	"fmt"
	"time"

	"github.com/wharf-project/wharf/internal/server"
	"github.com/wharf-project/wharf/internal/state/embedetcd"
)

// gcSettings lists the server block's garbage collection settings
// (Nomad's names and defaults).
func (s *ServerConfig) gcSettings() []struct {
	name, v string
	def     time.Duration
	dst     func(*server.GCConfig) *time.Duration
} {
	type setting = struct {
		name, v string
		def     time.Duration
		dst     func(*server.GCConfig) *time.Duration
	}
	return []setting{
		{"job_gc_interval", s.JobGCInterval, server.DefaultGCInterval, func(c *server.GCConfig) *time.Duration { return &c.Interval }},
		{"job_gc_threshold", s.JobGCThreshold, server.DefaultJobGCThreshold, func(c *server.GCConfig) *time.Duration { return &c.JobThreshold }},
		{"eval_gc_threshold", s.EvalGCThreshold, server.DefaultEvalGCThreshold, func(c *server.GCConfig) *time.Duration { return &c.EvalThreshold }},
		{"batch_eval_gc_threshold", s.BatchEvalGCThreshold, server.DefaultBatchEvalGCThreshold, func(c *server.GCConfig) *time.Duration { return &c.BatchEvalThreshold }},
		{"node_gc_threshold", s.NodeGCThreshold, server.DefaultNodeGCThreshold, func(c *server.GCConfig) *time.Duration { return &c.NodeThreshold }},
		{"acl_token_gc_threshold", s.ACLTokenGCThreshold, server.DefaultACLTokenGCThreshold, func(c *server.GCConfig) *time.Duration { return &c.ACLTokenThreshold }},
	}
}

// ServerGC returns the server's garbage collection settings, Nomad's
// defaults where unset.
func (c *Config) ServerGC() (server.GCConfig, error) {
	var out server.GCConfig
	if c.Server == nil {
		return out, nil
	}
	for _, s := range c.Server.gcSettings() {
		d, err := parseDuration(s.v)
		if err != nil || d < 0 {
			return out, fmt.Errorf("server.%s: %q is not a positive duration (e.g. \"4h\")", s.name, s.v)
		}
		if d == 0 {
			d = s.def
		}
		*s.dst(&out) = d
	}
	if out.Interval < time.Second {
		return out, fmt.Errorf("server.job_gc_interval: %s is shorter than 1s", out.Interval)
	}
	return out, nil
}

// Defaults of the embedded etcd's housekeeping.
const (
	// DefaultEtcdQuota is the embedded etcd's space quota: etcd's own
	// default (2 GiB) stays far below its suggested 8 GiB maximum.
	DefaultEtcdQuota = embedetcd.DefaultQuotaBackendBytes
)

// etcdHousekeeping are the embedded etcd's quota, compaction window
// ("" for embedetcd's default) and defragmentation interval (0 for
// embedetcd's default).
type etcdHousekeeping struct {
	QuotaBackendBytes   int64
	CompactionRetention string
	DefragInterval      time.Duration
}

// apply sets h in an embedded member's configuration.
func (h etcdHousekeeping) apply(c *embedetcd.Config) {
	c.QuotaBackendBytes, c.CompactionRetention, c.DefragInterval = h.QuotaBackendBytes, h.CompactionRetention, h.DefragInterval
}

// EtcdHousekeeping returns the embedded etcd's quota, compaction and
// defragmentation settings (etcd block), with defaults where unset.
func (c *Config) EtcdHousekeeping() (etcdHousekeeping, error) {
	out := etcdHousekeeping{QuotaBackendBytes: DefaultEtcdQuota}
	ec := c.Etcd
	if ec == nil {
		return out, nil
	}
	if ec.QuotaBackendBytes != "" {
		q, err := ParseSize(ec.QuotaBackendBytes)
		if err != nil {
			return out, fmt.Errorf("etcd.quota_backend_bytes: %w", err)
		}
		if q < 16<<20 || q > 64<<30 {
			return out, fmt.Errorf("etcd.quota_backend_bytes: %s is outside 16MiB..64GiB", ec.QuotaBackendBytes)
		}
		out.QuotaBackendBytes = q
	}
	if ec.CompactionRetention != "" {
		d, err := parseDuration(ec.CompactionRetention)
		if err != nil || d < time.Minute {
			return out, fmt.Errorf("etcd.compaction_retention: %q is not a duration of at least 1m", ec.CompactionRetention)
		}
		out.CompactionRetention = d.String()
	}
	d, err := parseDuration(ec.DefragInterval)
	if err != nil || (d != 0 && d < time.Minute) {
		return out, fmt.Errorf("etcd.defrag_interval: %q is not a duration of at least 1m", ec.DefragInterval)
	}
	out.DefragInterval = d
	return out, nil
}

// normalizeGC checks the garbage collection and etcd housekeeping
// settings.
func (c *Config) normalizeGC() error {
	if _, err := c.ServerGC(); err != nil {
		return err
	}
	_, err := c.EtcdHousekeeping()
	return err
}

// applyEtcdHousekeeping sets the configured quota, compaction window and
// defragmentation interval in an embedded member's configuration.
func (a *Agent) applyEtcdHousekeeping(c *embedetcd.Config) error {
	h, err := a.cfg.EtcdHousekeeping()
	if err != nil {
		return err
	}
	h.apply(c)
	return nil
}

// reclaimEtcd is the server's Reclaim with an embedded member: after a
// forced or large collection it compacts (every member follows), and
// defragments when most of the file is then free; when the database holds
// more than half its quota or the space alarm is raised it also
// disarms the alarm once there is room (Reclaim).
func (a *Agent) reclaimEtcd() func(ctx context.Context) (bool, error) {
	srv := a.etcd
	if srv == nil {
		return nil
	}
	return func(ctx context.Context) (bool, error) {
		size, _, quota := srv.SpaceUsage()
		if size >= quota/2 || srv.WriteBlocked() != nil {
			return true, srv.Reclaim(ctx)
		}
		if err := srv.Compact(ctx); err != nil {
			return false, err
		}
		if srv.MostlyFree() {
			return true, srv.Defragment()
		}
		return true, nil
	}
}
