package watch

import (
	"context"
	"strconv"
	"testing"
	"time"

	"github.com/wharf-project/wharf/internal/ingress/config"
	"github.com/wharf-project/wharf/internal/structs"
)

// waitConfig waits until the target's latest configuration satisfies ok.
func waitConfig(t *testing.T, tgt *fakeTarget, what string, ok func(*config.Config) bool) *config.Config {
	t.Helper()
	deadline := time.After(5 * time.Second)
	for {
		cfg, _, next := tgt.last()
		if cfg != nil && ok(cfg) {
			return cfg
		}
		select {
		case <-next:
		case <-deadline:
			t.Fatalf("timed out waiting for %s; last config: %+v", what, cfg)
		}
	}
}

// servers lists a service's server URLs in cfg.
func servers(cfg *config.Config, name string) []string {
	s := cfg.Services[name]
	if s == nil {
		return nil
	}
	var out []string
	for _, sv := range s.Servers {
		out = append(out, sv.URL)
	}
	return out
}

func hasServers(name string, want ...string) func(*config.Config) bool {
	return func(cfg *config.Config) bool {
		got := servers(cfg, name)
		if len(got) != len(want) {
			return false
		}
		for i := range got {
			if got[i] != want[i] {
				return false
			}
		}
		return true
	}
}

func TestWatcherFollowsChanges(t *testing.T) {
	for _, bulk := range []bool{false, true} {
		t.Run("bulk="+strconv.FormatBool(bulk), func(t *testing.T) { testFollowsChanges(t, bulk) })
	}
}

func testFollowsChanges(t *testing.T, bulk bool) {
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	cat, tgt := newFakeCatalog(), newFakeTarget()
	cat.set(reg("a", "web", 8001, structs.HealthPassing), reg("b", "web", 8002, structs.HealthPassing))
	var src Catalog = cat
	if bulk {
		src = fakeBulk{cat}
	}
	w, done := runWatcher(ctx, src, tgt, Options{})

	cfg := waitConfig(t, tgt, "first table", hasServers("web", "http://127.0.0.1:8001", "http://127.0.0.1:8002"))
	<-w.Synced()
	if cfg.Index == 0 || cfg.Routers["web"] == nil {
		t.Fatalf("first table: index %d routers %v", cfg.Index, cfg.Routers)
	}
	steps := []struct {
		name   string
		change func()
		ok     func(*config.Config) bool
	}{
		{"instance fails", func() { cat.set(reg("b", "web", 8002, structs.HealthCritical)) },
			hasServers("web", "http://127.0.0.1:8001")},
		{"instance passes again", func() { cat.set(reg("b", "web", 8002, structs.HealthPassing)) },
			hasServers("web", "http://127.0.0.1:8001", "http://127.0.0.1:8002")},
		{"instance stops", func() { cat.remove("a") }, hasServers("web", "http://127.0.0.1:8002")},
		{"new service", func() { cat.set(reg("c", "api", 9000, "")) }, hasServers("api", "http://127.0.0.1:9000")},
		{"service gone", func() { cat.remove("c") }, func(c *config.Config) bool { return c.Services["api"] == nil }},
	}
	for _, s := range steps {
		s.change()
		waitConfig(t, tgt, s.name, s.ok)
	}
	if n := cat.getCount(); n > 0 && bulk {
		t.Errorf("bulk catalog: %d per-service reads, want none", n)
	}
	cancel()
	if err := <-done; err != context.Canceled {
		t.Fatalf("Run returned %v, want context.Canceled", err)
	}
}

func TestWatcherBlocksAndSkipsSameContent(t *testing.T) {
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	cat, tgt := newFakeCatalog(), newFakeTarget()
	cat.set(reg("a", "web", 8001, ""))
	w, _ := runWatcher(ctx, cat, tgt, Options{})
	<-w.Synced()

	// An index bump with the same content reaches the watcher (it reads
	// the catalog again) but not the target.
	cat.touch()
	waitFor(t, "the watcher to read the new index", func() bool { return w.Stats().Index == cat.currentIndex() })
	cat.set(reg("b", "web", 8002, ""))
	waitConfig(t, tgt, "second instance", hasServers("web", "http://127.0.0.1:8001", "http://127.0.0.1:8002"))
	if _, n, _ := tgt.last(); n != 2 {
		t.Fatalf("target got %d updates, want 2 (the touch must not update it)", n)
	}
	// Every List after the first sync is a blocking query.
	calls := cat.listCalls()
	blocking := 0
	for _, idx := range calls {
		if idx > 0 {
			blocking++
		}
	}
	if blocking < 2 {
		t.Fatalf("List calls %v: want blocking queries (WaitIndex > 0) after the first sync", calls)
	}
}

