package netjail

import (
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"runtime"
	"strings"

	"golang.org/x/sys/unix"
)

// NetNSDir is where named network namespaces are bind-mounted; it is the
// directory `ip netns` reads, so wharf's jail namespaces show there.
const NetNSDir = "/run/netns"

// NetNSName returns the name of the network namespace of key (a task or
// allocation ID) on the jail network of bridge: "<bridge>-<hash of key>",
// so agents on separate jail networks never touch each other's.
func NetNSName(bridge, key string) string { return bridge + "-" + shortHash(key) }

// NetNSPath returns where the namespace called name is mounted.
func NetNSPath(name string) string { return filepath.Join(NetNSDir, name) }

// CreateNetNS creates a new network namespace and bind-mounts it at
// NetNSPath(name), which it returns. The namespace is made on a locked OS
// thread that is thrown away afterwards, so no goroutine of the caller ever
// runs in it. An existing mount of that name is an error.
func CreateNetNS(name string) (string, error) {
	if err := os.MkdirAll(NetNSDir, 0o755); err != nil {
		return "", fmt.Errorf("netjail: %w", err)
	}
	path := NetNSPath(name)
	f, err := os.OpenFile(path, os.O_CREATE|os.O_EXCL|os.O_RDONLY, 0o444)
	if err != nil {
		return "", fmt.Errorf("netjail: create netns %s: %w", name, err)
	}
	f.Close()
	errc := make(chan error, 1)
	go func() {
		// Never unlocked: the thread ends with this goroutine.
		runtime.LockOSThread()
		if err := unix.Unshare(unix.CLONE_NEWNET); err != nil {
			errc <- fmt.Errorf("unshare: %w", err)
			return
		}
		src := fmt.Sprintf("/proc/self/task/%d/ns/net", unix.Gettid())
		errc <- unix.Mount(src, path, "none", unix.MS_BIND, "")
	}()
	if err := <-errc; err != nil {
		os.Remove(path)
		return "", fmt.Errorf("netjail: create netns %s: %w", name, err)
	}
	return path, nil
}

// DeleteNetNS unmounts and removes the namespace called name; the
// namespace itself goes when nothing else holds it. A missing one is not
// an error.
func DeleteNetNS(name string) error {
	path := NetNSPath(name)
	err := unix.Unmount(path, unix.MNT_DETACH)
	if err != nil && !errors.Is(err, unix.EINVAL) && !errors.Is(err, unix.ENOENT) {
		return fmt.Errorf("netjail: unmount netns %s: %w", name, err)
	}
	if err := os.Remove(path); err != nil && !errors.Is(err, fs.ErrNotExist) {
		return fmt.Errorf("netjail: remove netns %s: %w", name, err)
	}
	return nil
}

// NetNSNames lists the namespaces of the jail network of bridge that are
// present in NetNSDir.
func NetNSNames(bridge string) ([]string, error) {
	ents, err := os.ReadDir(NetNSDir)
	if errors.Is(err, fs.ErrNotExist) {
		return nil, nil
	}
	if err != nil {
		return nil, fmt.Errorf("netjail: %w", err)
	}
	var out []string
	for _, e := range ents {
		if strings.HasPrefix(e.Name(), bridge+"-") && len(e.Name()) == len(bridge)+13 {
			out = append(out, e.Name())
		}
	}
	return out, nil
}
