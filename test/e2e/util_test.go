package e2e

import (
	"encoding/json"
	"net/http"
	"os"
	"path/filepath"
	"testing"
	"time"

	clientv3 "go.etcd.io/etcd/client/v3"

	"github.com/wharf-project/wharf/internal/api"
	"github.com/wharf-project/wharf/internal/drivers/rawexec"
)

func getJSON(t *testing.T, url string, out any) {
	t.Helper()
	resp, err := http.Get(url)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	if resp.StatusCode != 200 {
		t.Fatalf("GET %s: %s", url, resp.Status)
	}
	if err := json.NewDecoder(resp.Body).Decode(out); err != nil {
		t.Fatalf("GET %s: %v", url, err)
	}
}

func clientFor(endpoints []string) (*clientv3.Client, error) {
	return clientv3.New(clientv3.Config{Endpoints: endpoints, DialTimeout: 5 * time.Second})
}

// serverConfig writes a server agent config with a short heartbeat TTL and
// grace, so node loss shows quickly, and returns its path.
func serverConfig(t *testing.T, ttl string) string {
	t.Helper()
	cfg := filepath.Join(t.TempDir(), "server.hcl")
	body := `datacenter = "minipot"
data_dir   = "` + t.TempDir() + `"
server {
  enabled           = true
  min_heartbeat_ttl = "` + ttl + `"
  heartbeat_grace   = "` + ttl + `"
}
`
	if err := os.WriteFile(cfg, []byte(body), 0o600); err != nil {
		t.Fatal(err)
	}
	return cfg
}

// waitTaskStateGone waits until raw_exec has removed the supervisor state
// of every task of the job's allocations: the tasks were destroyed, not
// just killed.
func waitTaskStateGone(t *testing.T, c *api.Client, job string) {
	t.Helper()
	allocs, _, err := c.Jobs().Allocations(job, true, nil)
	if err != nil {
		t.Fatal(err)
	}
	d := rawexec.New(rawexec.Options{})
	waitFor(t, 30*time.Second, "the job's task state to be removed", func() bool {
		for _, a := range allocs {
			if _, err := os.Stat(d.StateDirFor(a.ID + "/t")); err == nil {
				return false
			}
		}
		return true
	})
}
