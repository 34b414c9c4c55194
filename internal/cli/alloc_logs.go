package cli

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"sort"
	"strings"

	"github.com/spf13/cobra"

	"github.com/wharf-project/wharf/internal/api"
	"github.com/wharf-project/wharf/internal/structs"
)

// logOptions are the flags of `alloc logs`.
type logOptions struct {
	follow, stderr, tail bool
	lines                int
	bytes                int64
}

func (m *meta) allocLogsCommand() *cobra.Command {
	var o logOptions
	cmd := &cobra.Command{
		Use:   "logs [flags] ALLOC [TASK]",
		Short: "Print or follow a task's stdout or stderr",
		Long: `Print a task's stdout (or stderr with -stderr). TASK may be left out when
the allocation has a single task. -f follows new output; unlike Nomad's, a
follow that starts before the task does waits for it, and ends by itself once
the task is dead and everything it wrote has been printed. -tail starts from
the end: the last -n lines (default 10) or the last -c bytes.`,
		Example: `  wharf alloc logs 8ba85cef
  wharf alloc logs -stderr 8ba85cef www1
  wharf alloc logs -f -tail -n 20 8ba85cef`,
		Args: usageArgs(cobra.RangeArgs(1, 2)),
		RunE: func(cmd *cobra.Command, args []string) error {
			task := ""
			if len(args) == 2 {
				task = args[1]
			}
			return m.allocLogs(args[0], task, o)
		},
	}
	f := cmd.Flags()
	f.BoolVarP(&o.follow, "follow", "f", false, "follow new output until the task is dead")
	f.BoolVar(&o.stderr, "stderr", false, "print stderr instead of stdout")
	f.BoolVar(&o.tail, "tail", false, "start from the end of the logs")
	f.IntVarP(&o.lines, "lines", "n", -1, "with -tail, how many lines (default 10)")
	f.Int64VarP(&o.bytes, "bytes", "c", -1, "with -tail, how many bytes")
	return cmd
}

func (m *meta) allocLogs(allocArg, task string, o logOptions) error {
	c, err := m.client()
	if err != nil {
		return failed(err)
	}
	alloc, _, err := c.Allocations().Resolve(allocArg, nil)
	if err != nil {
		return failed(lookupError("allocation", allocArg, err))
	}
	if task, err = pickTask(alloc, task); err != nil {
		return failed(err)
	}
	lo := api.LogOptions{Task: task, Type: "stdout", Follow: o.follow}
	if o.stderr {
		lo.Type = "stderr"
	}
	if o.tail || o.lines >= 0 || o.bytes >= 0 {
		skip, err := m.tailOffset(c, alloc.ID, lo, o)
		if err != nil {
			return failed(err)
		}
		lo.Origin, lo.Offset = "end", skip
	}
	return m.copyLogs(c, alloc.ID, lo)
}

// pickTask returns the task to read: the one named, or the only one.
func pickTask(a *structs.Allocation, task string) (string, error) {
	var names []string
	if a.Job != nil {
		if tg := a.Job.LookupTaskGroup(a.TaskGroup); tg != nil {
			for _, t := range tg.Tasks {
				names = append(names, t.Name)
			}
		}
	}
	if len(names) == 0 {
		for n := range a.TaskStates {
			names = append(names, n)
		}
	}
	sort.Strings(names)
	switch {
	case task != "":
		for _, n := range names {
			if n == task {
				return task, nil
			}
		}
		return "", fmt.Errorf("allocation %s has no task %q (tasks: %s)", structs.ShortID(a.ID), task, strings.Join(names, ", "))
	case len(names) == 1:
		return names[0], nil
	case len(names) == 0:
		return "", fmt.Errorf("allocation %s has no tasks", structs.ShortID(a.ID))
	}
	return "", fmt.Errorf("allocation %s has several tasks; name one: %s", structs.ShortID(a.ID), strings.Join(names, ", "))
}

// tailOffset is how many bytes before the end to start: -c bytes, or as
// many as the last -n lines take (read from the end of the logs now).
func (m *meta) tailOffset(c *api.Client, allocID string, lo api.LogOptions, o logOptions) (int64, error) {
	if o.bytes >= 0 {
		return o.bytes, nil
	}
	lines := o.lines
	if lines < 0 {
		lines = 10
	}
	const window = 64 << 10
	lo.Follow, lo.Origin, lo.Offset = false, "end", window
	s, err := c.Allocations().Logs(allocID, lo, nil)
	if err != nil {
		return 0, fmt.Errorf("read logs: %w", err)
	}
	defer s.Close()
	var buf bytes.Buffer
	for {
		f, err := s.Next()
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			return 0, fmt.Errorf("read logs: %w", err)
		}
		buf.Write(f.Data)
	}
	return lastLinesSize(buf.Bytes(), lines), nil
}

// lastLinesSize is the byte length of the last n lines of data.
func lastLinesSize(data []byte, n int) int64 {
	if n == 0 {
		return 0
	}
	end := len(data)
	if end > 0 && data[end-1] == '\n' {
		end--
	}
	for i := end - 1; i >= 0; i-- {
		if data[i] == '\n' {
			n--
			if n == 0 {
				return int64(len(data) - i - 1)
			}
		}
	}
	return int64(len(data))
}

// copyLogs prints the stream until it ends.
func (m *meta) copyLogs(c *api.Client, allocID string, lo api.LogOptions) error {
	s, err := c.Allocations().Logs(allocID, lo, nil)
	if err != nil {
		return failed(fmt.Errorf("read logs of task %q: %w", lo.Task, err))
	}
	defer s.Close()
	for {
		f, err := s.Next()
		if errors.Is(err, io.EOF) {
			return nil
		}
		if err != nil {
			return failed(fmt.Errorf("read logs of task %q: %w", lo.Task, err))
		}
		if _, err := m.out.Write(f.Data); err != nil {
			return failed(err)
		}
	}
}
