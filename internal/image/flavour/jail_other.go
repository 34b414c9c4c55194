//go:build !linux

package flavour

import (
	"context"
	"errors"
	"io"
)

// errUnsupported: flavours run jails with runc, which is Linux only.
var errUnsupported = errors.New("flavour builds need Linux and runc; on FreeBSD use pot's own flavours")

// findRunc always fails off Linux.
func findRunc(string) (string, error) { return "", errUnsupported }

// jail is not available off Linux.
type jail struct {
	runc, work, rootfs string
	env                []string
	memoryMB           int64
	stdout, stderr     io.Writer
}

func (j *jail) run(context.Context, []byte) error { return errUnsupported }
