// Command jailbench measures the pot (jail) driver from the outside, each
// figure side by side with a peer timed in the same run:
//
//   - start: StartTask of a jail whose image is cached, to the jail's
//     process running (StartTask returns after `runc start`), in bridge
//     mode with a port_map and in host mode, interleaved with a bare
//     `runc run --detach` of a bundle on the same unpacked image; then an
//     instrumented run of the driver's steps, timed one by one.
//   - fetch: a first deployment's download, verification and unpack of
//     the nginx example image into a fresh image cache, interleaved with
//     `curl -s URL | zstd -d | tar -x` of the same file.
//
// It needs root, runc, curl and zstd. It drives the driver in-process on a
// private jail network (bridge "wbench", 10.253.0.0/24, nftables table
// "wharf_bench") that it removes on return, with its data under one
// temporary directory. The binary plays the wharf binary's hidden
// `supervise` command, so the driver's supervisors are this program.
//
// Being a command, it must never be imported.
package main

import (
	"flag"
	"fmt"
	"os"
	"path/filepath"
	"time"

	"github.com/wharf-project/wharf/bench/internal/benchrun"
	"github.com/wharf-project/wharf/internal/supervise"
)

// options are the command's flags.
type options struct {
	n       int
	images  string
	wharf   string
	runc    string
	timeout time.Duration
	keep    bool
}

func main() {
	if len(os.Args) == 3 && os.Args[1] == "supervise" {
		os.Exit(supervise.Main(os.Args[2]))
	}
	if len(os.Args) < 2 || (os.Args[1] != "start" && os.Args[1] != "fetch") {
		fmt.Fprintln(os.Stderr, "usage: jailbench start|fetch [-n N] [-images DIR] [-wharf BIN] [-timeout D]")
		os.Exit(2)
	}
	part := os.Args[1]
	fs := flag.NewFlagSet(part, flag.ExitOnError)
	var o options
	defN := 50
	if part == "fetch" {
		defN = 5
	}
	fs.IntVar(&o.n, "n", defN, "number of measured rounds")
	fs.StringVar(&o.images, "images", "", "directory with the example image files (default: build them with examples/images/build.sh)")
	fs.StringVar(&o.wharf, "wharf", "bin/wharf", "wharf binary build.sh uses to build the images (when -images is not set)")
	fs.StringVar(&o.runc, "runc", "runc", "runc binary")
	fs.DurationVar(&o.timeout, "timeout", 10*time.Minute, "bound on the whole run")
	fs.BoolVar(&o.keep, "keep", false, "keep the temporary directory (for debugging)")
	_ = fs.Parse(os.Args[2:])
	if err := run(part, o); err != nil {
		fmt.Fprintln(os.Stderr, "jailbench:", err)
		os.Exit(1)
	}
}

// run runs one part under a timeout and Ctrl-C, in a temporary directory
// it removes afterwards.
func run(part string, o options) error {
	if o.n < 1 {
		return fmt.Errorf("-n must be at least 1")
	}
	ctx, stop, root, err := benchrun.Start("jailbench", o.timeout)
	if err != nil {
		return err
	}
	defer stop()
	if o.keep {
		fmt.Println("temporary directory:", root)
	} else {
		defer os.RemoveAll(root)
	}
	if o.images == "" {
		if o.images, err = buildImages(ctx, o.wharf, filepath.Join(root, "images")); err != nil {
			return err
		}
	}
	if part == "start" {
		return benchStart(ctx, root, o)
	}
	return benchFetch(ctx, root, o)
}
