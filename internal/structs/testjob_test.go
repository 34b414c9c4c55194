package structs

import "time"

// testJob returns a canonical, valid service job shaped like the seed job
// (pot task with a dynamic http port and a tcp-checked service), plus a
// second group with a group service.
func testJob() *Job {
	j := &Job{
		ID: "nginx-minipot", Datacenters: []string{"minipot"}, Type: JobTypeService,
		Meta: map[string]string{"owner": "ops"},
		TaskGroups: []*TaskGroup{{
			Name: "group1", Count: 1,
			Networks: []*NetworkResource{{DynamicPorts: []Port{{Label: "http"}}}},
			Tasks: []*Task{{
				Name: "www1", Driver: "pot",
				Config: map[string]any{
					"image": "https://potluck.honeyguide.net/nginx-nomad", "pot": "nginx-nomad-amd64-13_1",
					"tag": "1.1.13", "command": "nginx", "args": []any{"-g", "'daemon off;'"},
					"port_map": map[string]any{"http": "80"},
				},
				Services: []*Service{{
					Name: "hello-web", Tags: []string{"nginx", "www"}, PortLabel: "http",
					Checks: []*ServiceCheck{{Name: "tcp", Type: "tcp", Interval: 5 * time.Second, Timeout: 2 * time.Second}},
				}},
				Resources: &Resources{CPU: 200, MemoryMB: 64},
			}},
		}, {
			Name: "api", Count: 2,
			Networks: []*NetworkResource{{Mode: "bridge", ReservedPorts: []Port{{Label: "api", Value: 8080, To: 80}}}},
			Services: []*Service{{Name: "api", PortLabel: "api", Checks: []*ServiceCheck{{
				Type: "http", Path: "/health", Interval: 10 * time.Second, Timeout: time.Second,
				Header: map[string][]string{"X": {"y"}},
			}}}},
			Tasks: []*Task{{Name: "server", Driver: "raw_exec", Env: map[string]string{"A": "b"},
				Config: map[string]any{"command": "/bin/api"}}},
		}},
	}
	j.Canonicalize()
	return j
}
