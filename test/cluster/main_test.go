// Package cluster holds scenario tests of a whole cluster: servers and
// clients from the real binary, each in its own network namespace (see
// the harness package), killed, frozen and partitioned while the tests
// check what users see.
package cluster

import (
	"os"
	"testing"

	"github.com/wharf-project/wharf/test/cluster/harness"
)

func TestMain(m *testing.M) { os.Exit(harness.Main(m)) }
