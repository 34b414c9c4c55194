// Package acl is wharf's access control: Nomad's policy rule language
// (namespace rules with a policy and capabilities, node, agent, operator,
// plugin and quota rules) plus Consul-style service and service_prefix
// rules for the service catalog, and the ACL object a token's policies
// compile into, which answers every permission question the API asks.
//
// acl must never import any other wharf package except internal/structs; it
// depends only on structs, the HCL parser and the standard library.
package acl
