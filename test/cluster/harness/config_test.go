package harness

import (
	"strings"
	"testing"

	"github.com/wharf-project/wharf/internal/agent"
)

// TestMergeHCL merges extra configuration into a generated one: the
// result parses as an agent configuration with both sides' settings, and
// the extra side wins where both set a value.
func TestMergeHCL(t *testing.T) {
	base := clientHCL(&Agent{Name: "c1", DataDir: "/tmp/x"}, []string{"10.0.0.1:4646"}, false, "")
	for _, tc := range []struct {
		name, extra string
		check       func(*agent.Config) string
	}{
		{"empty", "", func(c *agent.Config) string {
			if c.Client.Options["driver.raw_exec.enable"] != "1" {
				return "raw_exec option lost"
			}
			return ""
		}},
		{"attribute into an existing block", `client { node_class = "gpu" }`, func(c *agent.Config) string {
			if c.Client.NodeClass != "gpu" || len(c.Client.Servers) != 1 {
				return "node_class not merged into the client block"
			}
			return ""
		}},
		{"replace an attribute", `client { meta = { rack = "r1" } }
name = "other"`, func(c *agent.Config) string {
			if c.Client.Meta["rack"] != "r1" || c.Name != "other" {
				return "meta or name not replaced"
			}
			return ""
		}},
		{"new block", `limits { job_max_count = 10 }`, func(c *agent.Config) string {
			if c.Limits == nil {
				return "limits block not added"
			}
			return ""
		}},
		{"nested block", "client {\n  pot {\n    disabled = false\n  }\n}", func(c *agent.Config) string {
			if c.Client.Pot == nil || c.Client.Pot.Disabled {
				return "pot block not merged"
			}
			return ""
		}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			out, err := mergeHCL(base, tc.extra)
			if err != nil {
				t.Fatal(err)
			}
			cfg, err := agent.Parse("merged.hcl", []byte(out))
			if err != nil {
				t.Fatalf("merged config does not parse: %v\n%s", err, out)
			}
			if msg := tc.check(cfg); msg != "" {
				t.Fatalf("%s:\n%s", msg, out)
			}
		})
	}
}

// TestMergeHCLRefusesBrokenExtra names the extra HCL's error.
func TestMergeHCLRefusesBrokenExtra(t *testing.T) {
	_, err := mergeHCL(serverHCL(&Agent{Name: "s1"}, "s1=http://x:2380", false), "server {")
	if err == nil || !strings.Contains(err.Error(), "extra HCL") {
		t.Fatalf("err = %v, want the extra HCL's error", err)
	}
}
