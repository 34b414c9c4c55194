package state

import (
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"net/url"
	"os"
	"path/filepath"

	"github.com/wharf-project/wharf/internal/drivers"
	"github.com/wharf-project/wharf/internal/structs"
)

// FormatVersion is the version of the files FileDB writes.
const FormatVersion = 1

// FileDB stores the state as JSON files under one directory, each written
// atomically (temporary file, fsync, rename):
//
//	<dir>/node.json                              node identity
//	<dir>/allocs/<allocID>/alloc.json            allocation as last seen
//	<dir>/allocs/<allocID>/<task>.state.json     task state
//	<dir>/allocs/<allocID>/<task>.handle.json    driver handle of a live task
//
// Task names are path-escaped. Every file holds {"Version": 1, "Value": ...}.
type FileDB struct {
	dir string
}

var _ DB = (*FileDB)(nil)

// envelope wraps every stored value with the format version.
type envelope struct {
	Version int
	Value   json.RawMessage
}

// OpenFileDB opens (creating it when missing) the state directory dir.
func OpenFileDB(dir string) (*FileDB, error) {
	if err := os.MkdirAll(filepath.Join(dir, "allocs"), 0o700); err != nil {
		return nil, fmt.Errorf("open client state in %s: %w", dir, err)
	}
	return &FileDB{dir: dir}, nil
}

// Dir is the directory the state lives in.
func (db *FileDB) Dir() string { return db.dir }

func (db *FileDB) allocDir(allocID string) string {
	return filepath.Join(db.dir, "allocs", url.PathEscape(allocID))
}

func (db *FileDB) taskFile(allocID, task, kind string) string {
	return filepath.Join(db.allocDir(allocID), url.PathEscape(task)+"."+kind+".json")
}

// NodeIdentity reads node.json.
func (db *FileDB) NodeIdentity() (*NodeIdentity, error) {
	var id NodeIdentity
	ok, err := readJSON(filepath.Join(db.dir, "node.json"), &id)
	if !ok {
		return nil, err
	}
	return &id, nil
}

// PutNodeIdentity writes node.json.
func (db *FileDB) PutNodeIdentity(id *NodeIdentity) error {
	return writeJSON(filepath.Join(db.dir, "node.json"), id)
}

// PutAlloc writes the allocation's alloc.json, creating its directory.
func (db *FileDB) PutAlloc(a *structs.Allocation) error {
	dir := db.allocDir(a.ID)
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return fmt.Errorf("store alloc %s: %w", a.ID, err)
	}
	return writeJSON(filepath.Join(dir, "alloc.json"), a)
}

// Allocs reads every alloc.json.
func (db *FileDB) Allocs() ([]*structs.Allocation, error) {
	entries, err := os.ReadDir(filepath.Join(db.dir, "allocs"))
	if err != nil {
		return nil, fmt.Errorf("list stored allocs: %w", err)
	}
	var out []*structs.Allocation
	var errs []error
	for _, e := range entries {
		if !e.IsDir() {
			continue
		}
		var a structs.Allocation
		ok, err := readJSON(filepath.Join(db.dir, "allocs", e.Name(), "alloc.json"), &a)
		switch {
		case err != nil:
			errs = append(errs, err)
		case ok:
			out = append(out, &a)
		}
	}
	return out, errors.Join(errs...)
}

// DeleteAlloc removes the allocation's directory.
func (db *FileDB) DeleteAlloc(allocID string) error {
	if err := os.RemoveAll(db.allocDir(allocID)); err != nil {
		return fmt.Errorf("delete stored alloc %s: %w", allocID, err)
	}
	return nil
}

// PutTaskState writes <task>.state.json.
func (db *FileDB) PutTaskState(allocID, task string, st *structs.TaskState) error {
	return db.putTaskFile(allocID, task, "state", st)
}

// TaskState reads <task>.state.json.
func (db *FileDB) TaskState(allocID, task string) (*structs.TaskState, error) {
	var st structs.TaskState
	ok, err := readJSON(db.taskFile(allocID, task, "state"), &st)
	if !ok {
		return nil, err
	}
	return &st, nil
}

// PutTaskHandle writes <task>.handle.json.
func (db *FileDB) PutTaskHandle(allocID, task string, h *drivers.TaskHandle) error {
	return db.putTaskFile(allocID, task, "handle", h)
}

// TaskHandle reads <task>.handle.json.
func (db *FileDB) TaskHandle(allocID, task string) (*drivers.TaskHandle, error) {
	var h drivers.TaskHandle
	ok, err := readJSON(db.taskFile(allocID, task, "handle"), &h)
	if !ok {
		return nil, err
	}
	return &h, nil
}

// DeleteTaskHandle removes <task>.handle.json.
func (db *FileDB) DeleteTaskHandle(allocID, task string) error {
	err := os.Remove(db.taskFile(allocID, task, "handle"))
	if err != nil && !errors.Is(err, fs.ErrNotExist) {
		return fmt.Errorf("delete handle of task %s/%s: %w", allocID, task, err)
	}
	return nil
}

func (db *FileDB) putTaskFile(allocID, task, kind string, v any) error {
	if _, err := os.Stat(filepath.Join(db.allocDir(allocID), "alloc.json")); err != nil {
		return fmt.Errorf("store %s of task %s/%s: %w", kind, allocID, task, ErrNoAlloc)
	}
	return writeJSON(db.taskFile(allocID, task, kind), v)
}

// writeJSON writes v in an envelope to path atomically.
func writeJSON(path string, v any) error {
	val, err := json.Marshal(v)
	if err != nil {
		return fmt.Errorf("encode %s: %w", path, err)
	}
	data, err := json.Marshal(envelope{Version: FormatVersion, Value: val})
	if err != nil {
		return fmt.Errorf("encode %s: %w", path, err)
	}
	return writeAtomic(path, data)
}

// writeAtomic replaces path with data so a reader (or a crash) sees the
// old or the new content, never a mix.
func writeAtomic(path string, data []byte) error {
	f, err := os.CreateTemp(filepath.Dir(path), "."+filepath.Base(path)+".tmp*")
	if err != nil {
		return fmt.Errorf("write %s: %w", path, err)
	}
	tmp := f.Name()
	_, werr := f.Write(data)
	serr := f.Sync()
	cerr := f.Close()
	if err := errors.Join(werr, serr, cerr); err != nil {
		_ = os.Remove(tmp)
		return fmt.Errorf("write %s: %w", path, err)
	}
	if err := os.Rename(tmp, path); err != nil {
		_ = os.Remove(tmp)
		return fmt.Errorf("write %s: %w", path, err)
	}
	return nil
}

// readJSON decodes the envelope at path into v. It returns false without
// an error when the file does not exist.
func readJSON(path string, v any) (bool, error) {
	data, err := os.ReadFile(path)
	if errors.Is(err, fs.ErrNotExist) {
		return false, nil
	}
	if err != nil {
		return false, fmt.Errorf("read %s: %w", path, err)
	}
	var env envelope
	if err := json.Unmarshal(data, &env); err != nil {
		return false, fmt.Errorf("read %s: %w", path, err)
	}
	if env.Version != FormatVersion {
		return false, fmt.Errorf("read %s: format version %d, want %d", path, env.Version, FormatVersion)
	}
	if err := json.Unmarshal(env.Value, v); err != nil {
		return false, fmt.Errorf("read %s: %w", path, err)
	}
	return true, nil
}
