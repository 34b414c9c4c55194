package tmpl

import (
	"testing"
	"time"
)

func TestParseSpec(t *testing.T) {
	tests := []struct {
		in   string
		want Spec
		fail bool
	}{
		{in: "a.tmpl:b.cfg", want: Spec{Source: "a.tmpl", Dest: "b.cfg"}},
		{in: "a.tmpl:/etc/b.cfg:systemctl reload x", want: Spec{Source: "a.tmpl", Dest: "/etc/b.cfg", Command: "systemctl reload x"}},
		{in: "a:b:sh -c 'echo a:b'", want: Spec{Source: "a", Dest: "b", Command: "sh -c 'echo a:b'"}},
		{in: "a.tmpl", fail: true},
		{in: ":b", fail: true},
		{in: "a:", fail: true},
	}
	for _, tt := range tests {
		t.Run(tt.in, func(t *testing.T) {
			got, err := ParseSpec(tt.in)
			if (err != nil) != tt.fail {
				t.Fatalf("err = %v", err)
			}
			if got != tt.want {
				t.Errorf("got %+v, want %+v", got, tt.want)
			}
		})
	}
}

func TestParseWait(t *testing.T) {
	tests := []struct {
		in   string
		want Wait
		fail bool
	}{
		{in: "", want: Wait{}},
		{in: "2s", want: Wait{Min: 2 * time.Second, Max: 8 * time.Second}},
		{in: "500ms:3s", want: Wait{Min: 500 * time.Millisecond, Max: 3 * time.Second}},
		{in: "0s:0s", want: Wait{}},
		{in: "3s:1s", fail: true},
		{in: "-1s", fail: true},
		{in: "soon", fail: true},
		{in: "1s:later", fail: true},
	}
	for _, tt := range tests {
		t.Run(tt.in, func(t *testing.T) {
			got, err := ParseWait(tt.in)
			if (err != nil) != tt.fail {
				t.Fatalf("err = %v", err)
			}
			if got != tt.want {
				t.Errorf("got %+v, want %+v", got, tt.want)
			}
		})
	}
}

// TestWaitDeadline checks the debounce: quiet for Min after the last
// change, capped at Max after the first.
func TestWaitDeadline(t *testing.T) {
	t0 := time.Date(2024, 1, 1, 0, 0, 0, 0, time.UTC)
	w := Wait{Min: 2 * time.Second, Max: 10 * time.Second}
	tests := []struct {
		name string
		last time.Duration // after the first change
		want time.Duration // deadline after the first change
	}{
		{"single change", 0, 2 * time.Second},
		{"change within min pushes it", 1500 * time.Millisecond, 3500 * time.Millisecond},
		{"steady changes", 7 * time.Second, 9 * time.Second},
		{"capped at max", 9 * time.Second, 10 * time.Second},
		{"long after max", time.Minute, 10 * time.Second},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := w.deadline(t0, t0.Add(tt.last)); !got.Equal(t0.Add(tt.want)) {
				t.Errorf("deadline = +%s, want +%s", got.Sub(t0), tt.want)
			}
		})
	}
}