func TestWatcherKeepsLastTableWhileAPIDown(t *testing.T) {
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	cat, tgt := newFakeCatalog(), newFakeTarget()
	cat.set(reg("a", "web", 8001, ""))
	w, _ := runWatcher(ctx, cat, tgt, Options{MinBackoff: time.Millisecond, MaxBackoff: 5 * time.Millisecond})
	<-w.Synced()

	cat.setDown(true)
	waitFor(t, "the watcher to see the failure", func() bool { return w.Stats().LastError != "" })
	if _, n, _ := tgt.last(); n != 1 {
		t.Fatalf("target got %d updates while the API was down, want 1", n)
	}
	cat.mu.Lock()
	cat.regs["b"] = reg("b", "web", 8002, "")
	cat.mu.Unlock()
	cat.setDown(false)
	waitConfig(t, tgt, "recovery", hasServers("web", "http://127.0.0.1:8001", "http://127.0.0.1:8002"))
	waitFor(t, "the error to clear", func() bool { return w.Stats().LastError == "" })
}

func TestWatcherFirstSyncOnEmptyCatalog(t *testing.T) {
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	cat, tgt := newFakeCatalog(), newFakeTarget()
	w, _ := runWatcher(ctx, cat, tgt, Options{})
	<-w.Synced()
	cfg, _, _ := tgt.last()
	if len(cfg.Routers) != 0 {
		t.Fatalf("routers %v, want none", cfg.Routers)
	}
	cat.set(reg("a", "web", 8001, ""))
	waitConfig(t, tgt, "first service", hasServers("web", "http://127.0.0.1:8001"))
}

func TestWatcherCoalescesBurst(t *testing.T) {
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	cat, tgt := newFakeCatalog(), newFakeTarget()
	w, _ := runWatcher(ctx, cat, tgt, Options{Debounce: 50 * time.Millisecond})
	<-w.Synced()
	for i := range 20 {
		cat.set(reg("id"+strconv.Itoa(i), "web", 8000+i, ""))
	}
	waitConfig(t, tgt, "all instances", func(c *config.Config) bool { return len(servers(c, "web")) == 20 })
	if _, n, _ := tgt.last(); n >= 21 {
		t.Fatalf("target got %d updates for one burst of 20 changes; want them coalesced", n)
	}
}

func TestInstanceConversion(t *testing.T) {
	tests := []struct {
		name   string
		checks []string
		want   string
	}{
		{"no checks", nil, structs.HealthPassing},
		{"passing", []string{structs.HealthPassing}, structs.HealthPassing},
		{"warning", []string{structs.HealthPassing, structs.HealthWarning}, structs.HealthWarning},
		{"critical", []string{structs.HealthWarning, structs.HealthCritical}, structs.HealthCritical},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r := &structs.ServiceRegistration{ID: "id", ServiceName: "web", Address: "10.0.0.1", Port: 80, Tags: []string{"x"}}
			for _, c := range tt.checks {
				r.Checks = append(r.Checks, &structs.CheckStatus{Status: c})
			}
			in := Instance(r)
			if in.Health != tt.want || in.ID != "id" || in.ServiceName != "web" || in.Address != "10.0.0.1" || in.Port != 80 || len(in.Tags) != 1 {
				t.Fatalf("Instance = %+v, want health %s", in, tt.want)
			}
		})
	}
}

func waitFor(t *testing.T, what string, ok func() bool) {
	t.Helper()
	deadline := time.Now().Add(5 * time.Second)
	for !ok() {
		if time.Now().After(deadline) {
			t.Fatalf("timed out waiting for %s", what)
		}
		time.Sleep(time.Millisecond)
	}
}
