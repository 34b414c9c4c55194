package rawexec

import (
	"context"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"

	"github.com/wharf-project/wharf/internal/drivers"
	"github.com/wharf-project/wharf/internal/drivers/shared/executor"
	"github.com/wharf-project/wharf/internal/supervise"
)

// defaultPath is the PATH a command is looked up in when the task's
// environment has none.
const defaultPath = "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin"

// ExecTask runs opts.Command on the host beside a running task: with the
// task's environment, in its task directory and, when the agent runs as
// root, as the task's user. The command is looked up in the task's PATH.
// It runs in its own process group (its own session on a terminal), which
// is killed when the command exits, when ctx ends or when the task ends,
// so nothing it started outlives the session.
func (d *Driver) ExecTask(ctx context.Context, taskID string, opts *drivers.ExecOptions) (*drivers.ExitResult, error) {
	return d.core.Exec(ctx, taskID, opts, func(t *executor.Task) (*executor.Command, error) {
		cmd, err := execCommand(t.Config(), opts)
		if err != nil {
			return nil, err
		}
		return &executor.Command{Cmd: cmd}, nil
	})
}

// execCommand builds the command: program resolved in the task's PATH,
// the task's environment and directory, and the task user's credential.
func execCommand(cfg *drivers.TaskConfig, opts *drivers.ExecOptions) (*exec.Cmd, error) {
	env := envList(cfg.Env)
	if opts.Tty && cfg.Env["TERM"] == "" {
		env = append(env, "TERM=xterm-256color")
	}
	prog, err := lookPath(opts.Command[0], cfg.Env["PATH"], cfg.TaskDir)
	if err != nil {
		return nil, err
	}
	cred, err := supervise.Credential(cfg.User)
	if err != nil {
		return nil, err
	}
	return &exec.Cmd{Path: prog, Args: opts.Command, Env: env, Dir: cfg.TaskDir,
		SysProcAttr: &syscall.SysProcAttr{Credential: cred}}, nil
}

// lookPath finds name in path (the task's PATH, defaultPath when empty);
// a name with a slash is taken as it is, relative to dir.
func lookPath(name, path, dir string) (string, error) {
	if strings.Contains(name, "/") {
		p := name
		if !filepath.IsAbs(p) {
			p = filepath.Join(dir, p)
		}
		if err := executable(p); err != nil {
			return "", fmt.Errorf("exec: %q: %w", name, err)
		}
		return p, nil
	}
	if path == "" {
		path = defaultPath
	}
	for _, d := range filepath.SplitList(path) {
		if d == "" {
			d = "."
		}
		if !filepath.IsAbs(d) {
			d = filepath.Join(dir, d)
		}
		if p := filepath.Join(d, name); executable(p) == nil {
			return p, nil
		}
	}
	return "", fmt.Errorf("exec: %q: executable file not found in $PATH", name)
}

// executable reports why p is not an executable file, if it is not.
func executable(p string) error {
	fi, err := os.Stat(p)
	if err != nil {
		return err
	}
	if fi.IsDir() || fi.Mode()&0o111 == 0 {
		return &os.PathError{Op: "exec", Path: p, Err: os.ErrPermission}
	}
	return nil
}
