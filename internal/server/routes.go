package server

import (
	"net/http"

	"github.com/wharf-project/wharf/internal/acl"
)

// route is one registered API pattern and the permission it requires.
type route struct {
	pattern string
	perm    perm
}

// handle registers h for pattern behind the check of p. It is the only way
// a route is added to the mux, so every route has a permission.
func (s *Server) handle(pattern string, p perm, h http.Handler) {
	if !p.open && (p.allow == nil || p.what == nil) {
		panic("server: route " + pattern + " registered without a permission check")
	}
	s.routeTable = append(s.routeTable, route{pattern, p})
	s.mux.Handle(pattern, s.authorize(p, h))
}

// api registers a JSON handler.
func (s *Server) api(pattern string, p perm, h handlerFunc) { s.handle(pattern, p, s.wrap(h)) }

// write registers a JSON handler for PUT and POST of path, as Nomad
// accepts both for writes.
func (s *Server) write(path string, p perm, h handlerFunc) {
	s.api("PUT "+path, p, h)
	s.api("POST "+path, p, h)
}

// routes registers every API path with its permission (Nomad's where Nomad
// has the concept). Node registration, heartbeats and allocation updates
// are wharf's own (Nomad clients use RPC for them).
func (s *Server) routes() {
	s.jobRoutes()
	s.allocRoutes()
	s.nodeRoutes()
	s.serviceRoutes()
	s.aclRoutes()
	s.operatorRoutes()
	s.metricsRoutes()

	s.api("GET /v1/status/leader", openRoute(), s.statusLeader)
	s.api("GET /v1/status/peers", openRoute(), s.statusPeers)
	s.api("GET /v1/regions", openRoute(), s.regions)
	s.api("GET /v1/agent/self", agentRead, s.agentSelf)
	for _, method := range []string{"PUT", "POST"} {
		s.handle(method+" /v1/system/gc", management(), s.leaderOnly(s.wrap(s.systemGC)))
	}
	s.api("/v1/", openRoute(), s.notFound)
}

func (s *Server) jobRoutes() {
	q := queryNS
	s.api("GET /v1/jobs", nsCap(acl.CapListJobs, q), s.jobsList)
	s.write("/v1/jobs", nsCap(acl.CapSubmitJob, q), s.jobRegister)
	s.write("/v1/jobs/parse", nsCap(acl.CapParseJob, q), s.jobsParse)
	s.write("/v1/validate/job", nsCap(acl.CapReadJob, q), s.jobValidate)
	s.api("GET /v1/job/{id}", nsCap(acl.CapReadJob, q), s.jobInfo)
	s.write("/v1/job/{id}", nsCap(acl.CapSubmitJob, q), s.jobRegister)
	s.api("DELETE /v1/job/{id}", nsCap(acl.CapSubmitJob, q), s.jobDeregister)
	s.api("GET /v1/job/{id}/allocations", nsCap(acl.CapReadJob, q), s.jobAllocations)
	s.api("GET /v1/job/{id}/evaluations", nsCap(acl.CapReadJob, q), s.jobEvaluations)
	s.api("GET /v1/job/{id}/versions", nsCap(acl.CapReadJob, q), s.jobVersions)
	s.api("GET /v1/job/{id}/summary", nsCap(acl.CapReadJob, q), s.jobSummary)
	s.write("/v1/job/{id}/plan", nsCap(acl.CapSubmitJob, q), s.jobPlan)
	s.api("GET /v1/job/{id}/scale", nsCap(acl.CapReadJobScaling, q), s.jobScaleStatus)
	s.write("/v1/job/{id}/scale", nsCap(acl.CapScaleJob, q), s.jobScale)
	s.write("/v1/job/{id}/evaluate", nsCap(acl.CapSubmitJob, q), s.jobEvaluate)

	s.api("GET /v1/evaluations", nsCap(acl.CapReadJob, q), s.evalsList)
	s.api("GET /v1/evaluation/{id}", nsCap(acl.CapReadJob, evalNS), s.evalInfo)
	s.api("GET /v1/evaluation/{id}/allocations", nsCap(acl.CapReadJob, evalNS), s.evalAllocations)
}

