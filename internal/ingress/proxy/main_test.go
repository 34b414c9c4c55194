package proxy

import (
	"flag"
	"fmt"
	"os"
	"os/exec"
	"testing"

	"github.com/wharf-project/wharf/internal/ingress/eventloop"
)

// fastEnv, when set to 1, runs the whole suite with ServerOptions.FastHTTP1 on
// (entry points served by FastServer, a goroutine per connection); set
// to loop, with ServerOptions.EventLoop on as well (see modeOptions).
const fastEnv = "WHARF_PROXY_FAST_HTTP1"

// fastMode says this run has the fast path on, loopMode its event loops.
var (
	fastMode = os.Getenv(fastEnv) == "1" || loopMode
	loopMode = os.Getenv(fastEnv) == "loop"
)

// TestMain runs the suite with net/http entry points, then once more in
// a child process with the fast path on and once with its event loops
// (where there are some), unless fastEnv chose one mode or benchmarks or a
// fuzz target run (they choose their server themselves, or have none).
func TestMain(m *testing.M) {
	code := m.Run()
	if code != 0 || os.Getenv(fastEnv) != "" || flag.Lookup("test.bench").Value.String() != "" ||
		flag.Lookup("test.fuzz").Value.String() != "" {
		os.Exit(code)
	}
	modes := []string{"1"}
	if eventloop.Available {
		modes = append(modes, "loop")
	}
	for _, mode := range modes {
		fmt.Println("=== again with " + fastEnv + "=" + mode)
		cmd := exec.Command(os.Args[0], os.Args[1:]...)
		cmd.Env = append(os.Environ(), fastEnv+"="+mode)
		cmd.Stdout, cmd.Stderr = os.Stdout, os.Stderr
		if err := cmd.Run(); err != nil {
			os.Exit(1)
		}
	}
	os.Exit(0)
}
