package cli

import (
	"cmp"
	"fmt"
	"slices"
	"time"

	"github.com/wharf-project/wharf/internal/api"
	"github.com/wharf-project/wharf/internal/structs"
)

// monitorWait bounds each blocking query of the monitor.
const monitorWait = 5 * time.Minute

// evalMonitor follows one evaluation with blocking queries and prints what
// happens to it, as `nomad job run` does.
type evalMonitor struct {
	m       *meta
	c       *api.Client
	job     *structs.Job
	verbose bool
	status  string
	seen    map[string]bool
}

// monitorEval follows evalID to its end. createIndex is the index the
// write that created the evaluation returned: the first read waits until
// the server has caught up with it, so a server whose state lags the
// write does not answer 404. job (optional) lets placement failures name
// the drivers a group needs. It returns nil when every allocation was
// placed, an exitCodeError with exitPlacementFailed when some could not
// be, and one with exitError on failure.
func (m *meta) monitorEval(c *api.Client, evalID string, createIndex uint64, job *structs.Job, verbose bool) error {
	mon := &evalMonitor{m: m, c: c, job: job, verbose: verbose,
		status: structs.EvalStatusPending, seen: map[string]bool{}}
	return mon.run(evalID, createIndex)
}

func (e *evalMonitor) headf(format string, args ...any) {
	fmt.Fprintf(e.m.out, "==> %s: %s\n", e.m.now().Format(timeLayout), fmt.Sprintf(format, args...))
}

func (e *evalMonitor) infof(format string, args ...any) {
	fmt.Fprintf(e.m.out, "    %s: %s\n", e.m.now().Format(timeLayout), fmt.Sprintf(format, args...))
}

func (e *evalMonitor) run(evalID string, createIndex uint64) error {
	e.headf("Monitoring evaluation %q", shortID(evalID, e.verbose))
	var index uint64
	if createIndex > 0 {
		index = createIndex - 1
	}
	for first := true; ; first = false {
		eval, meta, err := e.c.Evaluations().Info(evalID, &api.QueryOptions{WaitIndex: index, WaitTime: monitorWait})
		if err != nil {
			return exitWith(exitError, fmt.Errorf("reading evaluation %q: %w", evalID, err))
		}
		index = meta.LastIndex
		if first {
			e.printTrigger(eval)
		}
		if err := e.printAllocs(eval); err != nil {
			return err
		}
		if eval.Status != e.status {
			e.infof("Evaluation status changed: %q -> %q", e.status, eval.Status)
			e.status = eval.Status
		}
		if eval.TerminalStatus() || eval.Status == structs.EvalStatusBlocked {
			return e.finish(eval)
		}
	}
}

func (e *evalMonitor) printTrigger(eval *structs.Evaluation) {
	switch {
	case eval.NodeID != "" && eval.TriggeredBy == structs.EvalTriggerNodeUpdate:
		e.infof("Evaluation triggered by node %q", shortID(eval.NodeID, e.verbose))
	case eval.JobID != "":
		e.infof("Evaluation triggered by job %q", eval.JobID)
	}
}

// printAllocs prints each allocation of the evaluation once: created when
// it is newer than the evaluation, modified otherwise (in-place updates).
func (e *evalMonitor) printAllocs(eval *structs.Evaluation) error {
	allocs, _, err := e.c.Evaluations().Allocations(eval.ID, nil)
	if err != nil {
		return exitWith(exitError, fmt.Errorf("reading allocations of evaluation %q: %w", eval.ID, err))
	}
	slices.SortFunc(allocs, func(a, b *structs.AllocListStub) int {
		return cmp.Or(cmp.Compare(a.CreateIndex, b.CreateIndex), cmp.Compare(a.Name, b.Name))
	})
	for _, a := range allocs {
		if e.seen[a.ID] {
			continue
		}
		e.seen[a.ID] = true
		verb := "created"
		if a.CreateIndex < eval.CreateIndex {
			verb = "modified"
		}
		e.infof("Allocation %q %s: node %q, group %q",
			shortID(a.ID, e.verbose), verb, shortID(a.NodeID, e.verbose), a.TaskGroup)
	}
	return nil
}

func (e *evalMonitor) finish(eval *structs.Evaluation) error {
	id := shortID(eval.ID, e.verbose)
	if len(eval.FailedTGAllocs) == 0 {
		e.headf("Evaluation %q finished with status %q", id, eval.Status)
		if eval.Status == structs.EvalStatusFailed || eval.Status == structs.EvalStatusCancelled {
			return exitWith(exitError, evalFailure(eval))
		}
		return nil
	}
	e.headf("Evaluation %q finished with status %q but failed to place all allocations:", id, eval.Status)
	head := "    " + e.m.now().Format(timeLayout) + ": "
	fmt.Fprint(e.m.out, formatFailedGroups(eval.FailedTGAllocs, e.job, head, "      "))
	if eval.BlockedEval != "" {
		e.infof("Evaluation %q waiting for additional capacity to place remainder", shortID(eval.BlockedEval, e.verbose))
	}
	return exitWith(exitPlacementFailed, nil)
}

func evalFailure(eval *structs.Evaluation) error {
	if eval.StatusDescription != "" {
		return fmt.Errorf("evaluation %q %s: %s", eval.ID, eval.Status, eval.StatusDescription)
	}
	return fmt.Errorf("evaluation %q %s", eval.ID, eval.Status)
}
