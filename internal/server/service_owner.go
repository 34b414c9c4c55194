package server

import (
	"net/http"

	"github.com/wharf-project/wharf/internal/catalog"
	"github.com/wharf-project/wharf/internal/state"
	"github.com/wharf-project/wharf/internal/structs"
)

// callerNode is the ID of the node whose secret the request presented, or
// "".
func (ai *authInfo) callerNode() string {
	if ai.node == nil {
		return ""
	}
	return ai.node.ID
}

// tokenAllowsServiceWrite reports whether the request's token (not its
// node secret) may write instances of service name. With ACLs off no token
// grants anything here: only nodes own instances then.
func (ai *authInfo) tokenAllowsServiceWrite(name string) bool {
	return ai.aclsOn && ai.acl.AllowServiceWrite(name)
}

// mayRegister refuses a registration the request may not write:
//   - an instance owned by a known node is changed only by that node;
//   - a registration naming a known node is made only by that node;
//   - a node registers the instances of its own allocations, under the
//     names their jobs declare and in their namespaces;
//   - anything else needs, with ACLs on, a token with service write on
//     the name, and may join a service that belongs to tasks only with
//     such a token.
func mayRegister(snap state.Snapshot, ai *authInfo, reg *structs.ServiceRegistration) error {
	caller := ai.callerNode()
	if owner := catalog.Owner(snap, snap.ServiceRegistration(reg.ID)); owner != "" && owner != caller {
		return denied("service instance %q belongs to node %s; only that node may change it", reg.ID, owner)
	}
	if claimed := catalog.Owner(snap, reg); claimed != "" && claimed != caller {
		return denied("registration %q names node %s; only that node (with its node secret) may register for it", reg.ID, claimed)
	}
	if caller != "" && reg.NodeID == caller && reg.AllocID != "" {
		if a := snap.Alloc(reg.AllocID); a != nil && a.NodeID == caller {
			if !catalog.AllocMayRegister(snap, a, reg) {
				return denied("registration %q: allocation %s registers only the services its job declares, in namespace %q",
					reg.ID, a.ID, a.Namespace)
			}
			return nil
		}
	}
	if ai.aclsOn && !ai.acl.AllowServiceWrite(reg.ServiceName) {
		return denied("missing service %q policy \"write\"", reg.ServiceName)
	}
	if catalog.UsedByTasks(snap, reg.Namespace, reg.ServiceName, caller) && !ai.tokenAllowsServiceWrite(reg.ServiceName) {
		return denied("service %q belongs to tasks; an instance from outside them needs a token with service %q policy \"write\"",
			reg.ServiceName, reg.ServiceName)
	}
	return nil
}

// mayDeregister refuses removing an instance the request does not own:
// a known node's instance only by that node, others (with ACLs on) only
// with service write on the name.
func mayDeregister(snap state.Snapshot, ai *authInfo, id string) error {
	stored := snap.ServiceRegistration(id)
	if stored == nil {
		return nil
	}
	if owner := catalog.Owner(snap, stored); owner != "" {
		if owner != ai.callerNode() {
			return denied("service instance %q belongs to node %s; only that node may remove it", id, owner)
		}
		return nil
	}
	if ai.aclsOn && !ai.acl.AllowServiceWrite(stored.ServiceName) {
		return denied("missing service %q policy \"write\"", stored.ServiceName)
	}
	return nil
}

// taskAddressError refuses an instance a node registers for one of its
// allocations when its address is not one that allocation owns on that
// node (structs.TaskAddressError): a job whose jails may not reach a host
// would otherwise make the ingress its proxy. Registrations made with an
// operator's token (outside tasks) are not checked.
func taskAddressError(snap state.Snapshot, ai *authInfo, path string, reg *structs.ServiceRegistration) error {
	caller := ai.callerNode()
	if caller == "" || reg.NodeID != caller || reg.AllocID == "" {
		return nil
	}
	a, n := snap.Alloc(reg.AllocID), snap.Node(caller)
	if a == nil || a.NodeID != caller {
		return nil
	}
	if err := structs.TaskAddressError(n, a, reg.Address, reg.Port); err != nil {
		return errorf(http.StatusBadRequest, "invalid service registration: %s.Address: %v", path, err)
	}
	return nil
}

// routable reports whether the ingress may send requests to reg: an
// instance of a task on a known node only at an address its allocation
// owns there (what taskAddressError requires at registration, checked
// again for instances stored before it, or whose node's networks
// changed). Other instances (external services, registered with a token)
// are routable.
func routable(snap state.Snapshot, reg *structs.ServiceRegistration) bool {
	if reg.AllocID == "" || catalog.Owner(snap, reg) == "" {
		return true
	}
	a := snap.Alloc(reg.AllocID)
	if a == nil || a.NodeID != reg.NodeID {
		return true
	}
	return structs.TaskAddressError(snap.Node(reg.NodeID), a, reg.Address, reg.Port) == nil
}

// joinsUnlessTasks reports whether reg was allowed only because its
// service did not belong to tasks on the snapshot mayRegister read (not
// a node's own allocation's instance, no token granting service write):
// catalog.RecheckJoins checks it again after the write.
func joinsUnlessTasks(snap state.Snapshot, ai *authInfo, reg *structs.ServiceRegistration) bool {
	if caller := ai.callerNode(); caller != "" && reg.NodeID == caller && reg.AllocID != "" {
		if a := snap.Alloc(reg.AllocID); a != nil && a.NodeID == caller {
			return false
		}
	}
	return !ai.tokenAllowsServiceWrite(reg.ServiceName)
}
