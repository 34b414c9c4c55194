package acl

// AllowServiceReadAny reports whether some catalog service may be read:
// the Consul-shaped lists require it, and show only the services the
// token reads (AllowServiceRead on each).
func (a *ACL) AllowServiceReadAny() bool {
	if a.management {
		return true
	}
	for _, l := range a.services {
		if allowRead(l) {
			return true
		}
	}
	for _, p := range a.prefixes {
		if allowRead(p.level) {
			return true
		}
	}
	return false
}
