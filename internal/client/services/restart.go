package services

import (
	"fmt"
	"log/slog"
	"sync"
	"time"

	"github.com/wharf-project/wharf/internal/structs"
)

// Event types of the service hooks, as Nomad names them.
const (
	// EventRestartSignaled is the event of a restart asked by a check.
	EventRestartSignaled = "Restart Signaled"
	// EventHookFailed says a task hook (here: services) failed.
	EventHookFailed = "Task hook failed"
)

// restartWatch restarts a task whose check stays unhealthy: after the
// grace that follows its registration, limit consecutive critical results
// (warning ones too unless ignore_warnings) restart it.
type restartWatch struct {
	cfg    structs.CheckRestart
	check  string
	target Target
	now    func() time.Time
	log    *slog.Logger

	mu        sync.Mutex
	graceEnd  time.Time
	unhealthy int
}

func newRestartWatch(cfg *structs.CheckRestart, check string, target Target, now func() time.Time, log *slog.Logger) *restartWatch {
	if cfg == nil || cfg.Limit <= 0 || target == nil {
		return nil
	}
	return &restartWatch{cfg: *cfg, check: check, target: target, now: now, log: log, graceEnd: now().Add(cfg.Grace)}
}

// observe takes the check's status after a run and restarts the task
// when it has been unhealthy limit times in a row.
func (rw *restartWatch) observe(status string) {
	if !rw.count(status) {
		return
	}
	reason := fmt.Sprintf("healthcheck: check %q unhealthy", rw.check)
	rw.log.Info("restarting task: check unhealthy", "check", rw.check, "limit", rw.cfg.Limit)
	if err := rw.target.RestartUnhealthy(RestartSignaledEvent(reason)); err != nil {
		rw.log.Warn("check restart", "check", rw.check, "err", err)
	}
}

// count records status and reports whether the limit was reached; it
// then starts a new grace.
func (rw *restartWatch) count(status string) bool {
	rw.mu.Lock()
	defer rw.mu.Unlock()
	now := rw.now()
	if now.Before(rw.graceEnd) {
		return false
	}
	if status == structs.HealthPassing || (status == structs.HealthWarning && rw.cfg.IgnoreWarnings) {
		rw.unhealthy = 0
		return false
	}
	rw.unhealthy++
	if rw.unhealthy < rw.cfg.Limit {
		return false
	}
	rw.unhealthy = 0
	rw.graceEnd = now.Add(rw.cfg.Grace)
	return true
}

// RestartSignaledEvent is the task event of a restart a check asked for.
func RestartSignaledEvent(reason string) *structs.TaskEvent {
	e := newEvent(EventRestartSignaled, reason)
	e.RestartReason = reason
	e.Details["restart_reason"] = reason
	return e
}

// hookFailedEvent says the services hook could not register a service.
func hookFailedEvent(err error) *structs.TaskEvent {
	e := newEvent(EventHookFailed, err.Error())
	e.Message = err.Error()
	return e
}

func newEvent(typ, display string) *structs.TaskEvent {
	return &structs.TaskEvent{Type: typ, Time: time.Now().UnixNano(), DisplayMessage: display, Message: display,
		Details: map[string]string{}}
}
