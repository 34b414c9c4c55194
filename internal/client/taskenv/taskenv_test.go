package taskenv

import (
	"reflect"
	"testing"

	"github.com/wharf-project/wharf/internal/structs"
)

func testInput() Input {
	job := &structs.Job{ID: "web-job", Name: "web", Namespace: "default", Region: "eu",
		Meta:       map[string]string{"owner": "ops", "tier": "job"},
		TaskGroups: []*structs.TaskGroup{{Name: "front", Meta: map[string]string{"tier": "group"}}}}
	task := &structs.Task{Name: "nginx", Resources: &structs.Resources{CPU: 200, MemoryMB: 64},
		Meta: map[string]string{"my.key": "v"},
		Env: map[string]string{
			"LISTEN":                  "${NOMAD_ADDR_http}",
			"KERNEL":                  "${attr.kernel.name}",
			"RACK":                    "${meta.rack}",
			"NODE":                    "${node.unique.name}/${node.datacenter}/${node.region}",
			"UNKNOWN":                 "${nope.x}",
			"NOMAD_DC":                "overridden",
			"${NOMAD_TASK_NAME}_HOME": "${NOMAD_TASK_DIR}",
		}}
	alloc := &structs.Allocation{ID: "0123456789abcdef", Name: "web.front[3]", JobID: "web-job",
		TaskGroup: "front", Namespace: "default", Job: job,
		AllocatedResources: &structs.AllocatedResources{
			Tasks: map[string]*structs.AllocatedTaskResources{"nginx": {
				Cpu: structs.AllocatedCpuResources{CpuShares: 250}, Memory: structs.AllocatedMemoryResources{MemoryMB: 128, MemoryMaxMB: 256},
				Networks: []*structs.NetworkResource{{IP: "10.0.0.5", DynamicPorts: []structs.Port{{Label: "admin", Value: 23000}}}},
			}},
			Shared: structs.AllocatedSharedResources{Ports: []structs.PortMapping{
				{Label: "http", Value: 22854, To: 80, HostIP: "10.0.0.5"},
				{Label: "db-port", Value: 25000, HostIP: "10.0.0.5"},
			}},
		}}
	node := &structs.Node{ID: "node-1", Name: "host1", Datacenter: "dc1", NodeClass: "big",
		Attributes: map[string]string{"kernel.name": "freebsd"}, Meta: map[string]string{"rack": "r7"}}
	return Input{Node: node, Alloc: alloc, Task: task, Region: "global", AllocDir: "/d/alloc",
		TaskDir: "/d/nginx/local", SecretsDir: "/d/nginx/secrets", HostEnv: map[string]string{"PATH": "/bin", "NOMAD_DC": "host"}}
}

func TestBuild(t *testing.T) {
	env := Build(testInput()).Map()
	want := map[string]string{
		"PATH":                    "/bin",
		AllocID:                   "0123456789abcdef",
		ShortAllocID:              "01234567",
		AllocName:                 "web.front[3]",
		AllocIndex:                "3",
		JobID:                     "web-job",
		JobName:                   "web",
		GroupName:                 "front",
		TaskName:                  "nginx",
		Namespace:                 "default",
		Region:                    "eu",
		AllocDir:                  "/d/alloc",
		TaskDir:                   "/d/nginx/local",
		SecretsDir:                "/d/nginx/secrets",
		CPULimit:                  "250",
		MemLimit:                  "128",
		MemMaxLimit:               "256",
		"NOMAD_PORT_http":         "80",
		"NOMAD_HOST_PORT_http":    "22854",
		"NOMAD_IP_http":           "10.0.0.5",
		"NOMAD_HOST_IP_http":      "10.0.0.5",
		"NOMAD_ADDR_http":         "10.0.0.5:80",
		"NOMAD_HOST_ADDR_http":    "10.0.0.5:22854",
		"NOMAD_PORT_db_port":      "25000",
		"NOMAD_HOST_ADDR_db_port": "10.0.0.5:25000",
		"NOMAD_PORT_admin":        "23000",
		"NOMAD_ADDR_admin":        "10.0.0.5:23000",
		"NOMAD_META_OWNER":        "ops",
		"NOMAD_META_owner":        "ops",
		"NOMAD_META_TIER":         "group",
		"NOMAD_META_MY_KEY":       "v",
		"NOMAD_META_my_key":       "v",
		"LISTEN":                  "10.0.0.5:80",
		"KERNEL":                  "freebsd",
		"RACK":                    "r7",
		"NODE":                    "host1/dc1/global",
		"UNKNOWN":                 "${nope.x}",
		"NOMAD_DC":                "overridden",
		"nginx_HOME":              "/d/nginx/local",
	}
	for k, v := range want {
		if env[k] != v {
			t.Errorf("%s = %q, want %q", k, env[k], v)
		}
	}
}

