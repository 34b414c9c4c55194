package server

import (
	"net/http"
	"net/http/httputil"
	"net/url"
	"sync"

	"github.com/wharf-project/wharf/internal/structs"
)

// localClient is the client agent running in the same process, if any:
// requests for its allocations are served without a network hop.
type localClient struct {
	mu      sync.RWMutex
	nodeID  string
	handler http.Handler
	// transport reaches other nodes over TLS when set; leaderTransport
	// reaches the leader (forwarded node writes).
	transport, leaderTransport http.RoundTripper
}

// SetLeaderTransport makes writes forwarded to the leader go over
// https:// through rt.
func (s *Server) SetLeaderTransport(rt http.RoundTripper) {
	s.local.mu.Lock()
	defer s.local.mu.Unlock()
	s.local.leaderTransport = rt
}

// leaderTarget is the URL and transport of the leader at addr.
func (s *Server) leaderTarget(addr string) (*url.URL, http.RoundTripper) {
	s.local.mu.RLock()
	rt := s.local.leaderTransport
	s.local.mu.RUnlock()
	if rt == nil {
		return &url.URL{Scheme: "http", Host: addr}, nil
	}
	return &url.URL{Scheme: "https", Host: addr}, rt
}

// SetClientTransport makes requests for allocations on other nodes go to
// them over https:// through rt (the agents' mutual TLS).
func (s *Server) SetClientTransport(rt http.RoundTripper) {
	s.local.mu.Lock()
	defer s.local.mu.Unlock()
	s.local.transport = rt
}

// SetLocalClient routes /v1/client/ requests for allocations on nodeID to
// h, the client agent in this process.
func (s *Server) SetLocalClient(nodeID string, h http.Handler) {
	s.local.mu.Lock()
	defer s.local.mu.Unlock()
	s.local.nodeID, s.local.handler = nodeID, h
}

// clientAllocRequest serves a client endpoint about one allocation
// (/v1/client/fs/logs/:alloc, /v1/client/allocation/:alloc/restart and
// /signal; the route names the allocation {alloc}): locally when the allocation runs on this
// process's node, else by proxying to the node's advertised HTTP address.
func (s *Server) clientAllocRequest(w http.ResponseWriter, r *http.Request) {
	id := r.PathValue("alloc")
	alloc := s.store.Snapshot().Alloc(id)
	if alloc == nil {
		s.setMeta(w, 0)
		s.writeError(w, r, errorf(http.StatusNotFound, "allocation %q not found", id))
		return
	}
	s.local.mu.RLock()
	nodeID, h, rt := s.local.nodeID, s.local.handler, s.local.transport
	s.local.mu.RUnlock()
	if h != nil && alloc.NodeID == nodeID {
		h.ServeHTTP(w, r)
		return
	}
	node := s.store.Snapshot().Node(alloc.NodeID)
	if err := proxyable(node, r); err != nil {
		s.setMeta(w, 0)
		s.writeError(w, r, err)
		return
	}
	r.Header.Set("X-Wharf-Forwarded", "1")
	target := &url.URL{Scheme: "http", Host: node.HTTPAddr}
	if rt != nil {
		target.Scheme = "https"
	}
	proxy := httputil.NewSingleHostReverseProxy(target)
	proxy.Transport = rt
	proxy.FlushInterval = -1 // stream log frames as they come
	proxy.ServeHTTP(w, r)
}

// proxyable says why a request cannot be sent on to node, if it cannot.
func proxyable(node *structs.Node, r *http.Request) error {
	switch {
	case node == nil:
		return errorf(http.StatusNotFound, "the allocation's node is unknown")
	case node.Status == structs.NodeStatusDown:
		return errorf(http.StatusServiceUnavailable, "node %s (%s) is down", node.Name, structs.ShortID(node.ID))
	case node.HTTPAddr == "":
		return errorf(http.StatusServiceUnavailable, "node %s does not advertise an HTTP address", node.Name)
	case r.Header.Get("X-Wharf-Forwarded") != "":
		return errorf(http.StatusBadGateway, "node %s does not serve allocation requests at %s", node.Name, node.HTTPAddr)
	}
	return nil
}
