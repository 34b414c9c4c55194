package server

import (
	"context"
	"errors"

	"github.com/wharf-project/wharf/internal/state"
)

type stepDownKey struct{}

// termContext derives the context of one leadership term's work from the
// elector's (which carries the term's fence); cancelling it, or a write
// of the term refused for lost leadership, ends that work.
func termContext(ctx context.Context) (context.Context, context.CancelFunc) {
	ctx, cancel := context.WithCancel(ctx)
	return context.WithValue(ctx, stepDownKey{}, cancel), cancel
}

// leadershipLost reports whether err is the store refusing a leader write
// made with ctx because that leadership is over (state.ErrNotLeader). It
// then logs the refused write and ends the work of ctx's term, so nothing
// is retried as leader; the elector campaigns again. Every leader write
// path checks its error with it before any retry.
func (s *Server) leadershipLost(ctx context.Context, err error, what string, attrs ...any) bool {
	if !errors.Is(err, state.ErrNotLeader) {
		return false
	}
	s.log.Warn("leadership lost, write refused", append([]any{"write", what, "err", err}, attrs...)...)
	if stop, ok := ctx.Value(stepDownKey{}).(context.CancelFunc); ok {
		stop()
	}
	return true
}
