package logmon

import (
	"encoding/json"
	"fmt"
	"log/slog"
	"net/http"
	"strconv"
	"strings"
	"time"
)

// Stream timings.
const (
	// heartbeat is how often an idle stream sends an empty frame, so a
	// client that went away is noticed.
	heartbeat = 10 * time.Second
	// writeTimeout is how long one write may block before the follower
	// is dropped.
	writeTimeout = 10 * time.Second
)

// Handler serves GET /v1/agent/monitor as Nomad's: ?log_level (trace,
// debug, info, warn, error; default info) picks the lines, ?log_json=true
// formats them as JSON objects; the answer is a stream of JSON frames
// {"Data": base64 of log text} as Nomad's API client reads them, or, with
// ?plain=true, the log text itself.
func (s *Sink) Handler() http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		q := r.URL.Query()
		level, err := parseLevel(q.Get("log_level"))
		if err != nil {
			http.Error(w, err.Error(), http.StatusBadRequest)
			return
		}
		plain, err := strconv.ParseBool(cmpOr(q.Get("plain"), "false"))
		if err != nil {
			http.Error(w, `query parameter "plain": not a boolean`, http.StatusBadRequest)
			return
		}
		asJSON, err := strconv.ParseBool(cmpOr(q.Get("log_json"), "false"))
		if err != nil {
			http.Error(w, `query parameter "log_json": not a boolean`, http.StatusBadRequest)
			return
		}
		f, err := s.Follow(level, asJSON)
		if err != nil {
			http.Error(w, err.Error(), http.StatusTooManyRequests)
			return
		}
		defer s.Stop(f)
		m := &monitorWriter{w: w, rc: http.NewResponseController(w), plain: plain}
		if plain {
			w.Header().Set("Content-Type", "text/plain; charset=utf-8")
		} else {
			w.Header().Set("Content-Type", "application/json")
		}
		w.WriteHeader(http.StatusOK)
		if m.rc.Flush() != nil {
			return
		}
		m.run(r, f)
	})
}

func cmpOr(v, d string) string {
	if v == "" {
		return d
	}
	return v
}

// parseLevel reads a log level name ("" is info).
func parseLevel(s string) (slog.Level, error) {
	switch strings.ToLower(s) {
	case "", "info":
		return slog.LevelInfo, nil
	case "trace", "debug":
		return slog.LevelDebug, nil
	case "warn", "warning":
		return slog.LevelWarn, nil
	case "error", "err":
		return slog.LevelError, nil
	}
	return 0, fmt.Errorf("query parameter \"log_level\": %q is not trace, debug, info, warn or error", s)
}

type monitorWriter struct {
	w     http.ResponseWriter
	rc    *http.ResponseController
	plain bool
}

func (m *monitorWriter) run(r *http.Request, f *Follower) {
	t := time.NewTicker(heartbeat)
	defer t.Stop()
	for {
		var err error
		select {
		case <-r.Context().Done():
			return
		case line := <-f.Lines:
			if n := f.Dropped(); n > 0 {
				line = append(fmt.Appendf(nil, "level=WARN msg=\"monitor: dropped %d log lines: the client reads slower than the agent logs\"\n", n), line...)
			}
			err = m.send(line)
		case <-t.C:
			err = m.heartbeat()
		}
		if err != nil {
			return
		}
	}
}

// send writes one chunk of log text.
func (m *monitorWriter) send(text []byte) error {
	if m.plain {
		return m.write(text)
	}
	frame, err := json.Marshal(struct{ Data []byte }{text})
	if err != nil {
		return err
	}
	return m.write(append(frame, '\n'))
}

func (m *monitorWriter) heartbeat() error {
	if m.plain {
		return m.rc.Flush()
	}
	return m.write([]byte("{}\n"))
}

func (m *monitorWriter) write(p []byte) error {
	_ = m.rc.SetWriteDeadline(time.Now().Add(writeTimeout))
	if _, err := m.w.Write(p); err != nil {
		return err
	}
	return m.rc.Flush()
}
