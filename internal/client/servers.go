package client

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"strings"
	"sync"
	"time"

	"github.com/wharf-project/wharf/internal/api"
	"github.com/wharf-project/wharf/internal/backoff"
)

// requestTimeout bounds one request to one server (blocking queries set
// their own, longer deadline).
const requestTimeout = 30 * time.Second

// errNoServer is matched by the error of a call no server answered.
var errNoServer = errors.New("no server reachable")

// noServerError is a call no server answered; Last is the last failure.
type noServerError struct {
	addrs string
	last  error
}

func (e *noServerError) Error() string {
	return fmt.Sprintf("no server reachable at %s: %v", e.addrs, e.last)
}

func (e *noServerError) Is(target error) bool { return target == errNoServer }

func (e *noServerError) Unwrap() error { return e.last }

// servers is the list of servers the client talks to. Calls go to the
// server that answered last and fail over to the next ones in turn; a
// server that did not answer is tried again no sooner than
// serverRetryInterval after, by any call.
type servers struct {
	log      *slog.Logger
	clients  []*api.Client
	addrs    string
	min, max time.Duration
	clock    clock

	mu  sync.Mutex
	cur int
	// failedAt is when each server last did not answer (zero: it did).
	failedAt []time.Time
}

func newServers(addrs []string, hc *http.Client, region string, log *slog.Logger, min, max time.Duration) (*servers, error) {
	s := &servers{log: log, min: min, max: max, clock: realClock{}, failedAt: make([]time.Time, len(addrs))}
	for _, a := range addrs {
		c, err := api.NewClient(&api.Config{Address: a, HTTPClient: hc, Region: region})
		if err != nil {
			return nil, fmt.Errorf("server address %q: %w", a, err)
		}
		s.clients = append(s.clients, c)
	}
	s.addrs = strings.Join(addrs, ", ")
	return s, nil
}

// unreachable reports whether err means the server did not answer the
// request (network error, or a 5xx such as "no leader"), so another
// server should be tried. Any other answer is the cluster's.
func unreachable(err error) bool {
	if err == nil {
		return false
	}
	var ae *api.Error
	if errors.As(err, &ae) {
		return ae.StatusCode >= 500 || ae.StatusCode == http.StatusTooManyRequests
	}
	return true
}

// do calls fn with each server in turn, starting with the last that
// answered, until one answers. The error wraps errNoServer when none did.
func (s *servers) do(ctx context.Context, fn func(*api.Client) error) error {
	return s.doWithin(ctx, requestTimeout, fn)
}

// doWithin is do with each server given at most timeout to answer.
func (s *servers) doWithin(ctx context.Context, timeout time.Duration, fn func(*api.Client) error) error {
	s.mu.Lock()
	start := s.cur
	s.mu.Unlock()
	var last error
	for i := range s.clients {
		idx := (start + i) % len(s.clients)
		if !sleepOn(ctx, s.clock, s.untilRetry(idx)) {
			return ctx.Err()
		}
		rctx, cancel := context.WithTimeout(ctx, timeout)
		err := fn(s.clients[idx].WithContext(rctx))
		cancel()
		if !unreachable(err) {
			s.mu.Lock()
			s.cur, s.failedAt[idx] = idx, time.Time{}
			s.mu.Unlock()
			return err
		}
		if ctx.Err() != nil {
			return ctx.Err()
		}
		s.mu.Lock()
		s.failedAt[idx] = s.clock.Now()
		s.mu.Unlock()
		last = err
	}
	return &noServerError{addrs: s.addrs, last: last}
}

// untilRetry is how long server idx is still left alone after it last
// did not answer.
func (s *servers) untilRetry(idx int) time.Duration {
	s.mu.Lock()
	at := s.failedAt[idx]
	s.mu.Unlock()
	if at.IsZero() {
		return 0
	}
	return serverRetryInterval - s.clock.Now().Sub(at)
}

// retry is do until a server answers or ctx ends, backing off with
// jitter between rounds.
func (s *servers) retry(ctx context.Context, what string, fn func(*api.Client) error) error {
	retry := backoff.Backoff{Min: s.min, Max: s.max}
	for {
		err := s.do(ctx, fn)
		if !errors.Is(err, errNoServer) {
			return err
		}
		wait := retry.Next()
		s.log.Warn(fmt.Sprintf("no server reachable at %s, retrying in %v", s.addrs, wait.Round(time.Millisecond)),
			"op", what, "err", errors.Unwrap(err))
		if !sleepOn(ctx, s.clock, wait) {
			return ctx.Err()
		}
	}
}

// sleep waits d; false when ctx ended first.
func sleep(ctx context.Context, d time.Duration) bool {
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-t.C:
		return true
	case <-ctx.Done():
		return false
	}
}
