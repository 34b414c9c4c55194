package server

import (
	"github.com/wharf-project/wharf/internal/state"
	"github.com/wharf-project/wharf/internal/structs"
)

// Event stream topics, as Nomad names them. Topics Nomad has and wharf
// does not produce are accepted in filters (no events come for them).
const (
	topicAll        = "*"
	topicJob        = "Job"
	topicAllocation = "Allocation"
	topicEvaluation = "Evaluation"
	topicNode       = "Node"
	topicService    = "Service"
)

// knownTopics are the topics a filter may name: wharf's, and Nomad's
// others, which stay silent.
var knownTopics = map[string]bool{
	topicAll: true, topicJob: true, topicAllocation: true, topicEvaluation: true, topicNode: true,
	topicService: true, "Deployment": true, "NodePool": true, "ACLToken": true, "ACLPolicy": true,
	"ACLRole": true, "Operator": true, "HostVolume": true, "CSIVolume": true, "CSIPlugin": true,
}

// Event is one change, in the shape of Nomad's event stream events.
type Event struct {
	Topic      string
	Type       string
	Key        string
	Namespace  string
	FilterKeys []string
	Index      uint64
	Payload    map[string]any
}

// eventBatch is the events of one store commit.
type eventBatch struct {
	Index  uint64
	Events []Event
}

// eventsFromChanges turns one commit's changes into events, one per
// object (the last change of an object in the commit wins). Deleted
// allocations and evaluations (garbage collection) make no event, as in
// Nomad.
func eventsFromChanges(index uint64, changes []state.Change) []Event {
	out := make([]Event, 0, len(changes))
	seen := make(map[[2]string]int, len(changes))
	for _, c := range changes {
		ev, ok := eventFromChange(index, c)
		if !ok {
			continue
		}
		k := [2]string{ev.Topic, ev.Namespace + "\x00" + eventID(c.Object)}
		if i, dup := seen[k]; dup {
			out[i] = ev
			continue
		}
		seen[k] = len(out)
		out = append(out, ev)
	}
	return out
}

// eventID is an object's identity within its topic.
func eventID(obj any) string {
	switch o := obj.(type) {
	case *structs.Job:
		return o.ID
	case *structs.Allocation:
		return o.ID
	case *structs.Evaluation:
		return o.ID
	case *structs.Node:
		return o.ID
	case *structs.ServiceRegistration:
		return o.ID
	}
	return ""
}

// eventful reports whether a change makes an event (eventFromChange
// would return one), without building it.
func eventful(c state.Change) bool {
	switch c.Object.(type) {
	case *structs.Job:
		return c.Table == state.TableJobs
	case *structs.Allocation, *structs.Evaluation:
		return !c.Deleted
	case *structs.Node, *structs.ServiceRegistration:
		return true
	}
	return false
}

// eventfulOnly returns the changes that make events: changes itself when
// all do, nil when none does.
func eventfulOnly(changes []state.Change) []state.Change {
	n := 0
	for _, c := range changes {
		if eventful(c) {
			n++
		}
	}
	switch n {
	case 0:
		return nil
	case len(changes):
		return changes
	}
	out := make([]state.Change, 0, n)
	for _, c := range changes {
		if eventful(c) {
			out = append(out, c)
		}
	}
	return out
}

func eventFromChange(index uint64, c state.Change) (Event, bool) {
	ev := Event{Index: index}
	switch o := c.Object.(type) {
	case *structs.Job:
		if c.Table != state.TableJobs {
			return ev, false // a stored version, not the current job
		}
		ev.Topic, ev.Key, ev.Namespace, ev.Type = topicJob, o.ID, o.Namespace, jobEventType(o, c.Deleted)
		ev.Payload = map[string]any{"Job": o}
	case *structs.Allocation:
		if c.Deleted {
			return ev, false
		}
		ev.Topic, ev.Key, ev.Namespace, ev.Type = topicAllocation, o.ID, o.Namespace, allocEventType(o)
		ev.FilterKeys = []string{o.JobID}
		ev.Payload = map[string]any{"Allocation": o}
	case *structs.Evaluation:
		if c.Deleted {
			return ev, false
		}
		ev.Topic, ev.Key, ev.Namespace, ev.Type = topicEvaluation, o.ID, o.Namespace, "EvaluationUpdated"
		ev.FilterKeys = []string{o.JobID}
		ev.Payload = map[string]any{"Evaluation": o}
	case *structs.Node:
		ev.Topic, ev.Key, ev.Type = topicNode, o.ID, nodeEventType(o, c.Deleted)
		ev.Payload = map[string]any{"Node": o.Stub()}
	case *structs.ServiceRegistration:
		ev.Topic, ev.Key, ev.Namespace = topicService, o.ServiceName, o.Namespace
		ev.Type = "ServiceRegistration"
		if c.Deleted {
			ev.Type = "ServiceDeregistration"
		}
		ev.FilterKeys = []string{o.ID, o.JobID}
		ev.Payload = map[string]any{"Service": o}
	default:
		return ev, false
	}
	return ev, true
}

// jobEventType names a job change: a stopped or purged job is
// deregistered, anything else (a new version, a status change) registered.
func jobEventType(j *structs.Job, deleted bool) string {
	if deleted || j.Stop {
		return "JobDeregistered"
	}
	return "JobRegistered"
}

// allocEventType names an allocation change: a write of the servers
// (placement, stop, lost) is a plan result, one of the client's an
// update.
func allocEventType(a *structs.Allocation) string {
	if a.AllocModifyIndex == a.ModifyIndex {
		return "PlanResult"
	}
	return "AllocationUpdated"
}

// nodeEventType names a node change.
func nodeEventType(n *structs.Node, deleted bool) string {
	switch {
	case deleted:
		return "NodeDeregistration"
	case n.CreateIndex == n.ModifyIndex:
		return "NodeRegistration"
	case n.Drain:
		return "NodeDrain"
	}
	return "NodeStreamEvent"
}
