package cli

import (
	"fmt"
	"io"
	"os"
	"path/filepath"
	"sort"
	"strconv"

	"github.com/spf13/cobra"

	"github.com/wharf-project/wharf/internal/api"
	"github.com/wharf-project/wharf/internal/operator"
)

func (m *meta) operatorCommand() *cobra.Command {
	cmd := &cobra.Command{
		Use:   "operator",
		Short: "Cluster operations: snapshots of the whole state",
		Long: `Operations on the whole cluster, as Nomad's "nomad operator". Snapshots
save and restore every job, allocation, evaluation, node, service
registration and ACL object, with no tool but wharf.`,
		Example: `  wharf operator snapshot save backup.snap
  wharf operator snapshot inspect backup.snap
  wharf operator snapshot restore backup.snap`,
	}
	snap := &cobra.Command{
		Use:   "snapshot",
		Short: "Save, restore and inspect snapshots of the cluster's state",
		Long: `A snapshot is one file with every key of the cluster's state, read at one
index, with a header, a format version and a SHA-256 checksum (gzip
compressed). It restores onto a cluster of any size, onto embedded or
external etcd. Saving and restoring need a management token.`,
		Example: `  wharf operator snapshot save backup.snap
  wharf operator snapshot restore backup.snap`,
	}
	snap.AddCommand(m.snapshotSaveCommand(), m.snapshotRestoreCommand(), m.snapshotInspectCommand())
	cmd.AddCommand(snap)
	return cmd
}

func (m *meta) snapshotSaveCommand() *cobra.Command {
	var stale bool
	cmd := &cobra.Command{
		Use:   "save FILE",
		Short: "Save a snapshot of the cluster's state to FILE",
		Long: `Save a snapshot of the whole state to FILE. The file is written beside
FILE first, checked whole (checksum and counts), and only then renamed to
FILE, so FILE is never a partial snapshot.

-stale reads the answering server's own etcd member without a quorum: the
way to rescue the state of a cluster that lost its quorum for good (see
docs/operations.md).`,
		Example: `  wharf operator snapshot save backup.snap
  wharf operator snapshot save -stale -address http://10.0.0.1:4646 rescue.snap`,
		Args: usageArgs(cobra.ExactArgs(1)),
		RunE: func(cmd *cobra.Command, args []string) error {
			return m.snapshotSave(args[0], stale)
		},
	}
	cmd.Flags().BoolVar(&stale, "stale", false, "read the server's own etcd member, without a quorum")
	return cmd
}

func (m *meta) snapshotSave(path string, stale bool) error {
	c, err := m.client()
	if err != nil {
		return failed(err)
	}
	tmp, err := os.CreateTemp(filepath.Dir(path), "."+filepath.Base(path)+".part-*")
	if err != nil {
		return failed(fmt.Errorf("create the snapshot file: %w", err))
	}
	defer os.Remove(tmp.Name())
	defer tmp.Close()
	var q *api.QueryOptions
	if stale {
		q = &api.QueryOptions{Params: map[string]string{"stale": "true"}}
	}
	if err := c.Operator().SnapshotSave(tmp, q); err != nil {
		return failed(fmt.Errorf("saving the snapshot: %w", err))
	}
	sm, err := checkSnapshotFile(tmp)
	if err != nil {
		return failed(fmt.Errorf("the snapshot the server sent is not whole: %w", err))
	}
	if err := tmp.Sync(); err != nil {
		return failed(fmt.Errorf("write %s: %w", path, err))
	}
	if err := tmp.Close(); err != nil {
		return failed(fmt.Errorf("write %s: %w", path, err))
	}
	if err := os.Rename(tmp.Name(), path); err != nil {
		return failed(fmt.Errorf("write %s: %w", path, err))
	}
	fmt.Fprintf(m.out, "State file written to %s (index %d, %d keys)\n", path, sm.Index, sm.Keys)
	return nil
}

// checkSnapshotFile reads f from its start and checks it whole.
func checkSnapshotFile(f io.ReadSeeker) (operator.Summary, error) {
	if _, err := f.Seek(0, io.SeekStart); err != nil {
		return operator.Summary{}, err
	}
	return operator.Read(f, operator.ReadOptions{}, func(operator.Record) error { return nil })
}

