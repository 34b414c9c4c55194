// Package services is the client side of wharf's service catalog: it turns
// the service blocks of a running task into structs.ServiceRegistration
// records, runs their checks (tcp, http, script) on this node, writes
// registrations to the servers only when their content changes (batched,
// retried with backoff, refreshed slowly against what the servers hold),
// reconciles the node's registrations after an agent restart, and restarts
// tasks whose checks stay critical (check_restart).
//
// Group-level services are registered by one task of the group, their
// owner: the task the service names (service.task), else the task of its
// first script check, else the group's leader task, else its first task.
// Their ID uses "group-<group>" in place of the task name and their Task
// field is empty.
//
// services talks to the servers only through the Catalog interface (the
// client agent adapts internal/api to it). It must never import
// internal/server, internal/scheduler, internal/state (the cluster store),
// internal/api or internal/client/taskrunner.
package services
