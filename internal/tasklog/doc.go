// Package tasklog owns a task's log files: their names (<task>.<type>.N in
// an allocation's logs directory, the layout of Nomad's task logs), how
// they are written and rotated (Rotator, used by the task supervisor), and
// how they are read back and streamed as Nomad's log API does (Stream):
// JSON frames {"File", "Offset", "Data"} or plain bytes, from the start or
// the end, optionally following new output. A follow ends once the task
// is dead and everything it wrote has been sent. Its frames are
// internal/api's LogFrame, the type the API client decodes.
//
// tasklog must never import internal/client, internal/server,
// internal/state, internal/drivers or internal/supervise: the supervisor
// and the node's log endpoint import it, not the other way round.
package tasklog
