package cli

import (
	"bytes"
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/wharf-project/wharf/internal/api"
	"github.com/wharf-project/wharf/internal/operator"
)

// opsServer answers the operator routes with canned data; snapshot is
// what GET /v1/operator/snapshot sends.
func opsServer(t *testing.T, snapshot []byte) (*httptest.Server, *[]string) {
	t.Helper()
	var seen []string
	mux := http.NewServeMux()
	mux.HandleFunc("GET /v1/agent/members", func(w http.ResponseWriter, r *http.Request) {
		_ = json.NewEncoder(w).Encode(api.ServerMembers{ServerName: "s1.global", Members: []*api.AgentMember{
			{Name: "s2.global", Addr: "10.0.0.2", Port: 2380, Status: "failed",
				Tags: map[string]string{"leader": "false", "etcd_leader": "false", "etcd_health": "unreachable", "region": "global"}},
			{Name: "s1.global", Addr: "10.0.0.1", Port: 4646, Status: "alive",
				Tags: map[string]string{"leader": "true", "etcd_leader": "true", "etcd_health": "healthy", "raft_index": "812",
					"alarms": "NOSPACE", "region": "global"}},
		}, EtcdAlarms: []api.EtcdAlarm{{MemberID: "8e9e05c52164694d", Alarm: "NOSPACE"}}})
	})
	mux.HandleFunc("PUT /v1/operator/etcd/member", func(w http.ResponseWriter, r *http.Request) {
		b, _ := io.ReadAll(r.Body)
		seen = append(seen, string(b))
		_ = json.NewEncoder(w).Encode(api.EtcdMemberJoin{Member: api.EtcdMember{ID: "abc", PeerURLs: []string{"http://10.0.0.4:2380"}},
			InitialCluster: "s1=http://10.0.0.1:2380,s4=http://10.0.0.4:2380"})
	})
	mux.HandleFunc("PUT /v1/agent/force-leave", func(w http.ResponseWriter, r *http.Request) {
		seen = append(seen, "force-leave "+r.URL.Query().Get("node"))
	})
	mux.HandleFunc("GET /v1/operator/snapshot", func(w http.ResponseWriter, r *http.Request) {
		_, _ = w.Write(snapshot)
	})
	srv := httptest.NewServer(mux)
	t.Cleanup(srv.Close)
	return srv, &seen
}

func runCLI(args ...string) (string, int) {
	var out bytes.Buffer
	code := Run(args, &out, &out)
	return out.String(), code
}

func TestServerMembersTable(t *testing.T) {
	srv, _ := opsServer(t, nil)
	out, code := runCLI("server", "members", "-address", srv.URL)
	lines := strings.Split(strings.TrimSpace(out), "\n")
	if code != 0 || len(lines) < 4 || !strings.HasPrefix(lines[0], "Name") ||
		!strings.Contains(lines[1], "s1.global") || !strings.Contains(lines[1], "812") || !strings.Contains(lines[1], "NOSPACE") ||
		!strings.Contains(lines[2], "failed") || !strings.Contains(lines[2], "unreachable") ||
		!strings.Contains(out, "etcd alarm NOSPACE on member 8e9e05c52164694d") {
		t.Fatalf("%d\n%s", code, out)
	}
}

func TestServerJoinAndForceLeave(t *testing.T) {
	srv, seen := opsServer(t, nil)
	if out, code := runCLI("server", "join", "-address", srv.URL, "http://10.0.0.4:2380"); code != 1 || !strings.Contains(out, "-name is required") {
		t.Fatalf("join without -name: %d\n%s", code, out)
	}
	out, code := runCLI("server", "join", "-address", srv.URL, "-name", "s4", "http://10.0.0.4:2380")
	if code != 0 || !strings.Contains(out, `initial_cluster       = "s1=http://10.0.0.1:2380,s4=http://10.0.0.4:2380"`) ||
		!strings.Contains(out, `initial_cluster_state = "existing"`) || !strings.Contains((*seen)[0], `"PeerURL":"http://10.0.0.4:2380"`) {
		t.Fatalf("join: %d\n%s\n%v", code, out, *seen)
	}
	if out, code := runCLI("server", "force-leave", "-address", srv.URL, "s3.global"); code != 0 || (*seen)[1] != "force-leave s3.global" {
		t.Fatalf("force-leave: %d\n%s\n%v", code, out, *seen)
	}
}

// TestSnapshotSaveNeverLeavesAPartialFile: a snapshot cut short by the
// server is refused, and FILE is not created (nor the temporary file
// left); a whole one is written and inspected.
func TestSnapshotSaveNeverLeavesAPartialFile(t *testing.T) {
	var whole bytes.Buffer
	w, _ := operator.NewWriter(&whole, operator.Header{Index: 7, Time: time.Unix(1700000000, 0)})
	_ = w.Add("jobs/default/web", []byte(`{"ID":"web"}`))
	if _, err := w.Close(); err != nil {
		t.Fatal(err)
	}
	dir := t.TempDir()
	file := filepath.Join(dir, "backup.snap")
	cut, _ := opsServer(t, whole.Bytes()[:whole.Len()-10])
	if out, code := runCLI("operator", "snapshot", "save", "-address", cut.URL, file); code != 1 || !strings.Contains(out, "not whole") {
		t.Fatalf("save of a cut snapshot: %d\n%s", code, out)
	}
	if entries, _ := os.ReadDir(dir); len(entries) != 0 {
		t.Fatalf("files left after a failed save: %v", entries)
	}
	ok, _ := opsServer(t, whole.Bytes())
	if out, code := runCLI("operator", "snapshot", "save", "-address", ok.URL, file); code != 0 || !strings.Contains(out, "index 7, 1 keys") {
		t.Fatalf("save: %d\n%s", code, out)
	}
	out, code := runCLI("operator", "snapshot", "inspect", file)
	if code != 0 || !strings.Contains(out, "Index        = 7") || !strings.Contains(out, "jobs   1") {
		t.Fatalf("inspect: %d\n%s", code, out)
	}
}
