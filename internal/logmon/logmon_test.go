package logmon

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"
)

func TestFollowerGetsItsLevelAndTheAgentKeepsItsOwn(t *testing.T) {
	var own bytes.Buffer
	log, sink := Wrap(slog.New(slog.NewTextHandler(&own, &slog.HandlerOptions{Level: slog.LevelInfo})))
	debug, err := sink.Follow(slog.LevelDebug, false)
	if err != nil {
		t.Fatal(err)
	}
	warn, _ := sink.Follow(slog.LevelWarn, false)
	log.With("role", "server").Debug("a debug line", "k", 1)
	log.Info("an info line")
	log.WithGroup("g").Warn("a warning", "x", "y")

	if strings.Contains(own.String(), "a debug line") || !strings.Contains(own.String(), "an info line") {
		t.Fatalf("the agent's own log changed level: %q", own.String())
	}
	want := []string{"role=server", "an info line", "g.x=y"}
	for _, w := range want {
		line := <-debug.Lines
		if !strings.Contains(string(line), w) {
			t.Fatalf("debug follower line %q lacks %q", line, w)
		}
	}
	if line := <-warn.Lines; !strings.Contains(string(line), "a warning") || len(warn.Lines) != 0 {
		t.Fatalf("warn follower got %q then %d more", line, len(warn.Lines))
	}
	sink.Stop(debug)
	sink.Stop(warn)
	if log.Enabled(context.Background(), slog.LevelDebug) {
		t.Fatal("debug still enabled without followers")
	}
}

func TestTextAndJSONFollowersAtOnce(t *testing.T) {
	log, sink := Wrap(slog.New(slog.NewTextHandler(&bytes.Buffer{}, nil)))
	text, _ := sink.Follow(slog.LevelInfo, false)
	js, _ := sink.Follow(slog.LevelInfo, true)
	log.Info("both", "k", "v")
	if line := string(<-text.Lines); !strings.Contains(line, "msg=both k=v") {
		t.Fatalf("text line %q", line)
	}
	var rec map[string]any
	if err := json.Unmarshal(<-js.Lines, &rec); err != nil || rec["msg"] != "both" || rec["k"] != "v" {
		t.Fatalf("json line %v %v", rec, err)
	}
	if len(text.Lines)+len(js.Lines) != 0 {
		t.Fatal("a follower got the other format too")
	}
}

func TestSlowFollowerLosesLinesNotTheAgent(t *testing.T) {
	log, sink := Wrap(slog.New(slog.NewTextHandler(&bytes.Buffer{}, nil)))
	f, _ := sink.Follow(slog.LevelInfo, false)
	for i := 0; i < 3*queueLines; i++ {
		log.Info("line")
	}
	if len(f.Lines) != queueLines {
		t.Fatalf("queue %d, want its bound %d", len(f.Lines), queueLines)
	}
	if d := f.Dropped(); d != 2*queueLines {
		t.Fatalf("dropped %d, want %d", d, 2*queueLines)
	}
}

func TestFollowersAreBounded(t *testing.T) {
	_, sink := Wrap(slog.New(slog.NewTextHandler(&bytes.Buffer{}, nil)))
	for i := 0; i < MaxFollowers; i++ {
		if _, err := sink.Follow(slog.LevelInfo, false); err != nil {
			t.Fatal(err)
		}
	}
	if _, err := sink.Follow(slog.LevelInfo, false); err != ErrTooManyFollowers {
		t.Fatalf("follower %d: %v", MaxFollowers+1, err)
	}
}

func TestHandlerStreamsFramesAndPlainText(t *testing.T) {
	log, sink := Wrap(slog.New(slog.NewTextHandler(&bytes.Buffer{}, nil)))
	srv := httptest.NewServer(sink.Handler())
	defer srv.Close()
	tests := []struct {
		name, query string
		decode      func(string) string
	}{
		{"nomad frames", "?log_level=debug", func(line string) string {
			var f struct{ Data []byte }
			if err := json.Unmarshal([]byte(line), &f); err != nil {
				t.Fatalf("frame %q: %v", line, err)
			}
			return string(f.Data)
		}},
		{"plain", "?log_level=DEBUG&plain=true", func(line string) string { return line }},
		{"json lines", "?log_level=debug&plain=true&log_json=true", func(line string) string {
			var rec map[string]any
			if err := json.Unmarshal([]byte(line), &rec); err != nil {
				t.Fatalf("json line %q: %v", line, err)
			}
			return fmt.Sprintf("%v n=%v", rec["msg"], rec["n"])
		}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
			defer cancel()
			req, _ := http.NewRequestWithContext(ctx, "GET", srv.URL+tt.query, nil)
			resp, err := http.DefaultClient.Do(req)
			if err != nil {
				t.Fatal(err)
			}
			defer resp.Body.Close()
			waitFollowers(t, sink, 1)
			log.Debug("hello from the agent", "n", 42)
			line, err := bufio.NewReader(resp.Body).ReadString('\n')
			if err != nil {
				t.Fatal(err)
			}
			if got := tt.decode(line); !strings.Contains(got, "hello from the agent") || !strings.Contains(got, "n=42") {
				t.Fatalf("got %q", got)
			}
			cancel()
			waitFollowers(t, sink, 0)
		})
	}
}

func waitFollowers(t *testing.T, s *Sink, n int) {
	t.Helper()
	deadline := time.Now().Add(10 * time.Second)
	for s.Followers() != n {
		if time.Now().After(deadline) {
			t.Fatalf("followers %d, want %d", s.Followers(), n)
		}
		time.Sleep(5 * time.Millisecond)
	}
}

func TestHandlerRefusesBadParameters(t *testing.T) {
	_, sink := Wrap(slog.New(slog.NewTextHandler(&bytes.Buffer{}, nil)))
	for _, q := range []string{"?log_level=loud", "?plain=maybe", "?log_json=2"} {
		rec := httptest.NewRecorder()
		sink.Handler().ServeHTTP(rec, httptest.NewRequest("GET", "/v1/agent/monitor"+q, nil))
		if rec.Code != http.StatusBadRequest || !strings.Contains(rec.Body.String(), "query parameter") {
			t.Fatalf("%s: %d %q", q, rec.Code, rec.Body)
		}
	}
}