func (s *Server) allocRoutes() {
	s.api("GET /v1/allocations", nsCap(acl.CapReadJob, queryNS), s.allocsList)
	s.api("GET /v1/allocation/{id}", nsCap(acl.CapReadJob, allocNS("id")), s.allocInfo)
	s.write("/v1/allocation/{id}/stop", nsCap(acl.CapAllocLifecycle, allocNS("id")), s.allocStop)
	s.write("/v1/allocations/update", anyNode(), s.allocsUpdate)

	alloc := allocNS("alloc")
	proxy := http.HandlerFunc(s.clientAllocRequest)
	s.handle("GET /v1/client/fs/logs/{alloc}", nsCap(acl.CapReadLogs, alloc), proxy)
	s.handle("GET /v1/client/allocation/{alloc}/exec", nsCap(acl.CapAllocExec, alloc), proxy)
	s.handle("GET /v1/client/allocation/{alloc}/stats", nsCap(acl.CapReadJob, alloc), proxy)
	for _, method := range []string{"PUT", "POST"} {
		s.handle(method+" /v1/client/allocation/{alloc}/restart", nsCap(acl.CapAllocLifecycle, alloc), proxy)
		s.handle(method+" /v1/client/allocation/{alloc}/signal", nsCap(acl.CapAllocLifecycle, alloc), proxy)
	}
}

func (s *Server) nodeRoutes() {
	s.api("GET /v1/nodes", nodeRead, s.nodesList)
	s.api("GET /v1/node/{id}", nodeRead, s.nodeInfo)
	s.api("GET /v1/node/{id}/allocations", ownNodeOrRead(), s.nodeAllocations)
	for _, method := range []string{"PUT", "POST"} {
		s.handle(method+" /v1/node/register", nodeRegistration(), s.leaderOnly(s.wrap(s.nodeRegister)))
		s.handle(method+" /v1/node/{id}/heartbeat", ownNode(), s.leaderOnly(s.wrap(s.nodeHeartbeat)))
	}
	s.write("/v1/node/{id}/eligibility", nodeWrite, s.nodeEligibility)
	s.write("/v1/node/{id}/drain", nodeWrite, s.nodeDrain)
	s.write("/v1/node/{id}/purge", nodeWrite, s.nodePurge)
}

func (s *Server) serviceRoutes() {
	q := queryNS
	s.api("GET /v1/services", nsCap(acl.CapReadJob, q), s.servicesList)
	s.api("GET /v1/service/{name}", nsCap(acl.CapReadJob, q), s.serviceGet)
	s.api("DELETE /v1/service/{name}/{id}", nsCap(acl.CapSubmitJob, q), s.serviceDelete)
	s.write("/v1/services/register", serviceWriter(), s.servicesRegister)
	s.write("/v1/services/deregister", serviceWriter(), s.servicesDeregister)
	s.api("GET /v1/services/node/{id}", ownNodeOrRead(), s.servicesByNode)
	s.api("GET /v1/services/instances", nsCap(acl.CapReadJob, q), s.servicesInstances)
}

func (s *Server) aclRoutes() {
	s.write("/v1/acl/bootstrap", openRoute(), s.aclBootstrap)
	s.api("GET /v1/acl/policies", anyToken(), s.aclPolicies)
	s.api("GET /v1/acl/policy/{name}", policyHolderOrManagement(), s.aclPolicyGet)
	s.write("/v1/acl/policy/{name}", management(), s.aclPolicyPut)
	s.api("DELETE /v1/acl/policy/{name}", management(), s.aclPolicyDelete)
	s.api("GET /v1/acl/tokens", management(), s.aclTokens)
	s.write("/v1/acl/token", management(), s.aclTokenCreate)
	s.api("GET /v1/acl/token/self", anyToken(), s.aclTokenSelf)
	s.api("GET /v1/acl/token/{accessor}", ownTokenOrManagement(), s.aclTokenGet)
	s.write("/v1/acl/token/{accessor}", management(), s.aclTokenUpdate)
	s.api("DELETE /v1/acl/token/{accessor}", management(), s.aclTokenDelete)
}
