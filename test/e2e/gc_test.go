package e2e

import (
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	nomad "github.com/hashicorp/nomad/api"
)

// gcJob is the JSON of a raw_exec job: a batch job running /bin/true, or
// a service job sleeping; pad adds that many bytes to each of its meta
// and env blocks; dc is its datacenter.
func gcJob(id, typ, dc string, pad int) string {
	cmd := `"command":"/bin/true"`
	if typ == "service" {
		cmd = `"command":"/bin/sleep","args":["600"]`
	}
	blob := fmt.Sprintf(`{"pad":%q}`, strings.Repeat("x", pad))
	return fmt.Sprintf(`{"Job":{"ID":%q,"Name":%q,"Type":%q,"Datacenters":[%q],"Meta":%s,
"TaskGroups":[{"Name":"g","Count":1,"Meta":%s,"Tasks":[{"Name":"t","Driver":"raw_exec","Config":{%s},
"Meta":%s,"Env":%s,"Resources":{"CPU":20,"MemoryMB":16}}]}]}}`, id, id, typ, dc, blob, blob, cmd, blob, blob)
}

// gcSend sends body with method to addr+path and returns the status and
// the answer.
func gcSend(t *testing.T, method, url, body string) (int, string) {
	t.Helper()
	req, err := http.NewRequest(method, url, strings.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		return 0, err.Error()
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, string(b)
}

// jobStatuses maps each job the agent lists to its status.
func jobStatuses(t *testing.T, addr string) map[string]string {
	t.Helper()
	var jobs []struct{ ID, Status string }
	getJSON(t, addr+"/v1/jobs", &jobs)
	out := map[string]string{}
	for _, j := range jobs {
		out[j.ID] = j.Status
	}
	return out
}

// count returns how many objects a list endpoint answers.
func count(t *testing.T, url string) int {
	t.Helper()
	var list []json.RawMessage
	getJSON(t, url, &list)
	return len(list)
}

// waitDead waits until every job in ids is dead.
func waitDead(t *testing.T, addr string, ids []string) {
	t.Helper()
	waitFor(t, 90*time.Second, "the batch jobs to finish", func() bool {
		st := jobStatuses(t, addr)
		for _, id := range ids {
			if st[id] != "dead" {
				return false
			}
		}
		return true
	})
}

// TestSystemGC runs finished batch jobs and a service job on the real
// agent, then `wharf system gc`: the batch jobs, their evaluations and
// allocations are gone, the service job runs on untouched; Nomad's own
// client's GarbageCollect works too.
func TestSystemGC(t *testing.T) {
	a := startAgent(t, "-dev")
	if code, body := gcSend(t, http.MethodPost, a.addr+"/v1/jobs", gcJob("svc", "service", "minipot", 0)); code != 200 {
		t.Fatalf("register svc: %d %s", code, body)
	}
	var batch []string
	for i := range 5 {
		id := fmt.Sprintf("batch-%d", i)
		if code, body := gcSend(t, http.MethodPost, a.addr+"/v1/jobs", gcJob(id, "batch", "minipot", 0)); code != 200 {
			t.Fatalf("register %s: %d %s", id, code, body)
		}
		batch = append(batch, id)
	}
	waitDead(t, a.addr, batch)
	waitFor(t, 30*time.Second, "the service job to run", func() bool { return jobStatuses(t, a.addr)["svc"] == "running" })

	out, code := run(t, a.addr, "system", "gc")
	if code != 0 || !strings.Contains(out, "Collected 5 jobs, 5 evaluations, 5 allocations") {
		t.Fatalf("wharf system gc = %d:\n%s", code, out)
	}
	st := jobStatuses(t, a.addr)
	if len(st) != 1 || st["svc"] != "running" {
		t.Fatalf("jobs after gc: %v, want only svc running", st)
	}
	if n := count(t, a.addr+"/v1/allocations"); n != 1 {
		t.Fatalf("%d allocations after gc, want the service job's one", n)
	}
	if n := count(t, a.addr+"/v1/evaluations"); n != 1 {
		t.Fatalf("%d evaluations after gc, want the service job's one", n)
	}
	for _, id := range batch {
		if code, _ := gcSend(t, http.MethodGet, a.addr+"/v1/job/"+id, ""); code != http.StatusNotFound {
			t.Fatalf("GET job %s after gc = %d, want 404", id, code)
		}
	}

	nc, err := nomad.NewClient(&nomad.Config{Address: a.addr})
	if err != nil {
		t.Fatal(err)
	}
	if err := nc.System().GarbageCollect(); err != nil {
		t.Fatalf("nomad client GarbageCollect: %v", err)
	}
	if out, code := run(t, a.addr, "system", "gc", "-q"); code != 0 || out != "" {
		t.Fatalf("wharf system gc -q = %d %q, want silence", code, out)
	}
	if st := jobStatuses(t, a.addr); st["svc"] != "running" {
		t.Fatalf("service job after more collections: %v", st)
	}
}

// TestEtcdQuotaFullThenGC fills an agent's etcd up to a small quota:
// every write then answers 503 naming the quota and what to do, without
// hanging, while reads go on; `wharf system gc` collects the finished
// jobs, compacts and defragments etcd and disarms its alarm, and writes
// are taken again.
func TestEtcdQuotaFullThenGC(t *testing.T) {
	cfg := filepath.Join(t.TempDir(), "agent.hcl")
	if err := os.WriteFile(cfg, []byte("etcd {\n  quota_backend_bytes = \"16MiB\"\n}\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	a := startAgent(t, "-dev", "-config", cfg)
	const pad = 60 << 10
	var finished []string
	for i := range 14 {
		id := fmt.Sprintf("done-%02d", i)
		if code, body := gcSend(t, http.MethodPost, a.addr+"/v1/jobs", gcJob(id, "batch", "minipot", pad)); code != 200 {
			t.Fatalf("register %s: %d %s", id, code, body)
		}
		finished = append(finished, id)
	}
	waitDead(t, a.addr, finished)

	// Jobs that cannot be placed fill the rest without running anything.
	var code int
	var body string
	for i := 0; i < 200; i++ {
		start := time.Now()
		code, body = gcSend(t, http.MethodPost, a.addr+"/v1/jobs", gcJob(fmt.Sprintf("fill-%03d", i), "batch", "nowhere", pad))
		if d := time.Since(start); d > 5*time.Second {
			t.Fatalf("a write took %s", d)
		}
		if code != 200 {
			break
		}
	}
	if code != http.StatusServiceUnavailable || !strings.Contains(body, "etcd space quota exceeded") || !strings.Contains(body, "wharf system gc") {
		t.Fatalf("write past the quota = %d %q, want 503 naming the quota and wharf system gc", code, body)
	}
	waitFor(t, 10*time.Second, "every write refused with the cause", func() bool {
		c, b := gcSend(t, http.MethodPost, a.addr+"/v1/jobs", gcJob("small", "batch", "nowhere", 0))
		return c == http.StatusServiceUnavailable && strings.Contains(b, "etcd space quota exceeded")
	})
	if out, code := run(t, a.addr, "job", "stop", "fill-000"); code == 0 || !strings.Contains(out, "etcd space quota exceeded") {
		t.Fatalf("wharf job stop under the alarm = %d:\n%s", code, out)
	}
	if st := jobStatuses(t, a.addr); st["done-00"] != "dead" {
		t.Fatalf("reads under the alarm: %v", st)
	}
	if out, code := run(t, a.addr, "server", "members"); code != 0 || !strings.Contains(out, "NOSPACE") {
		t.Fatalf("wharf server members under the alarm = %d, want the NOSPACE alarm shown:\n%s", code, out)
	}

	out, code := run(t, a.addr, "system", "gc")
	if code != 0 || !strings.Contains(out, "Collected 14 jobs") || !strings.Contains(out, "etcd space reclaimed") {
		t.Fatalf("wharf system gc under the alarm = %d:\n%s", code, out)
	}
	waitFor(t, 10*time.Second, "writes taken again", func() bool {
		c, _ := gcSend(t, http.MethodPost, a.addr+"/v1/jobs", gcJob("after", "batch", "nowhere", 0))
		return c == http.StatusOK
	})
	if out, code := run(t, a.addr, "server", "members"); code != 0 || strings.Contains(out, "NOSPACE") {
		t.Fatalf("wharf server members after the recovery = %d, want no alarm:\n%s", code, out)
	}
}
