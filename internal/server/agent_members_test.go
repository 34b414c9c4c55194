package server

import (
	"fmt"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	nomad "github.com/hashicorp/nomad/api"

	"github.com/wharf-project/wharf/internal/state/embedetcd"
	"github.com/wharf-project/wharf/internal/state/etcdstore"
)

// TestAgentMembersWithNomadClient: Nomad's official client decodes
// /v1/agent/members of a server on one embedded etcd member: one member,
// alive, leading wharf and etcd, with its raft index and no alarms.
func TestAgentMembersWithNomadClient(t *testing.T) {
	ts := newEtcdServer(t)
	c, err := nomad.NewClient(&nomad.Config{Address: ts.http.URL})
	if err != nil {
		t.Fatal(err)
	}
	sm, err := c.Agent().Members()
	if err != nil {
		t.Fatal(err)
	}
	if len(sm.Members) != 1 || sm.ServerName != "wharf.global" || sm.ServerRegion != "global" {
		t.Fatalf("members %+v", sm)
	}
	m := sm.Members[0]
	tags := m.Tags
	if m.Name != "wharf.global" || m.Status != "alive" || tags["leader"] != "true" || tags["etcd_leader"] != "true" ||
		tags["etcd_health"] != "healthy" || tags["raft_index"] == "" || tags["raft_index"] == "0" || tags["alarms"] != "" ||
		m.Addr != "127.0.0.1" || m.Port != 4646 {
		t.Fatalf("member %+v", m)
	}
	var local serverMembers
	ts.mustDo("GET", "/v1/agent/members?local=true", nil, &local)
	if len(local.Members) != 1 || local.Members[0].Tags["etcd_id"] != tags["etcd_id"] {
		t.Fatalf("local answer %+v", local)
	}
}

// TestMemberChangesRefused: joins with a bad name or peer URL, a name or
// peer URL in use, and removals of unknown or last members are refused
// with the status that fits, and the cluster keeps its one member.
func TestMemberChangesRefused(t *testing.T) {
	ts := newEtcdServer(t)
	peer := ts.etcd.PeerURL()
	cases := []struct {
		method, path, body string
		code               int
		want               string
	}{
		{"PUT", "/v1/operator/etcd/member", `{"Name":"../x","PeerURL":"http://10.0.0.4:2380"}`, 400, `"Name"`},
		{"PUT", "/v1/operator/etcd/member", `{"Name":"s4","PeerURL":"10.0.0.4:2380"}`, 400, `"PeerURL"`},
		{"PUT", "/v1/operator/etcd/member", `{"Name":"s4","PeerURL":"http://10.0.0.4"}`, 400, `"PeerURL"`},
		{"PUT", "/v1/operator/etcd/member", `{"Name":"s4","PeerURL":"http://u:p@10.0.0.4:2380/x"}`, 400, `"PeerURL"`},
		{"PUT", "/v1/operator/etcd/member", `{"Name":"s4"`, 400, ""},
		{"PUT", "/v1/operator/etcd/member", `{"Name":"wharf","PeerURL":"http://10.0.0.4:2380"}`, 409, "etcd member exists"},
		{"PUT", "/v1/operator/etcd/member", `{"Name":"s4","PeerURL":"` + peer + `"}`, 409, "peer URL of member wharf"},
		{"DELETE", "/v1/operator/etcd/member/nope", "", 404, "no such etcd member"},
		{"PUT", "/v1/agent/force-leave?node=nope.global", "", 404, "no such etcd member"},
		{"PUT", "/v1/agent/force-leave", "", 400, `"node"`},
		{"DELETE", "/v1/operator/etcd/member/wharf", "", 400, "last etcd member"},
	}
	for _, c := range cases {
		var body any
		if c.body != "" {
			body = c.body
		}
		code, raw := ts.do(c.method, c.path, body, nil)
		if code != c.code || !strings.Contains(raw, c.want) {
			t.Errorf("%s %s %s: %d %q, want %d naming %q", c.method, c.path, c.body, code, raw, c.code, c.want)
		}
	}
	cl, err := ts.store.EtcdCluster(t.Context())
	if err != nil || len(cl.Members) != 1 {
		t.Fatalf("members after refused changes: %+v %v", cl, err)
	}
}

func TestMembersOnMemoryStoreIsNotImplemented(t *testing.T) {
	ts := newTestServer(t, nil)
	if code, body := ts.do("GET", "/v1/agent/members", nil, nil); code != http.StatusNotImplemented {
		t.Fatalf("%d %s", code, body)
	}
}

var _ memberOps = (*etcdstore.Store)(nil)
var _ snapshotter = (*etcdstore.Store)(nil)
var _ restoreWaiter = (*etcdstore.Store)(nil)

// TestAgentMembersShowAlarms: a member whose database reached its quota
// raises etcd's NOSPACE alarm, and the members list shows it on the
// member and in EtcdAlarms.
func TestAgentMembersShowAlarms(t *testing.T) {
	ctx := t.Context()
	ec, err := embedetcd.Start(ctx, embedetcd.Config{DataDir: t.TempDir(), UnsafeNoFsync: true, QuotaBackendBytes: 1 << 20,
		Log: slog.New(slog.DiscardHandler)})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = ec.Close() })
	st, err := etcdstore.Open(ctx, etcdstore.Config{Endpoints: ec.Endpoints()})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = st.Close() })
	srv, err := New(Config{Store: st, Logger: slog.New(slog.DiscardHandler)})
	if err != nil {
		t.Fatal(err)
	}
	hs := httptest.NewServer(srv.Handler())
	t.Cleanup(hs.Close)
	value := strings.Repeat("x", 64<<10)
	for i := 0; ; i++ {
		if _, err := st.Client().Put(ctx, fmt.Sprintf("/fill/%d", i), value); err != nil {
			break
		}
		if i == 1000 {
			t.Fatal("no quota error after 1000 puts")
		}
	}
	ts := &testServer{t: t, srv: srv, store: st, http: hs}
	var sm serverMembers
	ts.mustDo("GET", "/v1/agent/members", nil, &sm)
	if len(sm.Members) != 1 || sm.Members[0].Tags["alarms"] != "NOSPACE" || len(sm.EtcdAlarms) != 1 ||
		sm.EtcdAlarms[0].Alarm != "NOSPACE" || sm.EtcdAlarms[0].MemberID != sm.Members[0].Tags["etcd_id"] {
		t.Fatalf("members under a NOSPACE alarm: %+v %+v", sm.Members[0], sm.EtcdAlarms)
	}
}
