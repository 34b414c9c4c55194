package services

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/wharf-project/wharf/internal/backoff"
	"github.com/wharf-project/wharf/internal/structs"
)

// Run writes the manager's changes to the catalog until ctx ends: changes
// made within the batch window go out in one call, failed writes are
// retried with backoff, and every refresh interval the node's
// registrations are compared with the servers' copy. When ctx ends, what
// is pending is flushed for a second at most and the checks stop.
func (m *Manager) Run(ctx context.Context) {
	defer m.Close()
	refresh := time.NewTicker(m.cfg.RefreshInterval)
	defer refresh.Stop()
	retry := time.NewTimer(time.Hour)
	retry.Stop()
	defer retry.Stop()
	bo := backoff.Backoff{Min: m.cfg.RetryMin, Max: m.cfg.RetryMax}
	for {
		select {
		case <-ctx.Done():
			m.flush()
			return
		case <-m.kick:
			if bo.Failures() > 0 {
				continue // the pending retry takes this change along
			}
			if !sleepCtx(ctx, m.cfg.BatchWindow) {
				continue
			}
		case <-retry.C:
		case <-refresh.C:
			if err := m.refresh(ctx); err != nil {
				m.log.Warn("service refresh", "err", err)
			}
			continue // a loss pokes the loop
		}
		if err := m.Sync(ctx); err != nil {
			m.log.Warn("service registrations not written; retrying", "err", err)
			retry.Reset(bo.Next())
		} else {
			bo.Reset()
		}
	}
}

// flush writes what is pending, for a second at most.
func (m *Manager) flush() {
	ctx, cancel := context.WithTimeout(context.Background(), time.Second)
	defer cancel()
	if err := m.Sync(ctx); err != nil {
		m.log.Debug("final service sync not done", "err", err)
	}
}

// Sync writes the pending changes now: one Deregister call for removed
// registrations, one Register call for those whose content differs from
// what was last written. What fails stays pending.
func (m *Manager) Sync(ctx context.Context) error {
	regs, dels := m.take()
	var errs []error
	if len(dels) > 0 {
		err := m.cfg.Catalog.Deregister(ctx, dels)
		m.doneDeletes(dels, err)
		errs = append(errs, wrap("deregister", err))
	}
	if len(regs) > 0 {
		err := m.cfg.Catalog.Register(ctx, regs)
		m.doneWrites(regs, err)
		errs = append(errs, wrap("register", err))
	}
	return errors.Join(errs...)
}

func wrap(what string, err error) error {
	if err == nil {
		return nil
	}
	return fmt.Errorf("%s: %w", what, err)
}

// take returns the registrations to write and the IDs to remove, and
// clears them from the pending sets.
func (m *Manager) take() ([]*structs.ServiceRegistration, []string) {
	m.mu.Lock()
	defer m.mu.Unlock()
	var regs []*structs.ServiceRegistration
	for id := range m.dirty {
		r := m.desired[id]
		if r != nil && !r.SameContent(m.written[id]) {
			regs = append(regs, r.Copy())
		}
	}
	clear(m.dirty)
	dels := make([]string, 0, len(m.deletes))
	for id := range m.deletes {
		dels = append(dels, id)
	}
	clear(m.deletes)
	slices.Sort(dels)
	slices.SortFunc(regs, func(a, b *structs.ServiceRegistration) int { return strings.Compare(a.ID, b.ID) })
	return regs, dels
}

// doneWrites records a Register call: written on success, pending again
// on failure (unless removed meanwhile).
func (m *Manager) doneWrites(regs []*structs.ServiceRegistration, err error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	for _, r := range regs {
		switch {
		case err != nil:
			if m.desired[r.ID] != nil {
				m.dirty[r.ID] = true
			}
		case m.desired[r.ID] != nil:
			m.written[r.ID] = r
		}
	}
	if err == nil {
		m.writes++
	}
}

// doneDeletes records a Deregister call.
func (m *Manager) doneDeletes(ids []string, err error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	for _, id := range ids {
		if m.desired[id] != nil {
			continue // registered again meanwhile
		}
		if err != nil {
			m.deletes[id] = true
			continue
		}
		delete(m.written, id)
	}
	if err == nil {
		m.writes++
	}
}

// refresh compares what was written with the servers' copy of the node's
// registrations and marks for writing what they lost or changed.
func (m *Manager) refresh(ctx context.Context) error {
	have, err := m.cfg.Catalog.ByNode(ctx, m.cfg.NodeID)
	if err != nil {
		return fmt.Errorf("read the node's registrations: %w", err)
	}
	byID := make(map[string]*structs.ServiceRegistration, len(have))
	for _, r := range have {
		byID[r.ID] = r
	}
	m.mu.Lock()
	lost := 0
	for id, w := range m.written {
		if m.desired[id] != nil && !w.SameContent(byID[id]) {
			delete(m.written, id)
			m.dirty[id] = true
			lost++
		}
	}
	m.mu.Unlock()
	if lost > 0 {
		m.log.Info("servers lost service registrations; writing them again", "count", lost)
		m.poke()
	}
	return nil
}

// Reconcile removes the node's registrations that belong to no running
// task: running reports whether a task of this node runs (task "" for a
// group service: whether any task of the allocation runs). Registrations
// without an allocation (made through the Consul agent API) are left
// alone. It returns the IDs queued for removal; Run removes them.
func (m *Manager) Reconcile(ctx context.Context, running func(allocID, task string) bool) ([]string, error) {
	have, err := m.cfg.Catalog.ByNode(ctx, m.cfg.NodeID)
	if err != nil {
		return nil, fmt.Errorf("read the node's registrations: %w", err)
	}
	var removed []string
	m.mu.Lock()
	for _, r := range have {
		if r.AllocID == "" || !strings.HasPrefix(r.ID, IDPrefix) || m.desired[r.ID] != nil || running(r.AllocID, r.Task) {
			continue
		}
		m.deletes[r.ID] = true
		removed = append(removed, r.ID)
	}
	m.mu.Unlock()
	if len(removed) > 0 {
		m.poke()
	}
	return removed, nil
}

func sleepCtx(ctx context.Context, d time.Duration) bool {
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-t.C:
		return true
	case <-ctx.Done():
		return false
	}
}
