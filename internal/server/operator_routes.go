package server

import "net/http"

// operatorRoutes registers the cluster operations: snapshots (a
// management token, as Nomad), the members list (node read, as Nomad's
// /v1/agent/members) and etcd member changes (operator write, as Nomad's
// raft peer removal).
func (s *Server) operatorRoutes() {
	s.handle("GET /v1/operator/snapshot", management(), http.HandlerFunc(s.snapshotSave))
	s.write("/v1/operator/snapshot", management(), s.snapshotRestore)
	s.api("GET /v1/agent/members", nodeRead, s.agentMembers)
	s.write("/v1/operator/etcd/member", operatorWrite, s.memberJoin)
	s.api("DELETE /v1/operator/etcd/member/{name}", operatorWrite, s.memberLeave)
	s.write("/v1/agent/force-leave", operatorWrite, s.forceLeave)
}
