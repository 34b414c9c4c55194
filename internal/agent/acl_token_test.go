package agent

import (
	"testing"

	"github.com/wharf-project/wharf/internal/acl"
)

// TestAgentPolicyIsNarrow: the token agents make for their own client and
// ingress registers nodes and reads, but cannot submit jobs, exec, read
// logs, write services or the registry, or manage ACLs.
func TestAgentPolicyIsNarrow(t *testing.T) {
	p, err := acl.Parse(agentPolicyRules)
	if err != nil {
		t.Fatal(err)
	}
	a := acl.New([]*acl.Policy{p})
	if !a.AllowNodeWrite() || !a.AllowNamespaceOperation("prod", acl.CapReadJob) || !a.AllowServiceRead("web") {
		t.Fatal("the agent policy lost what its client and ingress need")
	}
	for _, c := range []string{acl.CapSubmitJob, acl.CapAllocExec, acl.CapReadLogs, acl.CapAllocLifecycle, acl.CapScaleJob, acl.CapDispatchJob} {
		if a.AllowNamespaceOperation("default", c) {
			t.Errorf("the agent policy grants %s", c)
		}
	}
	if a.IsManagement() || a.AllowServiceWriteAny() || a.AllowRegistryWrite() || a.AllowOperatorWrite() || a.AllowAgentWrite() {
		t.Error("the agent policy grants a write beyond nodes")
	}
}
