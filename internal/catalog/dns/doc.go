// Package dns answers DNS queries for the service catalog the way
// Consul's DNS interface does, over UDP and TCP:
//
//	<name>.service[.<dc>].<domain>          A/AAAA of passing instances
//	<tag>.<name>.service[.<dc>].<domain>    the same, with tag
//	_<name>._<tag|tcp>.service[.<dc>].<domain> (RFC 2782) SRV
//	<node>.node[.<dc>].<domain>             A/AAAA of a node
//	<hex ip>.addr[.<dc>].<domain>           A/AAAA (SRV targets)
//
// SRV answers carry the instances' ports and targets with their address
// records in the additional section. The domain is "wharf." by default;
// aliases (e.g. "consul.") are answered in the domain asked. Answers are
// shuffled, unknown names get NXDOMAIN with the SOA in the authority
// section, known names without records of the asked type NOERROR with the
// SOA, and UDP answers are cut to the client's EDNS0 buffer size (512
// bytes without EDNS0) with TC set.
//
// dns must never import internal/server, internal/scheduler,
// internal/client or internal/api.
package dns
