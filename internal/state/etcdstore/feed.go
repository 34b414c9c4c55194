package etcdstore

import "github.com/wharf-project/wharf/internal/state"

var _ state.ChangeFeed = (*Store)(nil)

// SetChangeListener installs fn, which learns every change the store's
// index applies (see state.ChangeListener).
func (s *Store) SetChangeListener(fn state.ChangeListener) { s.idx.SetChangeListener(fn) }