func TestBuildDefaults(t *testing.T) {
	in := testInput()
	in.Alloc.AllocatedResources = nil
	in.Alloc.Job.Region = ""
	in.Task.Env = nil
	env := Build(in)
	for k, want := range map[string]string{CPULimit: "200", MemLimit: "64", Region: "global", Datacenter: "dc1"} {
		if got, _ := env.Get(k); got != want {
			t.Errorf("%s = %q, want %q", k, got, want)
		}
	}
	if _, ok := env.Get("NOMAD_PORT_http"); ok {
		t.Error("port variables without allocated ports")
	}
	if e := Build(Input{}); len(e.Map()) != 0 {
		t.Errorf("empty input gave %v", e.Map())
	}
}

func TestReplace(t *testing.T) {
	env := Build(testInput())
	tests := []struct{ in, want string }{
		{"plain", "plain"},
		{"${NOMAD_PORT_http}", "80"},
		{"-listen=${NOMAD_IP_http}:${NOMAD_PORT_http}!", "-listen=10.0.0.5:80!"},
		{"${ attr.kernel.name }", "freebsd"},
		{"${node.unique.id} ${node.class}", "node-1 big"},
		{"${missing}", "${missing}"},
		{"${unterminated", "${unterminated"},
		{"$${NOMAD_TASK_NAME}", "$nginx"},
	}
	for _, tt := range tests {
		if got := env.Replace(tt.in); got != tt.want {
			t.Errorf("Replace(%q) = %q, want %q", tt.in, got, tt.want)
		}
	}
}

func TestReplaceConfig(t *testing.T) {
	env := Build(testInput())
	in := map[string]any{
		"command":  "nginx",
		"args":     []any{"-p", "${NOMAD_PORT_http}", 7},
		"port_map": map[string]any{"http": "${NOMAD_PORT_http}"},
		"list":     []string{"${NOMAD_ALLOC_INDEX}"},
		"nested":   []map[string]any{{"${NOMAD_TASK_NAME}": true}},
		"n":        1.5,
	}
	got := env.ReplaceConfig(in)
	want := map[string]any{
		"command":  "nginx",
		"args":     []any{"-p", "80", 7},
		"port_map": map[string]any{"http": "80"},
		"list":     []string{"3"},
		"nested":   []map[string]any{{"nginx": true}},
		"n":        1.5,
	}
	if !reflect.DeepEqual(got, want) {
		t.Fatalf("got %#v\nwant %#v", got, want)
	}
	if in["args"].([]any)[1] != "${NOMAD_PORT_http}" {
		t.Fatal("ReplaceConfig changed its input")
	}
}

func TestCleanName(t *testing.T) {
	for in, want := range map[string]string{"http": "http", "db-port": "db_port", "a.b c": "a_b_c", "ü": "_"} {
		if got := CleanName(in); got != want {
			t.Errorf("CleanName(%q) = %q, want %q", in, got, want)
		}
	}
}
