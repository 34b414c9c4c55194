package agent

import (
	"strings"
	"testing"
	"time"

	"github.com/wharf-project/wharf/internal/server"
)

func TestServerGCSettings(t *testing.T) {
	c, err := Parse("agent.hcl", []byte(`server {
  enabled = true
  job_gc_interval = "1m"
  job_gc_threshold = "2h"
  eval_gc_threshold = "30m"
  batch_eval_gc_threshold = "12h"
  node_gc_threshold = "48h"
  acl_token_gc_threshold = "10m"
}
etcd {
  quota_backend_bytes = "4GiB"
  compaction_retention = "30m"
  defrag_interval = "6h"
}
`))
	if err != nil {
		t.Fatal(err)
	}
	c.DataDir = t.TempDir()
	if err := c.Normalize(); err != nil {
		t.Fatal(err)
	}
	gc, err := c.ServerGC()
	if err != nil {
		t.Fatal(err)
	}
	want := server.GCConfig{Interval: time.Minute, JobThreshold: 2 * time.Hour, EvalThreshold: 30 * time.Minute,
		BatchEvalThreshold: 12 * time.Hour, NodeThreshold: 48 * time.Hour, ACLTokenThreshold: 10 * time.Minute}
	if gc != want {
		t.Fatalf("gc = %+v, want %+v", gc, want)
	}
	h, err := c.EtcdHousekeeping()
	if err != nil {
		t.Fatal(err)
	}
	if h.QuotaBackendBytes != 4<<30 || h.CompactionRetention != "30m0s" || h.DefragInterval != 6*time.Hour {
		t.Fatalf("etcd housekeeping = %+v", h)
	}
}

func TestServerGCDefaultsAreNomads(t *testing.T) {
	c := Config{Dev: true}
	if err := c.Normalize(); err != nil {
		t.Fatal(err)
	}
	gc, err := c.ServerGC()
	if err != nil {
		t.Fatal(err)
	}
	want := server.GCConfig{Interval: 5 * time.Minute, JobThreshold: 4 * time.Hour, EvalThreshold: time.Hour,
		BatchEvalThreshold: 24 * time.Hour, NodeThreshold: 24 * time.Hour, ACLTokenThreshold: time.Hour}
	if gc != want {
		t.Fatalf("defaults = %+v, want Nomad's %+v", gc, want)
	}
	if h, _ := c.EtcdHousekeeping(); h.QuotaBackendBytes != 2<<30 {
		t.Fatalf("default quota = %d", h.QuotaBackendBytes)
	}
}

func TestServerGCSettingsRefused(t *testing.T) {
	cases := []struct{ hcl, want string }{
		{`server { job_gc_threshold = "soon" }`, "server.job_gc_threshold"},
		{`server { node_gc_threshold = "-1h" }`, "server.node_gc_threshold"},
		{`server { job_gc_interval = "10ms" }`, "server.job_gc_interval"},
		{`etcd { quota_backend_bytes = "1KiB" }`, "etcd.quota_backend_bytes"},
		{`etcd { quota_backend_bytes = "lots" }`, "etcd.quota_backend_bytes"},
		{`etcd { quota_backend_bytes = "1TiB" }`, "etcd.quota_backend_bytes"},
		{`etcd { compaction_retention = "1s" }`, "etcd.compaction_retention"},
		{`etcd { defrag_interval = "5s" }`, "etcd.defrag_interval"},
	}
	for _, tc := range cases {
		c, err := Parse("agent.hcl", []byte(tc.hcl))
		if err != nil {
			t.Fatalf("%s: %v", tc.hcl, err)
		}
		c.Dev = true
		err = c.Normalize()
		if err == nil || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("%s: error %v, want one naming %s", tc.hcl, err, tc.want)
		}
	}
}
