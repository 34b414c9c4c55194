// Package allocdir lays out an allocation's directory on the host, as
// Nomad does:
//
//	<root>/<allocID>/alloc/          shared by the group's tasks (NOMAD_ALLOC_DIR)
//	<root>/<allocID>/alloc/logs/     task logs: <task>.stdout.N, <task>.stderr.N
//	<root>/<allocID>/alloc/data/     shared data
//	<root>/<allocID>/alloc/tmp/      shared scratch space
//	<root>/<allocID>/<task>/         the task's working directory
//	<root>/<allocID>/<task>/local/   NOMAD_TASK_DIR
//	<root>/<allocID>/<task>/secrets/ NOMAD_SECRETS_DIR
//	<root>/<allocID>/<task>/tmp/     TMPDIR of the task
//
// allocdir must never import any other wharf package except
// internal/structs.
package allocdir

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
)

// Directory names inside an allocation directory.
const (
	SharedAllocName = "alloc"
	LogDirName      = "logs"
	SharedDataName  = "data"
	TmpDirName      = "tmp"
	TaskLocal       = "local"
	TaskSecrets     = "secrets"
)

// Modes: tasks may run as another user than the agent, so the directories
// they write into are open to all (as Nomad's are); secrets are the
// task's own.
const (
	dirMode     = 0o755
	sharedMode  = 0o777
	secretsMode = 0o700
)

// AllocDir is the directory of one allocation.
type AllocDir struct {
	// Dir is <root>/<allocID>.
	Dir string
	// SharedDir is Dir/alloc.
	SharedDir string
	// LogDir is Dir/alloc/logs.
	LogDir string
}

// TaskDir is the directory of one task of an allocation.
type TaskDir struct {
	// Dir is the task's working directory, <alloc>/<task>.
	Dir string
	// LocalDir, SecretsDir and TmpDir are inside Dir.
	LocalDir   string
	SecretsDir string
	TmpDir     string
}

// New returns the layout of allocation allocID under root; nothing is
// created.
func New(root, allocID string) *AllocDir {
	dir := filepath.Join(root, allocID)
	shared := filepath.Join(dir, SharedAllocName)
	return &AllocDir{Dir: dir, SharedDir: shared, LogDir: filepath.Join(shared, LogDirName)}
}

// TaskDir returns the layout of the named task.
func (d *AllocDir) TaskDir(task string) *TaskDir {
	dir := filepath.Join(d.Dir, task)
	return &TaskDir{Dir: dir, LocalDir: filepath.Join(dir, TaskLocal),
		SecretsDir: filepath.Join(dir, TaskSecrets), TmpDir: filepath.Join(dir, TmpDirName)}
}

// ValidTaskName reports an error when a task name cannot be a directory
// name inside the allocation directory.
func ValidTaskName(task string) error {
	if task == "" || task == "." || task == ".." || task == SharedAllocName ||
		strings.ContainsAny(task, `/\`) || strings.ContainsRune(task, 0) {
		return fmt.Errorf("task name %q cannot be used as a directory name", task)
	}
	return nil
}

// dirEntry is one directory to create and its mode.
type dirEntry struct {
	path string
	mode os.FileMode
}

// Build creates the allocation's directories and those of tasks. It is
// safe to call again on an existing directory.
func (d *AllocDir) Build(tasks []string) error {
	dirs := []dirEntry{
		{d.Dir, dirMode},
		{d.SharedDir, sharedMode},
		{d.LogDir, dirMode},
		{filepath.Join(d.SharedDir, SharedDataName), sharedMode},
		{filepath.Join(d.SharedDir, TmpDirName), sharedMode},
	}
	for _, name := range tasks {
		if err := ValidTaskName(name); err != nil {
			return fmt.Errorf("build alloc dir %s: %w", d.Dir, err)
		}
		td := d.TaskDir(name)
		dirs = append(dirs, dirEntry{td.Dir, sharedMode}, dirEntry{td.LocalDir, sharedMode},
			dirEntry{td.SecretsDir, secretsMode}, dirEntry{td.TmpDir, sharedMode})
	}
	for _, dir := range dirs {
		if err := mkdir(dir.path, dir.mode); err != nil {
			return fmt.Errorf("build alloc dir: %w", err)
		}
	}
	return nil
}

// mkdir creates dir with exactly mode (the umask does not apply).
func mkdir(dir string, mode os.FileMode) error {
	if err := os.MkdirAll(dir, mode); err != nil {
		return err
	}
	return os.Chmod(dir, mode)
}

// Destroy removes the allocation's directory and everything in it.
func (d *AllocDir) Destroy() error {
	if err := os.RemoveAll(d.Dir); err != nil && !errors.Is(err, os.ErrNotExist) {
		return fmt.Errorf("remove alloc dir %s: %w", d.Dir, err)
	}
	return nil
}
