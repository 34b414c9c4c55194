package cli

import "testing"

func TestLastLinesSize(t *testing.T) {
	tests := []struct {
		data string
		n    int
		want int64
	}{
		{"a\nb\nc\n", 2, 4},
		{"a\nb\nc\n", 1, 2},
		{"a\nb\nc", 1, 1},
		{"a\nb\nc\n", 10, 6},
		{"", 3, 0},
		{"abc\n", 0, 0},
	}
	for _, tc := range tests {
		if got := lastLinesSize([]byte(tc.data), tc.n); got != tc.want {
			t.Errorf("lastLinesSize(%q, %d) = %d, want %d", tc.data, tc.n, got, tc.want)
		}
	}
}
