package taskrunner

import (
	"context"
	"testing"

	"github.com/wharf-project/wharf/internal/structs"
)

func TestLogsHook(t *testing.T) {
	tests := []struct {
		name        string
		lc          *structs.LogConfig
		files, size int
	}{
		{"default", nil, 10, 10},
		{"set", &structs.LogConfig{MaxFiles: 3, MaxFileSizeMB: 1}, 3, 1},
		{"zeros take defaults", &structs.LogConfig{}, 10, 10},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			h := newHarness(t, "service", nil)
			req := h.tr.newStartRequest()
			req.Task.LogConfig = tt.lc
			if err := (logsHook{}).Prestart(context.Background(), req); err != nil {
				t.Fatal(err)
			}
			c := req.Config
			if c.LogDir != h.dir.LogDir || c.LogMaxFiles != tt.files || c.LogMaxFileSizeMB != tt.size {
				t.Fatalf("got dir %s files %d size %d", c.LogDir, c.LogMaxFiles, c.LogMaxFileSizeMB)
			}
		})
	}
}
