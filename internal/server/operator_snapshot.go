package server

import (
	"context"
	"crypto/sha256"
	"encoding/base64"
	"errors"
	"fmt"
	"io"
	"net/http"
	"os"
	"strconv"

	"github.com/wharf-project/wharf/internal/operator"
)

// maxSnapshotUpload bounds the compressed size of a snapshot sent for
// restore; its uncompressed size is bounded by operator.DefaultMaxBytes.
const maxSnapshotUpload = 1 << 30

// snapshotter is a store that saves and restores snapshots (the etcd
// store; the in-memory store has nothing to save).
type snapshotter interface {
	SaveSnapshot(ctx context.Context, w io.Writer, stale bool) (operator.Summary, error)
	RestoreSnapshot(ctx context.Context, f io.ReadSeeker, opt operator.ReadOptions) (operator.RestoreResult, error)
}

func (s *Server) snapshots() (snapshotter, error) {
	sn, ok := s.store.(snapshotter)
	if !ok {
		return nil, errorf(http.StatusNotImplemented, "this server's store cannot take snapshots")
	}
	return sn, nil
}

// snapshotSave sends a snapshot of the whole state (GET
// /v1/operator/snapshot, as Nomad's). The snapshot is written to a
// temporary file first, so a failure is a clean error status and the
// answer carries its length and Nomad's Digest header (sha-256 of the
// body, which Nomad's client checks). ?stale reads this server's own
// etcd member without a quorum.
func (s *Server) snapshotSave(w http.ResponseWriter, r *http.Request) {
	if err := s.sendSnapshot(w, r); err != nil {
		s.writeError(w, r, err)
	}
}

func (s *Server) sendSnapshot(w http.ResponseWriter, r *http.Request) error {
	sn, err := s.snapshots()
	if err != nil {
		return err
	}
	stale, err := boolParam(r, "stale")
	if err != nil {
		return err
	}
	f, err := os.CreateTemp("", "wharf-snapshot-*")
	if err != nil {
		return fmt.Errorf("snapshot: %w", err)
	}
	defer os.Remove(f.Name())
	defer f.Close()
	sum := sha256.New()
	sm, err := sn.SaveSnapshot(r.Context(), io.MultiWriter(f, sum), stale)
	if errors.Is(err, operator.ErrNoQuorum) {
		return errorf(http.StatusServiceUnavailable, "snapshot: %v; ?stale=true (wharf operator snapshot save -stale) reads this server's own member", err)
	}
	if err != nil {
		return fmt.Errorf("snapshot: %w", err)
	}
	size, err := f.Seek(0, io.SeekCurrent)
	if err == nil {
		_, err = f.Seek(0, io.SeekStart)
	}
	if err != nil {
		return fmt.Errorf("snapshot: %w", err)
	}
	h := w.Header()
	h.Set("Content-Type", "application/gzip")
	h.Set("Content-Length", strconv.FormatInt(size, 10))
	h.Set("Digest", "sha-256="+base64.StdEncoding.EncodeToString(sum.Sum(nil)))
	s.setMeta(w, sm.Index)
	w.WriteHeader(http.StatusOK)
	if _, err := io.Copy(w, f); err != nil {
		s.log.Warn("snapshot not sent whole", "err", err)
	}
	s.log.Info("snapshot saved", "index", sm.Index, "keys", sm.Keys, "bytes", size)
	return nil
}

// snapshotRestore replaces the whole state with the snapshot in the
// request body (PUT /v1/operator/snapshot, as Nomad's). The body is
// spooled to a temporary file (at most maxSnapshotUpload bytes) and
// checked whole before anything is written.
func (s *Server) snapshotRestore(w http.ResponseWriter, r *http.Request) (any, uint64, error) {
	sn, err := s.snapshots()
	if err != nil {
		return nil, 0, err
	}
	f, err := os.CreateTemp("", "wharf-restore-*")
	if err != nil {
		return nil, 0, fmt.Errorf("snapshot restore: spool the upload: %w", err)
	}
	defer os.Remove(f.Name())
	defer f.Close()
	n, err := io.Copy(f, http.MaxBytesReader(w, r.Body, maxSnapshotUpload))
	if err != nil {
		var mbe *http.MaxBytesError
		if errors.As(err, &mbe) {
			return nil, 0, errorf(http.StatusRequestEntityTooLarge, "snapshot larger than %d bytes", mbe.Limit)
		}
		return nil, 0, fmt.Errorf("snapshot restore: read the upload: %w", err)
	}
	if n == 0 {
		return nil, 0, errorf(http.StatusBadRequest, "request body is empty: send a snapshot file")
	}
	res, err := sn.RestoreSnapshot(r.Context(), f, operator.ReadOptions{})
	if err != nil {
		return nil, 0, restoreError(err)
	}
	s.log.Warn("state restored from a snapshot", "snapshot_index", res.Snapshot.Index, "keys", res.Snapshot.Keys,
		"deleted", res.Deleted, "index", res.Index)
	return res, res.Index, nil
}

// restoreError gives a failed restore the status that fits.
func restoreError(err error) error {
	switch {
	case errors.Is(err, operator.ErrTooLarge):
		return errorf(http.StatusRequestEntityTooLarge, "snapshot refused, nothing restored: %v", err)
	case operator.IsBadSnapshot(err):
		return errorf(http.StatusBadRequest, "snapshot refused, nothing restored: %v", err)
	case errors.Is(err, operator.ErrRestoreRunning):
		return errorf(http.StatusConflict, "snapshot restore: %v", err)
	case errors.Is(err, operator.ErrNoQuorum):
		return errorf(http.StatusServiceUnavailable, "snapshot restore, nothing restored: %v", err)
	}
	return fmt.Errorf("snapshot restore: %w", err)
}
