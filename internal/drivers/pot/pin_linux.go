package pot

import (
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"strconv"
	"strings"

	"golang.org/x/sys/unix"

	"github.com/wharf-project/wharf/internal/drivers/pot/spec"
)

// pinnedDir is the directory, in a jail's task dir, where its host mounts
// are pinned.
const pinnedDir = "volumes"

// pinMounts pins every host mount of conf (already confined to the host
// volumes, with real paths) under the jail's dir, and points the mount at
// its pin. A path is only a name: a jail that writes to a volume could
// swap one of its directories for a symlink to / between the check and
// runc's mount, which follows symlinks. The pin is a bind mount of the
// very directory that was checked, opened without following any symlink,
// so what runc mounts is what was checked.
func pinMounts(j *jail, conf *spec.Config) error {
	if len(conf.Mounts)+len(conf.MountsReadOnly) == 0 {
		return nil
	}
	dir := filepath.Join(j.Dir, pinnedDir)
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return fmt.Errorf("pot: pin host mounts: %w", err)
	}
	n := 0
	for _, l := range []struct {
		key string
		ms  []spec.Mount
	}{{"mount", conf.Mounts}, {"mount_read_only", conf.MountsReadOnly}} {
		for i := range l.ms {
			at := filepath.Join(dir, strconv.Itoa(n))
			n++
			if err := pinMount(l.ms[i].Src, at); err != nil {
				return fmt.Errorf("pot: config.%s[%d] %q: %w", l.key, i, l.ms[i].Src+":"+l.ms[i].Dst, err)
			}
			l.ms[i].Src = at
		}
	}
	return nil
}

// pinMount bind-mounts src at at, which it creates, refusing a src with
// any symlink in it.
func pinMount(src, at string) error {
	fd, err := unix.Openat2(unix.AT_FDCWD, src, &unix.OpenHow{
		Flags: unix.O_PATH | unix.O_CLOEXEC, Resolve: unix.RESOLVE_NO_SYMLINKS | unix.RESOLVE_NO_MAGICLINKS})
	if errors.Is(err, unix.ELOOP) {
		return fmt.Errorf("the host path %s has a symlink in it now (it changed after it was checked)", src)
	}
	if err != nil {
		return fmt.Errorf("open %s: %w", src, err)
	}
	defer unix.Close(fd)
	var st unix.Stat_t
	if err := unix.Fstat(fd, &st); err != nil {
		return fmt.Errorf("stat %s: %w", src, err)
	}
	if st.Mode&unix.S_IFMT == unix.S_IFDIR {
		err = os.Mkdir(at, 0o700)
	} else {
		var f *os.File
		if f, err = os.OpenFile(at, os.O_CREATE|os.O_EXCL|os.O_WRONLY, 0o600); err == nil {
			err = f.Close()
		}
	}
	if err != nil {
		return fmt.Errorf("pin %s: %w", src, err)
	}
	if err := unix.Mount("/proc/self/fd/"+strconv.Itoa(fd), at, "", unix.MS_BIND|unix.MS_REC, ""); err != nil {
		return fmt.Errorf("pin %s at %s: %w", src, at, err)
	}
	if err := unix.Mount("", at, "", unix.MS_PRIVATE|unix.MS_REC, ""); err != nil {
		_ = unix.Unmount(at, unix.MNT_DETACH)
		return fmt.Errorf("pin %s at %s: make private: %w", src, at, err)
	}
	return nil
}

// unpinMounts unmounts the pins of a jail's dir. It fails when one is
// still mounted afterwards: removing the dir through it would delete the
// files of a host volume.
func unpinMounts(taskDir string) error {
	dir := filepath.Join(taskDir, pinnedDir)
	ents, err := os.ReadDir(dir)
	if errors.Is(err, fs.ErrNotExist) {
		return nil
	}
	if err != nil {
		return fmt.Errorf("pot: unpin host mounts: %w", err)
	}
	for _, e := range ents {
		p := filepath.Join(dir, e.Name())
		for range 16 { // mounts stacked on one pin come off one by one
			err := unix.Unmount(p, unix.MNT_DETACH)
			if errors.Is(err, unix.EINVAL) || errors.Is(err, unix.ENOENT) {
				break
			}
			if err != nil {
				return fmt.Errorf("pot: unmount %s: %w", p, err)
			}
		}
	}
	if left := mountsUnder(dir); len(left) > 0 {
		return fmt.Errorf("pot: host mounts still pinned under %s: %s", dir, strings.Join(left, ", "))
	}
	return nil
}

// mountUnescaper undoes the octal escapes of /proc/self/mountinfo.
var mountUnescaper = strings.NewReplacer(`\040`, " ", `\011`, "\t", `\012`, "\n", `\134`, `\`)

// mountsUnder lists this mount namespace's mount points at or under dir.
func mountsUnder(dir string) []string {
	data, err := os.ReadFile("/proc/self/mountinfo")
	if err != nil {
		return []string{"cannot read /proc/self/mountinfo: " + err.Error()}
	}
	var out []string
	for _, line := range strings.Split(string(data), "\n") {
		f := strings.Fields(line)
		if len(f) < 5 {
			continue
		}
		if p := mountUnescaper.Replace(f[4]); p == dir || strings.HasPrefix(p, dir+"/") {
			out = append(out, p)
		}
	}
	return out
}