func (m *meta) snapshotRestoreCommand() *cobra.Command {
	return &cobra.Command{
		Use:   "restore FILE",
		Short: "Replace the cluster's state with the snapshot in FILE",
		Long: `Replace the whole state of the cluster with the snapshot in FILE: every
object the snapshot holds comes back as it was, every other one is
removed. FILE is checked here first and again by the server; a file that
is not whole is refused and nothing is changed. Leaders pause their work
while the restore writes, and rebuild it from the restored state.`,
		Example: `  wharf operator snapshot restore backup.snap`,
		Args:    usageArgs(cobra.ExactArgs(1)),
		RunE: func(cmd *cobra.Command, args []string) error {
			return m.snapshotRestore(args[0])
		},
	}
}

func (m *meta) snapshotRestore(path string) error {
	f, err := os.Open(path)
	if err != nil {
		return failed(fmt.Errorf("open the snapshot: %w", err))
	}
	defer f.Close()
	if _, err := checkSnapshotFile(f); err != nil {
		return failed(fmt.Errorf("%s: %w; nothing restored", path, err))
	}
	if _, err := f.Seek(0, io.SeekStart); err != nil {
		return failed(err)
	}
	c, err := m.client()
	if err != nil {
		return failed(err)
	}
	res, err := c.Operator().SnapshotRestore(f, nil)
	if err != nil {
		return failed(fmt.Errorf("restoring the snapshot: %w", err))
	}
	fmt.Fprintf(m.out, "Snapshot Restored: %d keys of index %d (taken %s); %d other keys removed; state index now %d\n",
		res.Snapshot.Keys, res.Snapshot.Index, formatTime(res.Snapshot.Time), res.Deleted, res.Index)
	return nil
}

func (m *meta) snapshotInspectCommand() *cobra.Command {
	var o outputOptions
	cmd := &cobra.Command{
		Use:   "inspect FILE",
		Short: "Check a snapshot file and print what it holds",
		Long: `Read the snapshot in FILE whole, check its checksum and counts, and print
its index, time, sizes and the number of objects of each table. Needs no
server. Exits 1 when the file is not a whole wharf snapshot.`,
		Example: `  wharf operator snapshot inspect backup.snap`,
		Args:    usageArgs(cobra.ExactArgs(1)),
		RunE: func(cmd *cobra.Command, args []string) error {
			return m.snapshotInspect(args[0], o)
		},
	}
	cmd.Flags().BoolVar(&o.json, "json", false, "print the summary as JSON")
	return cmd
}

func (m *meta) snapshotInspect(path string, o outputOptions) error {
	f, err := os.Open(path)
	if err != nil {
		return failed(fmt.Errorf("open the snapshot: %w", err))
	}
	defer f.Close()
	sm, err := checkSnapshotFile(f)
	if err != nil {
		return failed(fmt.Errorf("%s: %w", path, err))
	}
	if o.json {
		return printJSON(m.out, sm)
	}
	st, err := f.Stat()
	if err != nil {
		return failed(err)
	}
	fmt.Fprint(m.out, formatKV([]kv{
		{"Format", fmt.Sprintf("%s v%d", sm.Format, sm.Version)}, {"Index", strconv.FormatUint(sm.Index, 10)},
		{"Time", formatTime(sm.Time)}, {"Size", strconv.FormatInt(st.Size(), 10)},
		{"Uncompressed", strconv.FormatInt(sm.Bytes, 10)}, {"Keys", strconv.Itoa(sm.Keys)}, {"SHA256", sm.SHA256},
	}))
	tables := make([]string, 0, len(sm.Tables))
	for t := range sm.Tables {
		tables = append(tables, t)
	}
	sort.Strings(tables)
	rows := [][]string{{"Table", "Count"}}
	for _, t := range tables {
		rows = append(rows, []string{t, strconv.Itoa(sm.Tables[t])})
	}
	fmt.Fprint(m.out, "\n"+formatList(rows))
	return nil
}
