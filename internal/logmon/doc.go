// Package logmon lets clients follow an agent's log as it is written
// (Nomad's /v1/agent/monitor): a slog handler that passes every record to
// the agent's own handler and mirrors it, at each follower's level, to
// the followers. A follower that does not keep up loses lines (it is told
// how many), never slows the agent.
//
// logmon must never import another wharf package.
package logmon
