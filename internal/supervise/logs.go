package supervise

import (
	"io"
	"os"
	"sync"
	"time"

	"github.com/wharf-project/wharf/internal/tasklog"
)

// taskLogs carries the task's stdout and stderr from pipes into rotated
// files (tasklog names, writes and rotates them). The supervisor holds
// the read ends; the task (and whatever it forks) the write ends.
type taskLogs struct {
	stdout, stderr *tasklog.Rotator
	outR, outW     *os.File
	errR, errW     *os.File
	copying        sync.WaitGroup
}

// openLogs opens the rotated files and the pipes of a task.
func openLogs(spec *Spec) (*taskLogs, error) {
	l := &taskLogs{}
	var err error
	if l.stdout, err = tasklog.NewRotator(spec.LogDir, spec.LogName, tasklog.Stdout, spec.LogMaxFiles, spec.LogMaxBytes); err != nil {
		return nil, err
	}
	if l.stderr, err = tasklog.NewRotator(spec.LogDir, spec.LogName, tasklog.Stderr, spec.LogMaxFiles, spec.LogMaxBytes); err != nil {
		l.close()
		return nil, err
	}
	if l.outR, l.outW, err = os.Pipe(); err != nil {
		l.close()
		return nil, err
	}
	if l.errR, l.errW, err = os.Pipe(); err != nil {
		l.close()
		return nil, err
	}
	return l, nil
}

// startCopy closes the supervisor's write ends (the task holds its own)
// and copies both pipes into their files.
func (l *taskLogs) startCopy() {
	l.outW.Close()
	l.errW.Close()
	l.outW, l.errW = nil, nil
	for _, c := range []struct {
		r *os.File
		w io.Writer
	}{{l.outR, l.stdout}, {l.errR, l.stderr}} {
		l.copying.Add(1)
		go func() {
			defer l.copying.Done()
			_, _ = io.Copy(c.w, c.r)
		}()
	}
}

// drain waits until the task's output is copied (every writer has exited)
// or timeout passes (a process that escaped the tree still holds a pipe),
// then closes everything.
func (l *taskLogs) drain(timeout time.Duration) {
	copied := make(chan struct{})
	go func() {
		l.copying.Wait()
		close(copied)
	}()
	select {
	case <-copied:
	case <-time.After(timeout):
	}
	l.close()
	<-copied
}

// close closes the pipes and files that are open.
func (l *taskLogs) close() {
	for _, f := range []*os.File{l.outR, l.outW, l.errR, l.errW} {
		if f != nil {
			f.Close()
		}
	}
	for _, r := range []*tasklog.Rotator{l.stdout, l.stderr} {
		if r != nil {
			r.Close()
		}
	}
}
