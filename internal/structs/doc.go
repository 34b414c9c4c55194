// Package structs holds wharf's domain types: jobs, task groups, tasks,
// allocations, evaluations, nodes and plans. JSON field names follow Nomad's
// HTTP API wherever Nomad has the same concept, so Nomad's Go client and tools
// read and write them unchanged.
//
// structs must never import another wharf package: every other package
// imports it.
package structs
