package client

import (
	"os"
	"path/filepath"
	"slices"
	"time"
)

// collectGarbage removes the directories of terminal allocations beyond
// the GCMaxAllocs most recent ones. A directory is kept while its
// allocation's runner has a task that is not dead; recency is the time
// its logs directory (else the directory) last changed.
func (c *Client) collectGarbage() {
	entries, err := os.ReadDir(c.allocRoot)
	if err != nil || len(entries) <= c.cfg.GCMaxAllocs {
		return
	}
	type dir struct {
		id  string
		mod time.Time
	}
	var terminal []dir
	for _, e := range entries {
		if !e.IsDir() {
			continue
		}
		if ar := c.AllocRunner(e.Name()); ar != nil && !ar.IsDead() {
			continue
		}
		terminal = append(terminal, dir{e.Name(), c.dirTime(e.Name())})
	}
	if len(terminal) <= c.cfg.GCMaxAllocs {
		return
	}
	slices.SortFunc(terminal, func(a, b dir) int { return b.mod.Compare(a.mod) })
	for _, d := range terminal[c.cfg.GCMaxAllocs:] {
		path := filepath.Join(c.allocRoot, d.id)
		if err := os.RemoveAll(path); err != nil {
			c.log.Warn("garbage collect alloc dir", "dir", path, "err", err)
			continue
		}
		c.log.Debug("garbage collected alloc dir", "alloc_id", d.id)
	}
}

func (c *Client) dirTime(id string) time.Time {
	for _, p := range []string{filepath.Join(c.allocRoot, id, "alloc", "logs"), filepath.Join(c.allocRoot, id)} {
		if fi, err := os.Stat(p); err == nil {
			return fi.ModTime()
		}
	}
	return time.Time{}
}
