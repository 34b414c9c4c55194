package client

// authenticate makes every call to the servers carry the node's secret
// (which identifies the node once it registered) and token, the ACL token
// of the client's configuration (needed, with ACLs on, to register a new
// node).
func (s *servers) authenticate(token, nodeSecret string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	for i, c := range s.clients {
		s.clients[i] = c.WithToken(token).WithNodeSecret(nodeSecret)
	}
}
