package pot

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"os/exec"
	"strings"
)

// runcCmd builds a runc command with the driver's state root.
func (d *Driver) runcCmd(ctx context.Context, args ...string) *exec.Cmd {
	return exec.CommandContext(ctx, d.runc, append([]string{"--root", d.opts.RuncRoot}, args...)...)
}

// deleteContainer force-deletes a container (killing what runs in it and
// removing its cgroup); one that does not exist is not an error.
func (d *Driver) deleteContainer(ctx context.Context, id string) error {
	if d.runc == "" {
		return nil
	}
	var stderr bytes.Buffer
	cmd := d.runcCmd(ctx, "delete", "--force", id)
	cmd.Stderr = &stderr
	if err := cmd.Run(); err != nil {
		msg := strings.TrimSpace(stderr.String())
		if strings.Contains(msg, "does not exist") || strings.Contains(msg, "not exist") {
			return nil
		}
		return fmt.Errorf("pot: runc delete %s: %v: %s", id, err, msg)
	}
	return nil
}

// containerInfo is one entry of `runc list --format json`.
type containerInfo struct {
	ID     string `json:"id"`
	Status string `json:"status"`
	Bundle string `json:"bundle"`
}

// listContainers lists the containers in the driver's runc root.
func (d *Driver) listContainers(ctx context.Context) ([]containerInfo, error) {
	out, err := d.runcCmd(ctx, "list", "--format", "json").Output()
	if err != nil {
		return nil, fmt.Errorf("pot: runc list: %w", err)
	}
	var list []containerInfo
	if len(bytes.TrimSpace(out)) == 0 || bytes.Equal(bytes.TrimSpace(out), []byte("null")) {
		return nil, nil
	}
	if err := json.Unmarshal(out, &list); err != nil {
		return nil, fmt.Errorf("pot: runc list: %w", err)
	}
	return list, nil
}
