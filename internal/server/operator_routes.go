package server

import "net/http"

// operatorRoutes registers the cluster operations: snapshots (a
// management token, as Nomad), etcd members and the servers' view of
// them.
func (s *Server) operatorRoutes() {
	s.handle("GET /v1/operator/snapshot", management(), http.HandlerFunc(s.snapshotSave))
	s.write("/v1/operator/snapshot", management(), s.snapshotRestore)
}
