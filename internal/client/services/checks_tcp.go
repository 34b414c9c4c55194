package services

import (
	"context"
	"fmt"
	"net"

	"github.com/wharf-project/wharf/internal/structs"
)

// tcpProbe returns a check that passes when a TCP connection to addr
// opens within the timeout.
func tcpProbe(addr string) func(context.Context) result {
	return func(ctx context.Context) result {
		var d net.Dialer
		conn, err := d.DialContext(ctx, "tcp", addr)
		if err != nil {
			return result{status: structs.HealthCritical, output: fmt.Sprintf("dial tcp %s: %v", addr, unwrapOp(err))}
		}
		_ = conn.Close()
		return result{status: structs.HealthPassing, output: fmt.Sprintf("TCP connect %s: Success", addr)}
	}
}

// unwrapOp drops the "dial tcp ADDR:" prefix net.OpError adds, which the
// output already says.
func unwrapOp(err error) error {
	if op, ok := err.(*net.OpError); ok && op.Err != nil {
		return op.Err
	}
	return err
}
