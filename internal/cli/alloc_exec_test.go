package cli

import (
	"io"
	"slices"
	"strings"
	"testing"
	"testing/iotest"

	"github.com/wharf-project/wharf/internal/structs"
)

func TestEscapeFilter(t *testing.T) {
	tests := []struct {
		name   string
		chunks []string
		want   string
		ended  bool
	}{
		{"plain", []string{"ls -l\r"}, "ls -l\r", false},
		{"tilde dot at start", []string{"~."}, "", true},
		{"tilde dot after a line", []string{"echo\r~.more"}, "echo\r", true},
		{"tilde dot after newline", []string{"a\n~.", "b"}, "a\n", true},
		{"tilde dot mid-line", []string{"a~.b"}, "a~.b", false},
		{"double tilde sends one", []string{"~~.\r"}, "~.\r", false},
		{"tilde other", []string{"~x"}, "~x", false},
		{"split across reads", []string{"\r~", "."}, "\r", true},
		{"tilde then other across reads", []string{"~", "ls"}, "~ls", false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			f := &escapeFilter{esc: '~', lineStart: true}
			var got strings.Builder
			ended := false
			for _, c := range tt.chunks {
				out, end := f.filter([]byte(c))
				got.Write(out)
				if end {
					ended = true
					break
				}
			}
			if got.String() != tt.want || ended != tt.ended {
				t.Errorf("got %q ended %v, want %q ended %v", got.String(), ended, tt.want, tt.ended)
			}
		})
	}
}

func TestEscapeReader(t *testing.T) {
	escaped := 0
	f := &escapeFilter{esc: '#', lineStart: true}
	r := &escapeReader{r: iotest.OneByteReader(strings.NewReader("ab\n#.never")), f: f, onEscape: func() { escaped++ }}
	got, err := io.ReadAll(r)
	if err != nil || string(got) != "ab\n" || escaped != 1 || !f.done {
		t.Errorf("read %q, %v, escaped %d", got, err, escaped)
	}
	// A held escape character at EOF is sent.
	f = &escapeFilter{esc: '~', lineStart: true}
	r = &escapeReader{r: strings.NewReader("x\n~"), f: f, onEscape: func() { escaped++ }}
	if got, _ := io.ReadAll(r); string(got) != "x\n~" {
		t.Errorf("read %q, want the held ~ at EOF", got)
	}
}

func TestParseEscape(t *testing.T) {
	tests := []struct {
		in   string
		want byte
		err  bool
	}{{"~", '~', false}, {"none", 0, false}, {"^]", 0, true}, {"", 0, true}}
	for _, tt := range tests {
		got, err := parseEscape(tt.in)
		if got != tt.want || (err != nil) != tt.err {
			t.Errorf("parseEscape(%q) = %q, %v", tt.in, got, err)
		}
	}
}

func TestSplitTaskCommand(t *testing.T) {
	job := func(tasks ...string) *structs.Job {
		tg := &structs.TaskGroup{Name: "g"}
		for _, n := range tasks {
			tg.Tasks = append(tg.Tasks, &structs.Task{Name: n})
		}
		return &structs.Job{TaskGroups: []*structs.TaskGroup{tg}}
	}
	one := &structs.Allocation{ID: "a1", TaskGroup: "g", Job: job("web")}
	two := &structs.Allocation{ID: "a2", TaskGroup: "g", Job: job("web", "log")}
	tests := []struct {
		name     string
		alloc    *structs.Allocation
		flag     string
		args     []string
		wantTask string
		wantCmd  []string
		wantErr  string
	}{
		{"only task", one, "", []string{"/bin/sh", "-c", "x"}, "web", []string{"/bin/sh", "-c", "x"}, ""},
		{"task argument", two, "", []string{"log", "tail", "-f"}, "log", []string{"tail", "-f"}, ""},
		{"task flag", two, "web", []string{"ls"}, "web", []string{"ls"}, ""},
		{"task name as the command", one, "", []string{"web"}, "web", []string{"web"}, ""},
		{"several tasks", two, "", []string{"ls"}, "", nil, "several tasks (log, web)"},
		{"unknown task flag", one, "db", []string{"ls"}, "", nil, `no task "db"`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			task, cmd, err := splitTaskCommand(tt.alloc, tt.flag, tt.args)
			if tt.wantErr != "" {
				if err == nil || !strings.Contains(err.Error(), tt.wantErr) {
					t.Errorf("err = %v, want %q", err, tt.wantErr)
				}
				return
			}
			if err != nil || task != tt.wantTask || !slices.Equal(cmd, tt.wantCmd) {
				t.Errorf("got %q %q %v", task, cmd, err)
			}
		})
	}
}

func TestAllocExecFlagsStopAtAlloc(t *testing.T) {
	m := newMeta(io.Discard, io.Discard)
	cmd := m.allocExecCommand()
	if err := cmd.ParseFlags([]string{"-t=false", "8ba85cef", "/bin/sh", "-c", "echo -t"}); err != nil {
		t.Fatal(err)
	}
	if got := cmd.Flags().Args(); !slices.Equal(got, []string{"8ba85cef", "/bin/sh", "-c", "echo -t"}) {
		t.Errorf("args %q", got)
	}
}
