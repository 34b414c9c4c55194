//go:build !unix

package tmpl

import (
	"io/fs"
	"os/exec"
)

func keepOwner(string, fs.FileInfo) {}

func setProcessGroup(*exec.Cmd) {}
