package driverstest

import (
	"context"
	"errors"
	"os"
	"path/filepath"
	"testing"

	"github.com/wharf-project/wharf/internal/drivers"
	"github.com/wharf-project/wharf/internal/tasklog"
)

func (s *suite) testFingerprint(t *testing.T) {
	d := s.h.New(t)
	info := d.Fingerprint(ctx(t))
	if info == nil || !info.Detected || !info.Healthy {
		t.Fatalf("Fingerprint = %+v, want detected and healthy", info)
	}
	if got := info.Attributes["driver."+d.Name()]; got != "1" {
		t.Errorf("attribute driver.%s = %q, want 1", d.Name(), got)
	}
	if info.UpdateTime.IsZero() {
		t.Error("UpdateTime not set")
	}
}

func (s *suite) testStartWaitExitZero(t *testing.T) {
	d := s.h.New(t)
	cfg, h := s.start(t, d, KindExitZero)
	if h.Driver != d.Name() || h.Config != cfg || h.StartedAt.IsZero() || len(h.DriverState) == 0 {
		t.Errorf("handle = %+v", h)
	}
	if h.State != drivers.TaskStateRunning {
		t.Errorf("handle state = %q, want %q", h.State, drivers.TaskStateRunning)
	}
	r := waitExit(t, d, cfg.ID)
	if !r.Successful() {
		t.Errorf("exit = %+v, want success", r)
	}
	st, err := d.InspectTask(ctx(t), cfg.ID)
	if err != nil {
		t.Fatal(err)
	}
	if st.ID != cfg.ID || st.State != drivers.TaskStateExited || st.ExitResult == nil || !st.ExitResult.Successful() {
		t.Errorf("InspectTask = %+v", st)
	}
	if st.StartedAt.IsZero() || st.CompletedAt.IsZero() || st.CompletedAt.Before(st.StartedAt) {
		t.Errorf("InspectTask times: started %v, completed %v", st.StartedAt, st.CompletedAt)
	}
	if err := d.DestroyTask(ctx(t), cfg.ID, false); err != nil {
		t.Fatalf("DestroyTask of an ended task: %v", err)
	}
	s.assertClean(t, d, cfg)
}

func (s *suite) testExitCode(t *testing.T) {
	d := s.h.New(t)
	cfg, _ := s.start(t, d, KindExitCode)
	r := waitExit(t, d, cfg.ID)
	if r.ExitCode != 3 || r.Signal != 0 || r.Err != nil || r.Successful() {
		t.Errorf("exit = %+v, want code 3", r)
	}
}

func (s *suite) testOutput(t *testing.T) {
	if !s.h.Logs {
		t.Skip("the driver writes no log files")
	}
	d := s.h.New(t)
	cfg, _ := s.start(t, d, KindOutput)
	if r := waitExit(t, d, cfg.ID); !r.Successful() {
		t.Fatalf("exit = %+v", r)
	}
	for stream, want := range map[string]string{"stdout": OutStdout, "stderr": OutStderr} {
		data, err := os.ReadFile(filepath.Join(cfg.LogDir, tasklog.FileName(cfg.TaskName, stream, 0)))
		if err != nil || string(data) != want {
			t.Errorf("%s log = %q, %v; want %q", stream, data, err, want)
		}
	}
}

func (s *suite) testWaitTwice(t *testing.T) {
	d := s.h.New(t)
	cfg, _ := s.start(t, d, KindExitCode)
	first, err1 := d.WaitTask(ctx(t), cfg.ID)
	second, err2 := d.WaitTask(ctx(t), cfg.ID)
	if err := errors.Join(err1, err2); err != nil {
		t.Fatal(err)
	}
	for i, ch := range []<-chan *drivers.ExitResult{first, second} {
		if r := <-ch; r == nil || r.ExitCode != 3 {
			t.Errorf("waiter %d got %+v", i, r)
		}
		if _, open := <-ch; open {
			t.Errorf("waiter %d: channel yields twice", i)
		}
	}
	if r := waitExit(t, d, cfg.ID); r.ExitCode != 3 {
		t.Errorf("wait after exit = %+v", r)
	}
}

func (s *suite) testWaitCanceled(t *testing.T) {
	d := s.h.New(t)
	cfg, _ := s.start(t, d, KindRun)
	c, cancel := context.WithCancel(context.Background())
	ch, err := d.WaitTask(c, cfg.ID)
	if err != nil {
		t.Fatal(err)
	}
	cancel()
	if r, open := <-ch; open || r != nil {
		t.Errorf("canceled wait yielded %+v (open %v), want a closed channel", r, open)
	}
	st, err := d.InspectTask(ctx(t), cfg.ID)
	if err != nil || st.State != drivers.TaskStateRunning {
		t.Errorf("after a canceled wait: %+v, %v; want running", st, err)
	}
}

func (s *suite) testStartError(t *testing.T) {
	d := s.h.New(t)
	cfg := s.taskConfig(t, KindBadCommand)
	h, err := d.StartTask(ctx(t), cfg)
	if err == nil {
		_ = d.DestroyTask(context.Background(), cfg.ID, true)
		t.Fatalf("StartTask of a bad command succeeded: %+v", h)
	}
	if err.Error() != s.h.StartError {
		t.Errorf("StartTask error = %q, want %q verbatim", err, s.h.StartError)
	}
	if _, err := d.InspectTask(ctx(t), cfg.ID); !errors.Is(err, drivers.ErrTaskNotFound) {
		t.Errorf("InspectTask after a failed start = %v, want ErrTaskNotFound", err)
	}
	s.assertClean(t, d, cfg)
	// The same task can be started again once the cause is fixed.
	cfg.Config = s.h.Config(KindExitZero)
	if _, err := d.StartTask(ctx(t), cfg); err != nil {
		t.Fatalf("StartTask after a failed start: %v", err)
	}
	t.Cleanup(func() { _ = d.DestroyTask(context.Background(), cfg.ID, true) })
	if r := waitExit(t, d, cfg.ID); !r.Successful() {
		t.Errorf("exit = %+v", r)
	}
}

func (s *suite) testStartTwice(t *testing.T) {
	d := s.h.New(t)
	cfg, _ := s.start(t, d, KindRun)
	if _, err := d.StartTask(ctx(t), cfg); err == nil {
		t.Fatal("second StartTask with the same ID succeeded")
	}
	st, err := d.InspectTask(ctx(t), cfg.ID)
	if err != nil || st.State != drivers.TaskStateRunning {
		t.Errorf("first task after the refused start: %+v, %v", st, err)
	}
}

func (s *suite) testUnknownTask(t *testing.T) {
	d := s.h.New(t)
	const id = "no-such-alloc/web"
	_, werr := d.WaitTask(ctx(t), id)
	_, ierr := d.InspectTask(ctx(t), id)
	for name, err := range map[string]error{
		"WaitTask":    werr,
		"InspectTask": ierr,
		"StopTask":    d.StopTask(ctx(t), id, 0, ""),
		"SignalTask":  d.SignalTask(ctx(t), id, "SIGHUP"),
		"DestroyTask": d.DestroyTask(ctx(t), id, true),
	} {
		if !errors.Is(err, drivers.ErrTaskNotFound) {
			t.Errorf("%s(unknown) = %v, want ErrTaskNotFound", name, err)
		}
	}
}
