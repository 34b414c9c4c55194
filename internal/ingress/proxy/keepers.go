package proxy

// serverKeeper is state an engine keeps per server URL, such as the fast
// path's idle connections: the core knows no engine, only that what is
// kept for a server that left the route table must go.
type serverKeeper interface {
	// prune drops what is kept for servers not in live (nil: all).
	prune(live map[string]bool)
}

// keep registers k: Update prunes it to the table's servers, Close
// empties it.
func (p *Proxy) keep(k serverKeeper) {
	p.keepMu.Lock()
	defer p.keepMu.Unlock()
	if p.keepers == nil {
		p.keepers = map[serverKeeper]struct{}{}
	}
	p.keepers[k] = struct{}{}
}

// unkeep unregisters k and empties it.
func (p *Proxy) unkeep(k serverKeeper) {
	p.keepMu.Lock()
	delete(p.keepers, k)
	p.keepMu.Unlock()
	k.prune(nil)
}

// pruneKept prunes every keeper to the servers in live.
func (p *Proxy) pruneKept(live map[string]bool) {
	p.keepMu.Lock()
	kept := make([]serverKeeper, 0, len(p.keepers))
	for k := range p.keepers {
		kept = append(kept, k)
	}
	p.keepMu.Unlock()
	for _, k := range kept {
		k.prune(live)
	}
}
