package embedetcd

import (
	"context"
	"errors"
	"log/slog"
	"net"
	"strings"
	"syscall"
	"testing"
)

// TestStartReportsTakenPort: a port named in the config that another
// process holds fails the start with the OS's error (which Start also
// recognises to pick its own ports again).
func TestStartReportsTakenPort(t *testing.T) {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	// etcd logs its failed bind as an error; the test's output would show
	// it as if some other test had raced for a port.
	_, err = Start(context.Background(), Config{DataDir: t.TempDir(), PeerURL: "http://" + l.Addr().String(),
		Log: slog.New(slog.DiscardHandler)})
	if !errors.Is(err, syscall.EADDRINUSE) || !strings.Contains(err.Error(), l.Addr().String()) {
		t.Fatalf("Start with a taken peer port: %v", err)
	}
}
