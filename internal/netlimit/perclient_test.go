package netlimit

import (
	"io"
	"net"
	"testing"
	"time"
)

// TestListenerPerClientCap holds a client's cap of connections: its next
// one is closed at once, another client address is still accepted, and
// the first client gets in again once one of its connections closes.
// The listener's cap of 3 leaves a slot for the other client only if the
// refused connection gives its slot back.
func TestListenerPerClientCap(t *testing.T) {
	raw, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	ln := NewListener(raw, NewLimiter("test", 3), nil).LimitPerClient(NewPerClient(2))
	defer ln.Close()
	accepted := make(chan net.Conn, 10)
	go func() {
		for {
			c, err := ln.Accept()
			if err != nil {
				return
			}
			accepted <- c
		}
	}()
	dial := func(from string) net.Conn {
		t.Helper()
		d := net.Dialer{LocalAddr: &net.TCPAddr{IP: net.ParseIP(from)}, Timeout: 2 * time.Second}
		c, err := d.Dial("tcp", ln.Addr().String())
		if err != nil {
			t.Skipf("cannot dial from %s: %v", from, err)
		}
		t.Cleanup(func() { c.Close() })
		return c
	}
	closedByServer := func(c net.Conn) bool {
		_ = c.SetReadDeadline(time.Now().Add(2 * time.Second))
		_, err := c.Read(make([]byte, 1))
		return err == io.EOF
	}
	first := dial("127.0.0.1")
	server1 := receive(t, accepted)
	dial("127.0.0.1")
	receive(t, accepted)
	third := dial("127.0.0.1")
	if !closedByServer(third) {
		t.Fatal("a third connection of one client was not closed at a per-client cap of 2")
	}
	dial("127.0.0.2") // takes the listener's last slot: the refused connection gave its back
	receive(t, accepted)
	first.Close()
	server1.Close()
	dial("127.0.0.1")
	receive(t, accepted)
}

func TestNewPerClientNone(t *testing.T) {
	if NewPerClient(0) != nil || NewPerClient(-1) != nil || NewPerClient(3).Cap() != 3 {
		t.Fatal("NewPerClient: 0 and -1 must mean no cap")
	}
	var none *PerClient
	if _, ok := none.take(&net.TCPAddr{}); !ok {
		t.Fatal("a nil PerClient refused a connection")
	}
}
