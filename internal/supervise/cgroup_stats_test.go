package supervise

import (
	"slices"
	"testing"
)

func TestParseFlatKeyed(t *testing.T) {
	got := parseFlatKeyed([]byte("cache 4096\nrss 8192\n  total_rss 12288\nbad line\nneg -1\n\nusage_usec 17"))
	want := map[string]uint64{"cache": 4096, "rss": 8192, "total_rss": 12288, "usage_usec": 17}
	if len(got) != len(want) {
		t.Fatalf("got %v, want %v", got, want)
	}
	for k, v := range want {
		if got[k] != v {
			t.Errorf("%s = %d, want %d", k, got[k], v)
		}
	}
}

func TestParseProcStat(t *testing.T) {
	// Fields 14-17 are utime stime cutime cstime; 24 is rss in pages.
	line := "4242 (my (odd) task) S 1 4242 4242 0 -1 4194560 100 0 0 0 " +
		"250 50 7 3 20 0 1 0 12345 100000000 1500 18446744073709551615 1 1 0 0 0 0 0 0 0 0 0 0 17 0 0 0 0 0 0"
	tests := []struct {
		name    string
		line    string
		want    procTimes
		wantErr bool
	}{
		{name: "command with spaces and parens", line: line, want: procTimes{user: 257, system: 53, rssPages: 1500}},
		{name: "no command", line: "4242 S 1", wantErr: true},
		{name: "truncated", line: "1 (x) S 1 2 3", wantErr: true},
		{name: "not a number", line: "1 (x) S 1 1 1 0 -1 0 0 0 0 0 x 1 1 1 0 0 1 0 1 1 1", wantErr: true},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			got, err := parseProcStat([]byte(tc.line))
			if (err != nil) != tc.wantErr {
				t.Fatalf("err = %v, want error %v", err, tc.wantErr)
			}
			if err == nil && got != tc.want {
				t.Errorf("got %+v, want %+v", got, tc.want)
			}
		})
	}
}

func TestUsageMeasured(t *testing.T) {
	var u Usage
	u.addMeasured(MeasuredRSS, MeasuredUsage)
	u.addMeasured(MeasuredRSS, MeasuredTotalTicks)
	if !slices.Equal(u.Measured, []string{"RSS", "Usage", "Total Ticks"}) {
		t.Errorf("Measured = %q", u.Measured)
	}
	u.addSource("a")
	u.addSource("b")
	if u.Source != "a, b" {
		t.Errorf("Source = %q", u.Source)
	}
	if got := ticksToNanos(250); got != 2_500_000_000 {
		t.Errorf("250 ticks = %d ns", got)
	}
}
