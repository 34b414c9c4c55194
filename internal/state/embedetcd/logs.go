package embedetcd

import (
	"context"
	"fmt"
	"log/slog"
	"os"
	"strings"

	"go.uber.org/zap"
	"go.uber.org/zap/zapcore"

	"github.com/wharf-project/wharf/internal/netlimit"
)

// exit ends the process after a fatal etcd entry; tests replace it.
var exit = osExit

var osExit = os.Exit

// newLogger returns a zap logger for etcd that writes its errors to log
// (its warnings at debug level), and whose fatal entries (etcd calls them when it cannot
// write its WAL or database: a full disk, a read-only directory, no
// descriptors left) are logged with their cause before the process
// exits, instead of the silent exit of a discarding logger.
func newLogger(log *slog.Logger, dataDir string) *zap.Logger {
	core := &slogCore{log: log, min: zapcore.WarnLevel}
	// etcd warns of every failed request and slow disk: those go to
	// debug; errors and worse are the agent's errors.
	return zap.New(core, zap.WithFatalHook(fatalHook{log: log, dataDir: dataDir}))
}

// slogCore is a zapcore.Core writing to a slog.Logger.
type slogCore struct {
	log    *slog.Logger
	min    zapcore.Level
	fields []zapcore.Field
}

var _ zapcore.Core = (*slogCore)(nil)

func (c *slogCore) Enabled(l zapcore.Level) bool { return l >= c.min }

func (c *slogCore) With(fields []zapcore.Field) zapcore.Core {
	return &slogCore{log: c.log, min: c.min, fields: append(append([]zapcore.Field(nil), c.fields...), fields...)}
}

func (c *slogCore) Check(e zapcore.Entry, ce *zapcore.CheckedEntry) *zapcore.CheckedEntry {
	if c.Enabled(e.Level) {
		return ce.AddCore(e, c)
	}
	return ce
}

func (c *slogCore) Write(e zapcore.Entry, fields []zapcore.Field) error {
	args := attrs(append(append([]zapcore.Field(nil), c.fields...), fields...))
	level := slog.LevelError
	if e.Level < zapcore.ErrorLevel || closedListener(args) {
		level = slog.LevelDebug
	}
	if removedMember(e.Message, args) {
		c.log.Error(removedMessage)
	}
	c.log.Log(context.Background(), level, "etcd: "+e.Message, args...)
	return nil
}

// closedListener reports whether an entry's fields say only that a
// listener or server was closed: etcd logs that as an error on every
// clean stop ("setting up serving ... failed"), which is no error of the
// agent's.
func closedListener(args []any) bool {
	for i := 1; i < len(args); i += 2 {
		s := strings.ToLower(fmt.Sprint(args[i]))
		for _, closed := range []string{"server closed", "use of closed network connection"} {
			if strings.Contains(s, closed) {
				return true
			}
		}
	}
	return false
}

func (c *slogCore) Sync() error { return nil }

// attrs converts zap fields to slog key-value pairs.
func attrs(fields []zapcore.Field) []any {
	enc := zapcore.NewMapObjectEncoder()
	for _, f := range fields {
		f.AddTo(enc)
	}
	out := make([]any, 0, 2*len(enc.Fields))
	for k, v := range enc.Fields {
		out = append(out, k, v)
	}
	return out
}

// fatalHook logs why etcd gave up, then ends the process.
type fatalHook struct {
	log     *slog.Logger
	dataDir string
}

func (h fatalHook) OnWrite(ce *zapcore.CheckedEntry, fields []zapcore.Field) {
	text := ce.Message + " " + fmt.Sprint(attrs(fields)...)
	args := []any{"cause", Cause(text), "data_dir", h.dataDir, "etcd", ce.Message}
	args = append(args, attrs(fields)...)
	if strings.Contains(text, "too many open files") {
		args = append(args, netlimit.BudgetAttrs()...)
	}
	h.log.Error("fatal: the embedded etcd member cannot go on; the agent exits", args...)
	exit(1)
}

// Cause names, for an operator, the condition an error text describes:
// a full disk, a read-only or unwritable directory, no descriptors left,
// or etcd's database quota; else the text itself.
func Cause(text string) string {
	for _, c := range []struct{ needle, cause string }{
		{"no space left on device", "the disk is full (ENOSPC): free space, then restart"},
		{"read-only file system", "the directory is on a read-only file system (EROFS)"},
		{"permission denied", "the directory is not writable (permission denied)"},
		{"operation not permitted", "the directory is not writable (operation not permitted: immutable?)"},
		{"too many open files", "the process is out of file descriptors (EMFILE)"},
		{"database space exceeded", "etcd's database reached its quota (NOSPACE alarm)"},
	} {
		if strings.Contains(strings.ToLower(text), c.needle) {
			return c.cause
		}
	}
	return text
}
