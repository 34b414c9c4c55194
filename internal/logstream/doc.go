// Package logstream streams a task's rotated log files (<task>.<type>.N in
// an allocation's logs directory) as Nomad's log API does: JSON frames
// {"File", "Offset", "Data"} or plain bytes, from the start or the end,
// optionally following new output. A follow ends once the task is dead and
// everything it wrote has been sent.
//
// Its frames are internal/api's LogFrame, the type the API client decodes.
//
// logstream must never import client, server, drivers or supervise.
package logstream
