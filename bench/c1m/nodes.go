//go:build linux

package main

import (
	"context"
	"fmt"
	"net/http"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/wharf-project/wharf/internal/api"
	"github.com/wharf-project/wharf/internal/structs"
	"github.com/wharf-project/wharf/internal/testkit/fakenode"
)

// counting is a transport that counts the heartbeats it sends.
type counting struct {
	next       http.RoundTripper
	heartbeats atomic.Int64
}

func (c *counting) RoundTrip(r *http.Request) (*http.Response, error) {
	if strings.HasSuffix(r.URL.Path, "/heartbeat") {
		c.heartbeats.Add(1)
	}
	return c.next.RoundTrip(r)
}

// fleet is the simulated client nodes, spread over the servers.
type fleet struct {
	runners []*fakenode.Runner
	byID    map[string]*fakenode.Runner
	count   *counting
}

// startFleet registers n fake nodes, node i against server i mod 3, each
// heartbeating to the server it registered with.
func startFleet(ctx context.Context, servers []*server, n, workers int) (*fleet, error) {
	tr := http.DefaultTransport.(*http.Transport).Clone()
	tr.MaxIdleConns, tr.MaxIdleConnsPerHost, tr.MaxConnsPerHost = 1024, 256, 256
	f := &fleet{count: &counting{next: tr}, byID: map[string]*fakenode.Runner{}}
	hc := &http.Client{Transport: f.count, Timeout: 30 * time.Second}
	var clients []*api.Client
	for _, s := range servers {
		c, err := api.NewClient(&api.Config{Address: s.addr, HTTPClient: hc})
		if err != nil {
			return nil, err
		}
		clients = append(clients, c)
	}
	f.runners = make([]*fakenode.Runner, n)
	var next atomic.Int64
	var wg sync.WaitGroup
	errs := make(chan error, workers)
	for range workers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for {
				i := int(next.Add(1) - 1)
				if i >= n || ctx.Err() != nil {
					return
				}
				node := fakenode.NewNode(fmt.Sprintf("sim-%05d", i), "dc1", "raw_exec")
				r, err := fakenode.Start(ctx, clients[i%len(clients)], node, fakenode.Options{})
				if err != nil {
					errs <- err
					return
				}
				f.runners[i] = r
			}
		}()
	}
	wg.Wait()
	close(errs)
	if err := <-errs; err != nil {
		f.stop()
		return nil, err
	}
	if ctx.Err() != nil {
		f.stop()
		return nil, ctx.Err()
	}
	for _, r := range f.runners {
		f.byID[r.Node.ID] = r
	}
	return f, nil
}

// stop stops every node's heartbeats.
func (f *fleet) stop() {
	var wg sync.WaitGroup
	for _, r := range f.runners {
		if r != nil {
			wg.Add(1)
			go func() { defer wg.Done(); r.Stop() }()
		}
	}
	wg.Wait()
}

// report sends, for each node, one UpdateAllocs with its allocations in
// allocs set to status (running or complete), from workers goroutines,
// each with the node's own secret. It returns the requests sent and the
// allocations reported.
func (f *fleet) report(ctx context.Context, allocs []*structs.AllocListStub, status string, workers int) (int, int, error) {
	desc := map[string]string{structs.AllocClientStatusRunning: "Tasks are running",
		structs.AllocClientStatusComplete: "All tasks have completed"}[status]
	byNode := map[string][]*structs.Allocation{}
	n := 0
	for _, a := range allocs {
		if status == structs.AllocClientStatusRunning && (a.DesiredStatus != structs.AllocDesiredStatusRun || a.ClientStatus != structs.AllocClientStatusPending) {
			continue
		}
		if status == structs.AllocClientStatusComplete && (a.DesiredStatus == structs.AllocDesiredStatusRun ||
			a.ClientStatus == structs.AllocClientStatusComplete || a.ClientStatus == structs.AllocClientStatusFailed || a.ClientStatus == structs.AllocClientStatusLost) {
			continue
		}
		byNode[a.NodeID] = append(byNode[a.NodeID], &structs.Allocation{ID: a.ID, ClientStatus: status, ClientDescription: desc})
		n++
	}
	type batch struct {
		r   *fakenode.Runner
		ups []*structs.Allocation
	}
	work := make(chan batch)
	var sent, failed atomic.Int64
	var firstErr atomic.Value
	var wg sync.WaitGroup
	for range workers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for b := range work {
				if err := updateWithRetry(ctx, b.r, b.ups); err != nil {
					failed.Add(1)
					firstErr.CompareAndSwap(nil, err)
					continue
				}
				sent.Add(1)
			}
		}()
	}
	for id, ups := range byNode {
		r := f.byID[id]
		if r == nil {
			continue
		}
		select {
		case work <- batch{r, ups}:
		case <-ctx.Done():
		}
		if ctx.Err() != nil {
			break
		}
	}
	close(work)
	wg.Wait()
	if failed.Load() > 0 {
		return int(sent.Load()), n, fmt.Errorf("%d of %d allocation reports failed, first: %v", failed.Load(), failed.Load()+sent.Load(), firstErr.Load())
	}
	return int(sent.Load()), n, ctx.Err()
}

// reportAttempts bounds how often one node's report is sent: a client
// agent retries a refused update (a 503 while the servers are busy or
// electing), and an allocation whose update is lost stays running on the
// servers, holding its job back from garbage collection.
const reportAttempts = 6

// reportRetryWait is the first wait before a report is sent again; a
// variable so tests can shorten it.
var reportRetryWait = 250 * time.Millisecond

// updateWithRetry sends one node's UpdateAllocs, retrying a failure with
// a doubling wait from reportRetryWait.
func updateWithRetry(ctx context.Context, r *fakenode.Runner, ups []*structs.Allocation) error {
	wait := reportRetryWait
	var err error
	for range reportAttempts {
		if err = r.Client().Allocations().UpdateAllocs(ups); err == nil {
			return nil
		}
		select {
		case <-ctx.Done():
			return ctx.Err()
		case <-time.After(wait):
		}
		wait *= 2
	}
	return err
}
