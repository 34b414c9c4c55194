package api

import (
	"net/http"
	"net/url"

	"github.com/wharf-project/wharf/internal/structs"
)

// Services is the service catalog part of the API: Nomad's /v1/services
// and /v1/service/:name, and wharf's register/deregister endpoints that
// client agents write through.
type Services struct{ c *Client }

// Services returns the service catalog endpoints.
func (c *Client) Services() *Services { return &Services{c: c} }

// List returns the services of every namespace with their tags (GET
// /v1/services).
func (s *Services) List(q *QueryOptions) ([]*structs.ServiceRegistrationListStub, *QueryMeta, error) {
	var out []*structs.ServiceRegistrationListStub
	meta, err := s.c.query("/v1/services", &out, q)
	return out, meta, err
}

// Get returns the instances of one service (GET /v1/service/:name),
// with their checks.
func (s *Services) Get(name string, q *QueryOptions) ([]*structs.ServiceRegistration, *QueryMeta, error) {
	var out []*structs.ServiceRegistration
	meta, err := s.c.query("/v1/service/"+escape(name), &out, q)
	return out, meta, err
}

// Register creates or replaces registrations (PUT /v1/services/register,
// wharf's own endpoint: client agents write their tasks' instances and
// check results through it).
func (s *Services) Register(regs []*structs.ServiceRegistration) error {
	return s.c.write(http.MethodPut, "/v1/services/register", &structs.ServiceRegisterRequest{Services: regs}, nil, nil, nil)
}

// Deregister removes registrations by ID (PUT /v1/services/deregister).
func (s *Services) Deregister(ids []string) error {
	return s.c.write(http.MethodPut, "/v1/services/deregister", &structs.ServiceDeregisterRequest{IDs: ids}, nil, nil, nil)
}

// Delete removes one registration the way Nomad's API does (DELETE
// /v1/service/:name/:id).
func (s *Services) Delete(name, id string) error {
	return s.c.write(http.MethodDelete, "/v1/service/"+escape(name)+"/"+escape(id), nil, nil, nil, nil)
}

// ByNode returns a node's registrations (GET /v1/services/node/:id,
// wharf's own: a restarted client agent reconciles against it).
func (s *Services) ByNode(nodeID string, q *QueryOptions) ([]*structs.ServiceRegistration, *QueryMeta, error) {
	var out []*structs.ServiceRegistration
	meta, err := s.c.query("/v1/services/node/"+url.PathEscape(nodeID), &out, q)
	return out, meta, err
}

// Instances returns every instance of the query's namespace ("*" for all)
// in one answer (GET /v1/services/instances, wharf's own): the ingress
// follows the whole catalog with it, one blocking query per change.
func (s *Services) Instances(q *QueryOptions) ([]*structs.ServiceRegistration, *QueryMeta, error) {
	var out []*structs.ServiceRegistration
	meta, err := s.c.query("/v1/services/instances", &out, q)
	return out, meta, err
}
