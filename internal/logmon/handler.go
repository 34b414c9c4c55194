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
// follower wants into the sink, formatted by one mirror handler per
// format (text, JSON) and level bucket, each writing to the sink tagged
// with both.
type handler struct {
	base    slog.Handler
	sink    *Sink
	mirrors [2][len(levels)]slog.Handler
}

var _ slog.Handler = (*handler)(nil)

// Wrap returns a logger that logs through log's handler and mirrors to
// the returned sink, which followers subscribe to.
func Wrap(log *slog.Logger) (*slog.Logger, *Sink) {
	s := newSink()
	h := &handler{base: log.Handler(), sink: s}
	opts := &slog.HandlerOptions{Level: slog.LevelDebug}
	for i, l := range levels {
		h.mirrors[0][i] = slog.NewTextHandler(levelWriter{s, l, false}, opts)
		h.mirrors[1][i] = slog.NewJSONHandler(levelWriter{s, l, true}, opts)
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
		b := bucket(r.Level)
		for f := range h.mirrors {
			if h.sink.wantsFormat(f == 1) {
				_ = h.mirrors[f][b].Handle(ctx, r)
			}
		}
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
	for i := range h.mirrors {
		for j, m := range h.mirrors[i] {
			c.mirrors[i][j] = f(m)
		}
	}
	return c
}

// levelWriter hands a mirror's formatted line to the sink with its level
// and format.
type levelWriter struct {
	s    *Sink
	l    slog.Level
	json bool
}

func (w levelWriter) Write(p []byte) (int, error) {
	w.s.publish(w.l, w.json, p)
	return len(p), nil
}
