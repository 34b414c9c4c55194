package jail

import (
	"bufio"
	"bytes"
	"encoding/json"
	"fmt"
	"os"
	"strings"
)

// This file reads what runc writes: its JSON log, its messages, its stats
// events. It is plain parsing, tested on every system.

// runtimeError turns a failed runtime subcommand into an error carrying
// the runtime's own message: the last error logged to logPath, else the
// command's output, else how it failed (e.g. "exit status 1"). The
// runtime's "runc <op> failed: " prefix is replaced by "runc <op>: ".
func runtimeError(op, logPath string, output []byte, err error) error {
	msg := lastLoggedError(logPath)
	if msg == "" {
		msg = strings.TrimSpace(string(output))
	}
	if msg == "" {
		return fmt.Errorf("runc %s: %w", op, err)
	}
	msg = strings.TrimPrefix(msg, "runc "+op+" failed: ")
	return fmt.Errorf("runc %s: %s", op, msg)
}

// lastLoggedError returns the msg of the last level-error line of a
// runtime's JSON log, or "".
func lastLoggedError(path string) string {
	if path == "" {
		return ""
	}
	data, err := os.ReadFile(path)
	if err != nil {
		return ""
	}
	var msg string
	sc := bufio.NewScanner(bytes.NewReader(data))
	sc.Buffer(make([]byte, 64<<10), 1<<20)
	for sc.Scan() {
		var line struct {
			Level string `json:"level"`
			Msg   string `json:"msg"`
		}
		if json.Unmarshal(sc.Bytes(), &line) == nil && line.Level == "error" && line.Msg != "" {
			msg = line.Msg
		}
	}
	return msg
}

// notExist reports whether a runtime's message says the container does
// not exist.
func notExist(msg string) bool {
	return strings.Contains(msg, "does not exist") || strings.Contains(msg, "not exist")
}

// parseList decodes the output of `runc list --format json` (null or
// nothing when there are no containers).
func parseList(out []byte) ([]Container, error) {
	out = bytes.TrimSpace(out)
	if len(out) == 0 || bytes.Equal(out, []byte("null")) {
		return nil, nil
	}
	var list []Container
	if err := json.Unmarshal(out, &list); err != nil {
		return nil, fmt.Errorf("runc list: %w", err)
	}
	return list, nil
}

// statsEvent is the part of runc's stats event a Usage is read from.
type statsEvent struct {
	Type string `json:"type"`
	Data struct {
		CPU struct {
			Usage struct {
				Total  uint64 `json:"total"`
				User   uint64 `json:"user"`
				Kernel uint64 `json:"kernel"`
			} `json:"usage"`
		} `json:"cpu"`
		Memory struct {
			Usage struct {
				Usage uint64 `json:"usage"`
				Max   uint64 `json:"max"`
			} `json:"usage"`
			Raw map[string]uint64 `json:"raw"`
		} `json:"memory"`
	} `json:"data"`
}

// parseStats decodes the output of `runc events --stats`.
func parseStats(out []byte) (*Usage, error) {
	var ev statsEvent
	if err := json.Unmarshal(out, &ev); err != nil {
		return nil, fmt.Errorf("runc events: decode stats: %w", err)
	}
	if ev.Type != "stats" {
		return nil, fmt.Errorf("runc events: got a %q event, want stats", ev.Type)
	}
	d := ev.Data
	u := &Usage{
		MemoryUsage: d.Memory.Usage.Usage, MemoryMaxUsage: d.Memory.Usage.Max,
		CPUTotal: d.CPU.Usage.Total, CPUUser: d.CPU.Usage.User, CPUKernel: d.CPU.Usage.Kernel,
	}
	for _, key := range []string{"total_rss", "rss", "anon"} {
		if v, ok := d.Memory.Raw[key]; ok {
			u.MemoryRSS = v
			break
		}
	}
	return u, nil
}
