package jail

import (
	"context"
	"errors"
	"io"
	"os"
	"runtime"
	"time"
)

// ErrUnsupported is what every runtime operation returns on a system that
// has no jail runtime yet (the FreeBSD runtime, driving pot(8), goes in
// runtime_freebsd.go).
var ErrUnsupported = errors.New("jails are not supported on " + runtime.GOOS + " yet")

// DefaultRoot is runc's own state directory when it runs as root, for
// callers that keep no state directory of their own.
const DefaultRoot = "/run/runc"

// Runtime runs jails with an OCI runtime binary (runc), whose state about
// them lives under Root. It is the only code that invokes the runtime;
// its zero value is not usable.
type Runtime struct {
	// Path is the runtime binary (see LookPath).
	Path string
	// Root is the runtime's state directory (runc --root).
	Root string
}

// CreateOptions says how to create a jail from a bundle.
type CreateOptions struct {
	// Bundle is the OCI bundle directory (config.json); the runtime runs
	// in it.
	Bundle string
	// PIDFile is where the runtime writes the jail's init PID.
	PIDFile string
	// LogFile receives the runtime's own log, as JSON lines; errors
	// carry the last error it logged. Empty: no log.
	LogFile string
	// Stdout and Stderr are the jail's (with process.terminal false the
	// jail's init inherits them) and the runtime's own output. Nil is
	// /dev/null. They are files, not writers: the runtime returns while
	// the jail keeps them open, so a pipe copied by Create would never
	// reach its end.
	Stdout, Stderr *os.File
	// Output, when set, is called after a failure for what the runtime
	// wrote to Stderr, used as the message when its log has none.
	Output func() []byte
}

// RunOptions says how to run a jail in the foreground.
type RunOptions struct {
	// Bundle is the OCI bundle directory (config.json).
	Bundle string
	// Stdout and Stderr receive the jail's output. Nil is /dev/null.
	Stdout, Stderr io.Writer
	// KillEvery is how often a cancelled run re-sends SIGKILL until the
	// runtime returns (the jail may still be starting); default 200ms.
	KillEvery time.Duration
	// WaitDelay bounds the wait for the output to be copied once the
	// runtime exited (see exec.Cmd.WaitDelay); default 10s.
	WaitDelay time.Duration
}

// Container is a jail the runtime knows, as runc list and runc state
// report it.
type Container struct {
	ID string `json:"id"`
	// Pid is the init process's PID (0 once it stopped).
	Pid int `json:"pid"`
	// Status is "created", "running", "paused" or "stopped".
	Status string `json:"status"`
	Bundle string `json:"bundle"`
}

// Usage is a jail's resource usage as its runtime reports it (runc events
// --stats).
type Usage struct {
	// MemoryUsage is the memory charged to the jail's cgroup (page cache
	// included); MemoryMaxUsage its peak; MemoryRSS the anonymous memory
	// (v1 total_rss, or rss; v2 anon). Bytes.
	MemoryUsage    uint64
	MemoryMaxUsage uint64
	MemoryRSS      uint64
	// CPUTotal, CPUUser and CPUKernel are the CPU time used, in
	// nanoseconds (user and kernel may be coarser, in clock ticks).
	CPUTotal  uint64
	CPUUser   uint64
	CPUKernel uint64
}

// Defaults of RunOptions.
const (
	defaultKillEvery = 200 * time.Millisecond
	defaultWaitDelay = 10 * time.Second
)

// compile-time check that the per-OS files give Runtime every operation.
var _ interface {
	Create(context.Context, string, CreateOptions) error
	Start(context.Context, string, string) error
	Run(context.Context, string, RunOptions) error
	Kill(context.Context, string, string) error
	Delete(context.Context, string) error
	State(context.Context, string) (*Container, error)
	List(context.Context) ([]Container, error)
	Stats(context.Context, string) (*Usage, error)
	Version(context.Context) (string, error)
} = (*Runtime)(nil)
