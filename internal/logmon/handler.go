package logmon

import (
	"context"
	"log/slog"
)

// levels are the buckets a follower may ask for: debug, info, warn, error.
var levels = [...]slog.Level{slog.LevelDebug, slog.LevelInfo, slog.LevelWarn, slog.LevelError}

// bucket is the index in levels of the highest bucket at or below l.
func bucket(l slog.Level) int {
	i := 0
	for j, b := range levels {
		if l >= b {
			i = j
		}
	}
	return i
}

// handler passes records to the agent's handler and mirrors those some
// follower wants into the sink, formatted as text by one mirror handler
// per level bucket (each writes to the sink tagged with its bucket).
type handler struct {
	base    slog.Handler
	sink    *Sink
	mirrors [len(levels)]slog.Handler
}

var _ slog.Handler = (*handler)(nil)

// Wrap returns a logger that logs through log's handler and mirrors to
// the returned sink, which followers subscribe to.
func Wrap(log *slog.Logger) (*slog.Logger, *Sink) {
	s := newSink()
	h := &handler{base: log.Handler(), sink: s}
	for i, l := range levels {
		h.mirrors[i] = slog.NewTextHandler(levelWriter{s, l}, &slog.HandlerOptions{Level: slog.LevelDebug})
	}
	return slog.New(h), s
}

// Enabled is true when the agent logs at l or a follower wants it.
func (h *handler) Enabled(ctx context.Context, l slog.Level) bool {
	return h.base.Enabled(ctx, l) || h.sink.wants(l)
}

// Handle logs r.
func (h *handler) Handle(ctx context.Context, r slog.Record) error {
	var err error
	if h.base.Enabled(ctx, r.Level) {
		err = h.base.Handle(ctx, r)
	}
	if h.sink.wants(r.Level) {
		_ = h.mirrors[bucket(r.Level)].Handle(ctx, r)
	}
	return err
}

// WithAttrs adds attrs to the agent's handler and the mirrors.
func (h *handler) WithAttrs(attrs []slog.Attr) slog.Handler {
	return h.derive(func(x slog.Handler) slog.Handler { return x.WithAttrs(attrs) })
}

// WithGroup opens a group in the agent's handler and the mirrors.
func (h *handler) WithGroup(name string) slog.Handler {
	return h.derive(func(x slog.Handler) slog.Handler { return x.WithGroup(name) })
}

func (h *handler) derive(f func(slog.Handler) slog.Handler) slog.Handler {
	c := &handler{base: f(h.base), sink: h.sink}
	for i, m := range h.mirrors {
		c.mirrors[i] = f(m)
	}
	return c
}

// levelWriter hands a mirror's formatted line to the sink with its level.
type levelWriter struct {
	s *Sink
	l slog.Level
}

func (w levelWriter) Write(p []byte) (int, error) {
	w.s.publish(w.l, p)
	return len(p), nil
}
