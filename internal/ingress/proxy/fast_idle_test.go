package proxy

import (
	"bufio"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"runtime"
	"testing"
	"time"

	"github.com/wharf-project/wharf/internal/ingress/config"
)

// TestFastIdleGoroutineGivesBuffersBack: a connection served by a
// goroutine that stays idle past idleGrace gives its buffers back while
// it waits (200 of them: megabytes), is served again when its next
// request comes, even split, and is closed at the idle timeout, not
// before. The grace and the idle timeout are margins on the test's own
// pace (200 clients dialled one after the other): an attempt the machine
// was too slow for, the server being blameless, runs again with margins
// three times as long.
func TestFastIdleGoroutineGivesBuffersBack(t *testing.T) {
	back := namedBackend(t, "A")
	var why error
	for scale := time.Duration(1); scale <= 9; scale *= 3 {
		slow, err := fastIdleAttempt(t, back.URL, 400*time.Millisecond*scale, 2*time.Second*scale)
		if err == nil {
			return
		}
		if !slow {
			t.Fatal(err)
		}
		why = err
		t.Logf("margins ×%d too short for this machine: %v", scale, err)
	}
	t.Fatalf("too slow even with the longest margins: %v", why)
}

// idleClient is a raw client connection of fastIdleAttempt. sent is when
// its last request began (the server's idle clock starts after it),
// before when the one before began, answered when the last answer was
// read (the clock started before).
type idleClient struct {
	c                      net.Conn
	br                     *bufio.Reader
	before, sent, answered time.Time
}

// closable is the earliest the server may close the connection at the
// idle timeout: setDeadline leaves a deadline less than a second off
// alone, so the one of the request before may stand.
func (cl *idleClient) closable(idle time.Duration) time.Time {
	if cl.before.IsZero() {
		return cl.sent.Add(idle)
	}
	return cl.before.Add(idle)
}

// fastIdleAttempt runs TestFastIdleGoroutineGivesBuffersBack once with
// the given grace and idle timeout. slow says err comes from a margin
// the test itself overran, not from the server.
func fastIdleAttempt(t *testing.T, backURL string, grace, idle time.Duration) (slow bool, err error) {
	p := New(Options{Logger: discardLogger()})
	p.Update(cfg([]*config.Router{router("all", "PathPrefix(`/`)", "s")}, []*config.Service{svc("s", backURL)}))
	l := mustListen(t, "127.0.0.1:0")
	fs := p.NewFastServer("web", ServerOptions{Logger: discardLogger(), IdleTimeout: idle,
		FastHTTP1: true}) // goroutines, whatever the mode
	fs.idleGrace = grace
	go fs.Serve(l)
	defer fs.Close()
	// ask sends a request in pieces and reads its answer; an error on a
	// connection left longer than idle since its last answer is the
	// test's pace, not the server's.
	ask := func(cl *idleClient, pieces ...string) (slow bool, err error) {
		start := time.Now()
		cl.c.SetDeadline(start.Add(idle + 10*time.Second))
		late := !cl.sent.IsZero() && !start.Before(cl.closable(idle))
		cl.before, cl.sent = cl.sent, start
		for i, s := range pieces {
			if i > 0 {
				time.Sleep(20 * time.Millisecond)
			}
			io.WriteString(cl.c, s)
		}
		if resp, body, err := readResp(t, cl.br, http.MethodGet); err != nil || resp.StatusCode != 200 || body != "A" {
			return late, fmt.Errorf("answer after %v idle: %v %q", start.Sub(cl.answered), err, body)
		}
		cl.answered = time.Now()
		return false, nil
	}
	req := "GET / HTTP/1.1\r\nHost: x\r\n\r\n"
	clients := make([]*idleClient, 200)
	for i := range clients {
		c, br := dialRaw(t, l.Addr().String())
		defer c.Close()
		clients[i] = &idleClient{c: c, br: br}
		if slow, err := ask(clients[i], req); err != nil {
			return slow, err
		}
	}
	heap := func() uint64 {
		var m runtime.MemStats
		runtime.GC()
		runtime.GC() // and the pools' victims
		runtime.ReadMemStats(&m)
		return m.HeapInuse
	}
	holding := heap()
	if graceEnd := clients[0].sent.Add(grace); !time.Now().Before(graceEnd) {
		return true, fmt.Errorf("200 connections took %v to set up and measure, longer than the grace %v",
			time.Since(clients[0].sent), grace)
	}
	// Past idleGrace the goroutines give their buffers back; on a busy
	// machine they may wake late, so wait for it, but not up to the idle
	// timeout (closed connections give their buffers back too).
	idleEnd := clients[0].sent.Add(idle)
	for {
		freed := int64(holding) - int64(heap())
		if !time.Now().Before(idleEnd) {
			return true, fmt.Errorf("200 connections idle past the grace %v freed %d bytes before the idle timeout %v, want their buffers (about %d)",
				grace, freed, idle, 200*16<<10)
		}
		if freed >= 200*8<<10 {
			break
		}
		time.Sleep(grace / 4)
	}
	for _, cl := range clients {
		if slow, err := ask(cl, req); err != nil {
			return slow, err
		}
	}
	// Idle past the grace again, then a request split: the goroutine
	// waits without buffers and takes them back for it.
	time.Sleep(time.Until(clients[0].answered.Add(grace + grace/2)))
	if slow, err := ask(clients[0], "GET / HT", "TP/1.1\r\nHost: x\r\n\r\n"); err != nil {
		return slow, err
	}
	cl := clients[1]
	cl.c.SetReadDeadline(cl.answered.Add(2*idle + 5*time.Second))
	_, err = cl.br.ReadByte()
	closed := time.Now()
	switch {
	case errors.Is(err, os.ErrDeadlineExceeded):
		return false, fmt.Errorf("idle connection still open %v after its answer, idle timeout %v", closed.Sub(cl.answered), idle)
	case err != io.EOF:
		return false, fmt.Errorf("idle connection: %v, want EOF at the idle timeout", err)
	case closed.Before(cl.closable(idle)):
		return false, fmt.Errorf("idle connection closed %v after its request, before the idle timeout %v", closed.Sub(cl.sent), idle)
	}
	return false, nil
}
