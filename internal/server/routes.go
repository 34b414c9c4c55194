package server

// routes registers every API path. Paths and methods are Nomad's where
// Nomad has the concept; node registration, heartbeats and allocation
// updates are wharf's own (Nomad clients use RPC for them).
func (s *Server) routes() {
	m := s.mux
	m.HandleFunc("GET /v1/jobs", s.wrap(s.jobsList))
	m.HandleFunc("PUT /v1/jobs", s.wrap(s.jobRegister))
	m.HandleFunc("POST /v1/jobs", s.wrap(s.jobRegister))
	m.HandleFunc("POST /v1/jobs/parse", s.wrap(s.jobsParse))
	m.HandleFunc("PUT /v1/jobs/parse", s.wrap(s.jobsParse))
	m.HandleFunc("PUT /v1/validate/job", s.wrap(s.jobValidate))
	m.HandleFunc("POST /v1/validate/job", s.wrap(s.jobValidate))
	m.HandleFunc("GET /v1/job/{id}", s.wrap(s.jobInfo))
	m.HandleFunc("PUT /v1/job/{id}", s.wrap(s.jobRegister))
	m.HandleFunc("POST /v1/job/{id}", s.wrap(s.jobRegister))
	m.HandleFunc("DELETE /v1/job/{id}", s.wrap(s.jobDeregister))
	m.HandleFunc("GET /v1/job/{id}/allocations", s.wrap(s.jobAllocations))
	m.HandleFunc("GET /v1/job/{id}/evaluations", s.wrap(s.jobEvaluations))
	m.HandleFunc("GET /v1/job/{id}/versions", s.wrap(s.jobVersions))
	m.HandleFunc("GET /v1/job/{id}/summary", s.wrap(s.jobSummary))
	m.HandleFunc("PUT /v1/job/{id}/plan", s.wrap(s.jobPlan))
	m.HandleFunc("POST /v1/job/{id}/plan", s.wrap(s.jobPlan))
	m.HandleFunc("GET /v1/job/{id}/scale", s.wrap(s.jobScaleStatus))
	m.HandleFunc("PUT /v1/job/{id}/scale", s.wrap(s.jobScale))
	m.HandleFunc("POST /v1/job/{id}/scale", s.wrap(s.jobScale))
	m.HandleFunc("PUT /v1/job/{id}/evaluate", s.wrap(s.jobEvaluate))
	m.HandleFunc("POST /v1/job/{id}/evaluate", s.wrap(s.jobEvaluate))

	m.HandleFunc("GET /v1/allocations", s.wrap(s.allocsList))
	m.HandleFunc("GET /v1/allocation/{id}", s.wrap(s.allocInfo))
	m.HandleFunc("PUT /v1/allocation/{id}/stop", s.wrap(s.allocStop))
	m.HandleFunc("POST /v1/allocation/{id}/stop", s.wrap(s.allocStop))
	m.HandleFunc("PUT /v1/allocations/update", s.wrap(s.allocsUpdate))
	m.HandleFunc("POST /v1/allocations/update", s.wrap(s.allocsUpdate))

	m.HandleFunc("GET /v1/evaluations", s.wrap(s.evalsList))
	m.HandleFunc("GET /v1/evaluation/{id}", s.wrap(s.evalInfo))
	m.HandleFunc("GET /v1/evaluation/{id}/allocations", s.wrap(s.evalAllocations))

	m.HandleFunc("GET /v1/nodes", s.wrap(s.nodesList))
	m.HandleFunc("GET /v1/node/{id}", s.wrap(s.nodeInfo))
	m.HandleFunc("GET /v1/node/{id}/allocations", s.wrap(s.nodeAllocations))
	m.HandleFunc("PUT /v1/node/register", s.leaderOnly(s.wrap(s.nodeRegister)))
	m.HandleFunc("POST /v1/node/register", s.leaderOnly(s.wrap(s.nodeRegister)))
	m.HandleFunc("PUT /v1/node/{id}/heartbeat", s.leaderOnly(s.wrap(s.nodeHeartbeat)))
	m.HandleFunc("POST /v1/node/{id}/heartbeat", s.leaderOnly(s.wrap(s.nodeHeartbeat)))
	m.HandleFunc("PUT /v1/node/{id}/eligibility", s.wrap(s.nodeEligibility))
	m.HandleFunc("POST /v1/node/{id}/eligibility", s.wrap(s.nodeEligibility))
	m.HandleFunc("PUT /v1/node/{id}/drain", s.wrap(s.nodeDrain))
	m.HandleFunc("POST /v1/node/{id}/drain", s.wrap(s.nodeDrain))

	m.HandleFunc("GET /v1/services", s.wrap(s.servicesList))
	m.HandleFunc("GET /v1/service/{name}", s.wrap(s.serviceGet))
	m.HandleFunc("DELETE /v1/service/{name}/{id}", s.wrap(s.serviceDelete))
	m.HandleFunc("PUT /v1/services/register", s.wrap(s.servicesRegister))
	m.HandleFunc("POST /v1/services/register", s.wrap(s.servicesRegister))
	m.HandleFunc("PUT /v1/services/deregister", s.wrap(s.servicesDeregister))
	m.HandleFunc("POST /v1/services/deregister", s.wrap(s.servicesDeregister))
	m.HandleFunc("GET /v1/services/node/{id}", s.wrap(s.servicesByNode))
	m.HandleFunc("GET /v1/services/instances", s.wrap(s.servicesInstances))

	m.HandleFunc("GET /v1/client/fs/logs/{alloc}", s.clientAllocRequest)
	m.HandleFunc("GET /v1/client/allocation/{alloc}/exec", s.clientAllocRequest)
	m.HandleFunc("GET /v1/client/allocation/{alloc}/stats", s.clientAllocRequest)
	for _, method := range []string{"PUT", "POST"} {
		m.HandleFunc(method+" /v1/client/allocation/{alloc}/restart", s.clientAllocRequest)
		m.HandleFunc(method+" /v1/client/allocation/{alloc}/signal", s.clientAllocRequest)
	}

	m.HandleFunc("GET /v1/status/leader", s.wrap(s.statusLeader))
	m.HandleFunc("GET /v1/status/peers", s.wrap(s.statusPeers))
	m.HandleFunc("GET /v1/regions", s.wrap(s.regions))
	m.HandleFunc("GET /v1/agent/self", s.wrap(s.agentSelf))
	m.HandleFunc("/v1/", s.wrap(s.notFound))
}
