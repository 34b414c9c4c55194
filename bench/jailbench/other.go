//go:build !linux

package main

import (
	"context"
	"errors"
)

// errLinux is what the benchmarks say on other systems: jails are runc
// containers on Linux only, for now.
var errLinux = errors.New("the pot driver runs jails on Linux only for now")

func benchStart(context.Context, string, options) error { return errLinux }

func benchFetch(context.Context, string, options) error { return errLinux }
