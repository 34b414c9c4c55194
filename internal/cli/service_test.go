package cli

import (
	"strings"
	"testing"

	"github.com/wharf-project/wharf/internal/structs"
)

const (
	svcAlloc = "8ba85cef-1111-2222-3333-444455556666"
	svcNode  = "5e1f0c2a-aaaa-bbbb-cccc-ddddeeeeffff"
)

// seedServices fills the fake catalog: nginx with a passing and a critical
// instance, an external db without checks, and one service in another
// namespace.
func seedServices(f *fakeAPI) {
	id := taskServicePrefix + svcAlloc + "-nginx-nginx-http"
	f.services = []*structs.ServiceRegistration{
		{ID: id, ServiceName: "nginx", Namespace: "default", NodeID: svcNode, AllocID: svcAlloc,
			Tags: []string{"web", "minipot"}, Address: "10.0.0.5", Port: 22854,
			Checks: []*structs.CheckStatus{{ID: "alive", Name: "alive", Type: "tcp", Status: "passing",
				Output: "TCP connect 10.0.0.5:22854: Success"}}},
		{ID: id + "-2", ServiceName: "nginx", Namespace: "default", NodeID: svcNode, AllocID: svcAlloc,
			Tags: []string{"web"}, Address: "fd00::5", Port: 80,
			Checks: []*structs.CheckStatus{{ID: "page", Type: "http", Status: "critical",
				Output: "HTTP GET http://[fd00::5]:80/: 503 Service Unavailable\n" + strings.Repeat("upstream down ", 20)}}},
		{ID: "db1", ServiceName: "db", Namespace: "default", Address: "192.0.2.9", Port: 5432},
		{ID: "other", ServiceName: "billing", Namespace: "prod", Address: "192.0.2.10", Port: 1},
	}
}

func TestServiceCommands(t *testing.T) {
	runCases(t, []cliCase{
		{name: "list", setup: seedServices, args: []string{"service", "list"},
			stdout: []string{"Service Name  Tags", "db            []             1          1",
				"nginx         [minipot,web]  2          1"},
			absent: []string{"billing", "Namespace"}},
		{name: "list every namespace", setup: seedServices, args: []string{"-namespace", "*", "service", "list"},
			stdout: []string{"Namespace", "prod", "billing"}},
		{name: "list empty", args: []string{"service", "list"}, stdout: []string{"No services registered"}},
		{name: "list json", setup: seedServices, args: []string{"service", "list", "-json"},
			checkFn: func(t *testing.T, r result) {
				var list []*structs.ServiceRegistrationListStub
				wantJSON(&list)(t, r)
				if len(list) != 1 || len(list[0].Services) != 2 {
					t.Errorf("list: %+v", list)
				}
			}},
		{name: "info", setup: seedServices, args: []string{"service", "info", "nginx"},
			stdout: []string{"Instances    = 2", "Passing      = 1", "Tags         = [minipot,web]",
				"_wharf-task-8ba85cef-nginx-nginx-http  ", "5e1f0c2a", "10.0.0.5:22854", "[fd00::5]:80", "8ba85cef",
				"passing", "critical", "alive", "tcp", "TCP connect 10.0.0.5:22854: Success", "503 Service Unavailable"},
			absent: []string{svcAlloc, "upstream down upstream down upstream down"}},
		{name: "info verbose", setup: seedServices, args: []string{"service", "info", "-verbose", "nginx"},
			stdout: []string{svcAlloc, svcNode, `Output of check "page"`, "upstream down upstream down upstream down"}},
		{name: "info without checks", setup: seedServices, args: []string{"service", "info", "db"},
			stdout: []string{"db1", "192.0.2.9:5432", "passing"}, absent: []string{"Checks"}},
		{name: "info json", setup: seedServices, args: []string{"service", "info", "-json", "nginx"},
			checkFn: func(t *testing.T, r result) {
				var regs []*structs.ServiceRegistration
				wantJSON(&regs)(t, r)
				if len(regs) != 2 || regs[0].Checks[0].Status != "passing" {
					t.Errorf("instances: %+v", regs)
				}
			}},
		{name: "info unknown", setup: seedServices, args: []string{"service", "info", "nope"}, code: 1,
			stderr: []string{`no instances of service "nope"`}},
		{name: "info needs a name", args: []string{"service", "info"}, code: 1, stderr: []string{"accepts 1 arg"}},
	})
}

func TestShortServiceID(t *testing.T) {
	tests := []struct {
		id      string
		verbose bool
		want    string
	}{
		{taskServicePrefix + svcAlloc + "-web-api-http", false, "_wharf-task-8ba85cef-web-api-http"},
		{taskServicePrefix + svcAlloc + "-web-api-http", true, taskServicePrefix + svcAlloc + "-web-api-http"},
		{"redis-external", false, "redis-external"},
		{taskServicePrefix + "short", false, taskServicePrefix + "short"},
	}
	for _, tc := range tests {
		if got := shortServiceID(tc.id, tc.verbose); got != tc.want {
			t.Errorf("shortServiceID(%q, %v) = %q, want %q", tc.id, tc.verbose, got, tc.want)
		}
	}
}

func TestOneLine(t *testing.T) {
	tests := []struct {
		in   string
		want string
		cut  bool
	}{
		{"ok", "ok", false},
		{" ok\n", "ok", false},
		{"first\nsecond", "first ...", true},
		{strings.Repeat("é", 70), strings.Repeat("é", 57) + "...", true},
	}
	for _, tc := range tests {
		got, cut := oneLine(tc.in)
		if got != tc.want || cut != tc.cut {
			t.Errorf("oneLine(%q) = %q, %v; want %q, %v", tc.in, got, cut, tc.want, tc.cut)
		}
	}
}
