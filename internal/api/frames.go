package api

// The wire frames of the exec and log streams. They are defined here once:
// the node (internal/client) writes and reads them with these types, and
// this client speaks the other end with the same ones.

// TerminalSize is a terminal's size in characters.
type TerminalSize struct {
	Height int `json:"height"`
	Width  int `json:"width"`
}

// ExecIO is one stream operation of an exec frame: data (base64 on the
// wire) or the stream's close (Nomad's ExecStreamingIOOperation).
type ExecIO struct {
	Data  []byte `json:"data,omitempty"`
	Close bool   `json:"close,omitempty"`
}

// ExecInput is a frame to the node: stdin or a terminal size; an empty
// frame is a heartbeat.
type ExecInput struct {
	Stdin   *ExecIO       `json:"stdin,omitempty"`
	TTYSize *TerminalSize `json:"tty_size,omitempty"`
}

// ExecExit is the result of an exited command.
type ExecExit struct {
	ExitCode int `json:"exit_code"`
}

// ExecOutput is a frame from the node: stdout, stderr, or the command's
// exit (the last frame).
type ExecOutput struct {
	Stdout *ExecIO   `json:"stdout,omitempty"`
	Stderr *ExecIO   `json:"stderr,omitempty"`
	Exited bool      `json:"exited,omitempty"`
	Result *ExecExit `json:"result,omitempty"`
}

// LogFrame is one chunk of a task's log stream, as Nomad's log API sends
// it; a frame with no data and no file is a heartbeat.
type LogFrame struct {
	Offset    int64  `json:",omitempty"`
	Data      []byte `json:",omitempty"`
	File      string `json:",omitempty"`
	FileEvent string `json:",omitempty"`
}
