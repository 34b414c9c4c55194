package driverstest

import (
	"encoding/json"
	"errors"
	"testing"

	"github.com/wharf-project/wharf/internal/drivers"
)

// persisted returns the handle as the client would read it back from its
// state store after a restart: through JSON.
func persisted(t *testing.T, h *drivers.TaskHandle) *drivers.TaskHandle {
	t.Helper()
	data, err := json.Marshal(h)
	if err != nil {
		t.Fatalf("encode handle: %v", err)
	}
	var out drivers.TaskHandle
	if err := json.Unmarshal(data, &out); err != nil {
		t.Fatalf("decode handle: %v", err)
	}
	return &out
}

func (s *suite) testRecoverRunning(t *testing.T) {
	d := s.h.New(t)
	cfg, h := s.start(t, d, KindTree)
	s.waitReady(t, cfg)
	d2 := s.h.Reopen(t, d)
	if err := d2.RecoverTask(ctx(t), persisted(t, h)); err != nil {
		t.Fatalf("RecoverTask: %v", err)
	}
	if err := d2.RecoverTask(ctx(t), persisted(t, h)); err != nil {
		t.Errorf("second RecoverTask of a held task: %v", err)
	}
	st, err := d2.InspectTask(ctx(t), cfg.ID)
	if err != nil || st.State != drivers.TaskStateRunning {
		t.Fatalf("recovered task: %+v, %v; want running", st, err)
	}
	if err := d2.StopTask(ctx(t), cfg.ID, timeout, "SIGTERM"); err != nil {
		t.Fatalf("StopTask through the recovered driver: %v", err)
	}
	r := waitExit(t, d2, cfg.ID)
	if r.Successful() || r.Err != nil {
		t.Errorf("exit after stop = %+v", r)
	}
	if err := d2.DestroyTask(ctx(t), cfg.ID, false); err != nil {
		t.Fatal(err)
	}
	s.assertClean(t, d2, cfg)
}

func (s *suite) testRecoverExited(t *testing.T) {
	d := s.h.New(t)
	cfg, h := s.start(t, d, KindSignal)
	s.waitReady(t, cfg)
	if err := d.SignalTask(ctx(t), cfg.ID, "SIGHUP"); err != nil {
		t.Fatal(err)
	}
	waitExit(t, d, cfg.ID)
	d2 := s.h.Reopen(t, d)
	if err := d2.RecoverTask(ctx(t), persisted(t, h)); err != nil {
		t.Fatalf("RecoverTask of an ended task: %v", err)
	}
	if r := waitExit(t, d2, cfg.ID); r.ExitCode != 7 || r.Err != nil {
		t.Errorf("recovered exit = %+v, want code 7", r)
	}
	if err := d2.DestroyTask(ctx(t), cfg.ID, false); err != nil {
		t.Fatal(err)
	}
	s.assertClean(t, d2, cfg)
}

func (s *suite) testRecoverDestroyed(t *testing.T) {
	d := s.h.New(t)
	cfg, h := s.start(t, d, KindRun)
	if err := d.DestroyTask(ctx(t), cfg.ID, true); err != nil {
		t.Fatal(err)
	}
	d2 := s.h.Reopen(t, d)
	err := d2.RecoverTask(ctx(t), persisted(t, h))
	if !errors.Is(err, drivers.ErrTaskNotFound) {
		t.Errorf("RecoverTask of a destroyed task = %v, want ErrTaskNotFound", err)
	}
	s.assertClean(t, d2, cfg)
}
