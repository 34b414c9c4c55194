package driverstest

import (
	"errors"
	"syscall"
	"testing"
	"time"

	"github.com/wharf-project/wharf/internal/drivers"
)

// expectSignal checks that the task ended by sig.
func expectSignal(t *testing.T, r *drivers.ExitResult, sig syscall.Signal) {
	t.Helper()
	if r == nil || r.Signal != int(sig) || r.Successful() {
		t.Errorf("exit = %+v, want ended by %v (%d)", r, sig, int(sig))
	}
}

// inspectExited checks InspectTask reports the task ended.
func inspectExited(t *testing.T, d drivers.Driver, id string) *drivers.TaskStatus {
	t.Helper()
	st, err := d.InspectTask(ctx(t), id)
	if err != nil {
		t.Fatal(err)
	}
	if st.State != drivers.TaskStateExited || st.ExitResult == nil {
		t.Errorf("InspectTask = %+v, want exited", st)
	}
	return st
}

func (s *suite) testStopWithSignal(t *testing.T) {
	d := s.h.New(t)
	cfg, _ := s.start(t, d, KindRun)
	s.waitReady(t, cfg)
	if err := d.StopTask(ctx(t), cfg.ID, timeout, "SIGTERM"); err != nil {
		t.Fatalf("StopTask: %v", err)
	}
	// StopTask returns once the task has ended.
	st := inspectExited(t, d, cfg.ID)
	expectSignal(t, st.ExitResult, syscall.SIGTERM)
	expectSignal(t, waitExit(t, d, cfg.ID), syscall.SIGTERM)
	if err := d.DestroyTask(ctx(t), cfg.ID, false); err != nil {
		t.Fatal(err)
	}
	s.assertClean(t, d, cfg)
}

func (s *suite) testStopKillsAfterTimeout(t *testing.T) {
	d := s.h.New(t)
	cfg, _ := s.start(t, d, KindIgnoreTerm)
	s.waitReady(t, cfg)
	// The empty signal is SIGTERM, which the task ignores.
	if err := d.StopTask(ctx(t), cfg.ID, 50*time.Millisecond, ""); err != nil {
		t.Fatalf("StopTask: %v", err)
	}
	expectSignal(t, inspectExited(t, d, cfg.ID).ExitResult, syscall.SIGKILL)
	if err := d.DestroyTask(ctx(t), cfg.ID, false); err != nil {
		t.Fatal(err)
	}
	s.assertClean(t, d, cfg)
}

func (s *suite) testStopEnded(t *testing.T) {
	d := s.h.New(t)
	cfg, _ := s.start(t, d, KindExitCode)
	waitExit(t, d, cfg.ID)
	if err := d.StopTask(ctx(t), cfg.ID, time.Second, "SIGTERM"); err != nil {
		t.Errorf("StopTask of an ended task: %v", err)
	}
	if r := inspectExited(t, d, cfg.ID).ExitResult; r.ExitCode != 3 {
		t.Errorf("stopping an ended task changed its exit: %+v", r)
	}
	if err := d.SignalTask(ctx(t), cfg.ID, "SIGHUP"); err == nil {
		t.Error("SignalTask of an ended task succeeded")
	}
}

func (s *suite) testStopKillsTree(t *testing.T) {
	d := s.h.New(t)
	cfg, _ := s.start(t, d, KindTree)
	s.waitReady(t, cfg)
	if err := d.StopTask(ctx(t), cfg.ID, timeout, "SIGTERM"); err != nil {
		t.Fatalf("StopTask: %v", err)
	}
	inspectExited(t, d, cfg.ID)
	if err := d.DestroyTask(ctx(t), cfg.ID, false); err != nil {
		t.Fatal(err)
	}
	s.assertClean(t, d, cfg)
}

func (s *suite) testSignal(t *testing.T) {
	d := s.h.New(t)
	cfg, _ := s.start(t, d, KindSignal)
	s.waitReady(t, cfg)
	if err := d.SignalTask(ctx(t), cfg.ID, "SIGNOPE"); err == nil {
		t.Error("SignalTask with an unknown signal succeeded")
	}
	if err := d.SignalTask(ctx(t), cfg.ID, "SIGHUP"); err != nil {
		t.Fatalf("SignalTask: %v", err)
	}
	if r := waitExit(t, d, cfg.ID); r.ExitCode != 7 || r.Signal != 0 {
		t.Errorf("exit = %+v, want code 7 from the task's SIGHUP handler", r)
	}
}

func (s *suite) testDestroyForce(t *testing.T) {
	d := s.h.New(t)
	cfg, _ := s.start(t, d, KindTree)
	s.waitReady(t, cfg)
	if err := d.DestroyTask(ctx(t), cfg.ID, false); err == nil {
		t.Fatal("DestroyTask of a running task without force succeeded")
	}
	if st, err := d.InspectTask(ctx(t), cfg.ID); err != nil || st.State != drivers.TaskStateRunning {
		t.Fatalf("after a refused destroy: %+v, %v; want running", st, err)
	}
	ch, err := d.WaitTask(ctx(t), cfg.ID)
	if err != nil {
		t.Fatal(err)
	}
	if err := d.DestroyTask(ctx(t), cfg.ID, true); err != nil {
		t.Fatalf("DestroyTask with force: %v", err)
	}
	if r := <-ch; r == nil || r.Successful() {
		t.Errorf("waiter of a destroyed task got %+v, want a failed exit", r)
	}
	if _, err := d.InspectTask(ctx(t), cfg.ID); !errors.Is(err, drivers.ErrTaskNotFound) {
		t.Errorf("InspectTask after destroy = %v, want ErrTaskNotFound", err)
	}
	if _, err := d.WaitTask(ctx(t), cfg.ID); !errors.Is(err, drivers.ErrTaskNotFound) {
		t.Errorf("WaitTask after destroy = %v, want ErrTaskNotFound", err)
	}
	s.assertClean(t, d, cfg)
}
