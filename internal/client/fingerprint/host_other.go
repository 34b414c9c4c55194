//go:build !linux && !freebsd

package fingerprint

import "errors"

var errUnsupported = errors.New("not probed on this OS")

func kernelInfo() (kernelFacts, error)         { return kernelFacts{}, errUnsupported }
func osRelease() (string, string, error)       { return readOSRelease(osReleasePaths) }
func cpuInfo() (cpuFacts, error)               { return cpuFacts{}, errUnsupported }
func memTotal() (uint64, error)                { return 0, errUnsupported }
func diskStats(string) (uint64, uint64, error) { return 0, 0, errUnsupported }
func defaultRouteInterface() (string, error)   { return "", errUnsupported }
