package embedetcd

import (
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"time"

	pb "go.etcd.io/etcd/api/v3/etcdserverpb"
)

// guardEvery is how often the guard looks at the data dir.
const guardEvery = time.Second

// ErrWritesRefused is wrapped by WriteBlocked's errors.
var ErrWritesRefused = errors.New("writes are refused")

// WriteBlocked returns why the member refuses writes now (the data dir's
// disk under its reserve, the data dir not writable, etcd's NOSPACE
// alarm), or nil. Reads are still served.
func (s *Server) WriteBlocked() error {
	if c := s.blocked.Load(); c != nil {
		return fmt.Errorf("%w: %s", ErrWritesRefused, *c)
	}
	return nil
}

// checkStart refuses to start a member on a data dir that cannot take
// writes: a disk under the reserve, or a directory that is not writable
// (etcd would die on its first write, without a word).
func checkStart(cfg Config) error {
	if err := os.MkdirAll(cfg.DataDir, 0o700); err != nil {
		return fmt.Errorf("embedetcd: data dir %s: %s: %w", cfg.DataDir, Cause(err.Error()), err)
	}
	if cause := diskCause(cfg.DataDir, cfg.DiskReserve); cause != "" {
		return errors.New("embedetcd: " + cause)
	}
	return nil
}

// diskCause says what keeps dir from taking writes, or "".
func diskCause(dir string, reserve int64) string {
	if err := probeWritable(dir); err != nil {
		return fmt.Sprintf("the data dir %s is not writable: %s (%v)", dir, Cause(err.Error()), err)
	}
	if reserve <= 0 {
		return ""
	}
	free, err := diskFree(dir)
	if err == nil && free < reserve {
		return fmt.Sprintf("the data dir's disk is full: %s free on %s, below the reserve of %s", size(free), dir, size(reserve))
	}
	return ""
}

// probeWritable creates and removes a file in dir.
func probeWritable(dir string) error {
	f, err := os.CreateTemp(dir, ".probe-*")
	if err != nil {
		return err
	}
	name := f.Name()
	f.Close()
	return os.Remove(name)
}

// guard watches the data dir until ctx ends: when it cannot take writes
// it raises etcd's NOSPACE alarm (a full disk; etcd then refuses writes
// and serves reads, instead of dying on its next write) and reports the
// cause through WriteBlocked; once the disk has room again (a quarter
// above the reserve) it disarms the alarm it raised.
func (s *Server) guard(ctx context.Context) {
	t := time.NewTicker(guardEvery)
	defer t.Stop()
	// An alarm the guard raised before a restart is etcd's state too: the
	// marker says it is the guard's to disarm once the disk has room.
	_, err := os.Stat(s.alarmMarker())
	raised := err == nil
	for {
		cause := diskCause(s.cfg.DataDir, s.cfg.DiskReserve)
		if cause == "" && raised {
			if free, err := diskFree(s.cfg.DataDir); err == nil && free < s.cfg.DiskReserve*5/4 {
				cause = fmt.Sprintf("the data dir's disk is full: %s free on %s, below the reserve of %s (and a quarter)",
					size(free), s.cfg.DataDir, size(s.cfg.DiskReserve))
			}
		}
		if cause == "" && !raised && s.quotaAlarm() {
			cause = s.quotaCause()
		}
		raised = s.setBlocked(ctx, cause, raised)
		select {
		case <-ctx.Done():
			return
		case <-t.C:
		}
	}
}

// setBlocked records cause ("" when writes are fine), logs changes and
// raises or disarms the alarm for a full disk; it returns whether the
// guard's own alarm is raised.
func (s *Server) setBlocked(ctx context.Context, cause string, raised bool) bool {
	prev := s.blocked.Load()
	switch {
	case cause != "" && (prev == nil || *prev != cause):
		s.blocked.Store(&cause)
		s.log.Error("writes refused, reads still served", "cause", cause)
		if !raised && s.cfg.DiskReserve > 0 && probeWritable(s.cfg.DataDir) == nil {
			raised = s.alarm(ctx, pb.AlarmRequest_ACTIVATE) == nil
			if raised {
				_ = os.WriteFile(s.alarmMarker(), nil, 0o600)
			}
		}
	case cause == "" && (prev != nil || raised):
		if raised {
			if err := s.alarm(ctx, pb.AlarmRequest_DEACTIVATE); err != nil {
				s.log.Error("cannot disarm etcd's NOSPACE alarm", "err", err)
				return true
			}
			_ = os.Remove(s.alarmMarker())
			raised = false
		}
		s.blocked.Store(nil)
		s.log.Info("writes accepted again", "data_dir", s.cfg.DataDir)
	}
	return raised
}

// alarm raises or disarms the member's NOSPACE alarm.
func (s *Server) alarm(ctx context.Context, action pb.AlarmRequest_AlarmAction) error {
	ctx, cancel := context.WithTimeout(ctx, 5*time.Second)
	defer cancel()
	_, err := s.etcd.Server.Alarm(ctx, &pb.AlarmRequest{Action: action, MemberID: uint64(s.etcd.Server.MemberID()),
		Alarm: pb.AlarmType_NOSPACE})
	if err != nil {
		s.log.Error("etcd NOSPACE alarm", "action", action.String(), "err", err)
	}
	return err
}

// quotaAlarm reports whether etcd itself raised a NOSPACE alarm.
func (s *Server) quotaAlarm() bool {
	for _, a := range s.etcd.Server.Alarms() {
		if a.Alarm == pb.AlarmType_NOSPACE {
			return true
		}
	}
	return false
}

// size writes n bytes for a person.
func size(n int64) string {
	switch {
	case n >= 1<<30:
		return strconv.FormatFloat(float64(n)/(1<<30), 'f', 1, 64) + " GiB"
	case n >= 1<<20:
		return strconv.FormatFloat(float64(n)/(1<<20), 'f', 1, 64) + " MiB"
	}
	return strconv.FormatInt(n, 10) + " bytes"
}

// alarmMarker is the file that says the guard raised etcd's NOSPACE
// alarm (it outlives a restart, as the alarm does).
func (s *Server) alarmMarker() string { return filepath.Join(s.cfg.DataDir, "wharf-nospace-alarm") }
