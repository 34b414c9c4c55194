package client

import (
	"context"
	"sync/atomic"
	"testing"
	"time"

	"github.com/wharf-project/wharf/internal/drivers"
	"github.com/wharf-project/wharf/internal/drivers/fake"
	"github.com/wharf-project/wharf/internal/structs"
)

// flipDriver is the fake driver whose health a test flips.
type flipDriver struct {
	*fake.Driver
	sick atomic.Bool
}

func (d *flipDriver) Fingerprint(ctx context.Context) *structs.DriverInfo {
	info := d.Driver.Fingerprint(ctx)
	if d.sick.Load() {
		info.Healthy, info.HealthDescription = false, "sick on purpose"
	}
	return info
}

func TestBuildNode(t *testing.T) {
	c, err := New(Config{Servers: []string{"127.0.0.1:1"}, DataDir: t.TempDir(), Logger: discardLogger(),
		NodeName: "n1", Datacenter: "minipot", NodeClass: "big", Meta: map[string]string{"rack": "r1"},
		HTTPAddr: "10.0.0.1:4646", Drivers: []drivers.Driver{fake.New()}, Version: "1.2.3"})
	if err != nil {
		t.Fatal(err)
	}
	n := c.Node()
	if n.Name != "n1" || n.Datacenter != "minipot" || n.NodeClass != "big" || n.NodePool != "default" ||
		n.HTTPAddr != "10.0.0.1:4646" || n.Meta["rack"] != "r1" || n.Status != structs.NodeStatusReady {
		t.Fatalf("node %+v", n)
	}
	if n.Attributes["driver.fake"] != "1" || n.Attributes["wharf.version"] != "1.2.3" || n.Attributes["nomad.version"] != DefaultNomadVersion {
		t.Fatalf("attributes %v", n.Attributes)
	}
	if !n.Drivers["fake"].Healthy || n.NodeResources.Cpu.CpuShares <= 0 {
		t.Fatalf("drivers %v resources %+v", n.Drivers, n.NodeResources)
	}
	n.Attributes["x"] = "changed"
	if c.Node().Attributes["x"] != "" {
		t.Fatal("Node returned shared maps")
	}
}

func TestDriversChanged(t *testing.T) {
	base := map[string]*structs.DriverInfo{"a": {Detected: true, Healthy: true, Attributes: map[string]string{"driver.a": "1"}}}
	same := map[string]*structs.DriverInfo{"a": {Detected: true, Healthy: true, Attributes: map[string]string{"driver.a": "1"}, UpdateTime: time.Now()}}
	sick := map[string]*structs.DriverInfo{"a": {Detected: true, Healthy: false, Attributes: map[string]string{"driver.a": "1"}}}
	attr := map[string]*structs.DriverInfo{"a": {Detected: true, Healthy: true, Attributes: map[string]string{"driver.a": "2"}}}
	more := map[string]*structs.DriverInfo{"a": base["a"], "b": {}}
	tests := []struct {
		name string
		cur  map[string]*structs.DriverInfo
		want bool
	}{{"same", same, false}, {"health", sick, true}, {"attributes", attr, true}, {"new driver", more, true}}
	for _, tt := range tests {
		if got := driversChanged(base, tt.cur); got != tt.want {
			t.Errorf("%s: got %v", tt.name, got)
		}
	}
}

func TestDriverHealthChangeReregisters(t *testing.T) {
	ts := startServer(t, nil, nil)
	d := &flipDriver{Driver: fake.New()}
	c := startClient(t, []string{ts.http.URL}, t.TempDir(), d, func(cfg *Config) { cfg.FingerprintInterval = 10 * time.Millisecond })
	c.waitRegistered(t)
	d.sick.Store(true)
	waitFor(t, "unhealthy driver on the server", func() bool {
		n := ts.store.Snapshot().Node(c.NodeID())
		return n != nil && !n.Drivers["fake"].Healthy && n.Drivers["fake"].HealthDescription == "sick on purpose"
	})
}

func TestReregisterKeepsOperatorEligibility(t *testing.T) {
	ts := startServer(t, nil, nil)
	d := &flipDriver{Driver: fake.New()}
	c := startClient(t, []string{ts.http.URL}, t.TempDir(), d, func(cfg *Config) { cfg.FingerprintInterval = 10 * time.Millisecond })
	c.waitRegistered(t)
	n := ts.store.Snapshot().Node(c.NodeID()).Copy()
	n.SchedulingEligibility = structs.NodeSchedulingIneligible
	if _, err := ts.store.UpsertNode(t.Context(), n); err != nil {
		t.Fatal(err)
	}
	d.sick.Store(true)
	waitFor(t, "re-registration", func() bool { return !ts.store.Snapshot().Node(c.NodeID()).Drivers["fake"].Healthy })
	if got := ts.store.Snapshot().Node(c.NodeID()).SchedulingEligibility; got != structs.NodeSchedulingIneligible {
		t.Fatalf("eligibility reset to %q by re-registration", got)
	}
}
