//go:build linux

package main

import (
	"context"
	"fmt"
	"sync"
	"sync/atomic"
	"time"

	"github.com/wharf-project/wharf/internal/api"
	"github.com/wharf-project/wharf/internal/structs"
)

// c1mJob is a service job of count instances of a raw_exec task with the
// smallest resource ask, so that each node holds a few hundred.
func c1mJob(id string, count int) *structs.Job {
	return &structs.Job{
		ID: id, Name: id, Type: structs.JobTypeService, Datacenters: []string{"dc1"},
		TaskGroups: []*structs.TaskGroup{{
			Name: "g", Count: count,
			Tasks: []*structs.Task{{
				Name: "t", Driver: "raw_exec", Config: map[string]any{"command": "/bin/sleep", "args": []string{"3600"}},
				Resources: &structs.Resources{CPU: 10, MemoryMB: 10},
			}},
		}},
	}
}

// jobCounts splits allocs into jobs of at most count instances.
func jobCounts(allocs, count int) []int {
	var out []int
	for left := allocs; left > 0; left -= count {
		out = append(out, min(left, count))
	}
	return out
}

// submit registers the jobs, parallel at once, job i through server
// i mod 3, and returns their IDs in order.
func submit(ctx context.Context, servers []*server, counts []int, parallel int) ([]string, error) {
	var clients []*api.Client
	for _, s := range servers {
		c, err := api.NewClient(&api.Config{Address: s.addr, HTTPClient: httpClient})
		if err != nil {
			return nil, err
		}
		clients = append(clients, c.WithContext(ctx))
	}
	ids := make([]string, len(counts))
	var next atomic.Int64
	var wg sync.WaitGroup
	errs := make(chan error, parallel)
	for range parallel {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for {
				i := int(next.Add(1) - 1)
				if i >= len(counts) || ctx.Err() != nil {
					return
				}
				id := fmt.Sprintf("c1m-%04d", i)
				if _, err := clients[i%len(clients)].Jobs().Register(c1mJob(id, counts[i]), nil); err != nil {
					errs <- fmt.Errorf("register %s: %w", id, err)
					return
				}
				ids[i] = id
			}
		}()
	}
	wg.Wait()
	close(errs)
	return ids, <-errs
}

// sample is the placement counter at a time.
type sample struct {
	at     time.Time
	placed float64
}

// watchPlacements samples the allocations placed every interval, from
// each server in turn, until want are placed, the count stops moving for
// stall, or ctx ends.
func watchPlacements(ctx context.Context, servers []*server, want int, interval, stall time.Duration) []sample {
	start := time.Now()
	out := []sample{{start, 0}}
	last := time.Now()
	for {
		select {
		case <-ctx.Done():
			return out
		case <-time.After(interval):
		}
		v, err := placed(servers[len(out)%len(servers)])
		if err != nil {
			continue
		}
		s := sample{time.Now(), v}
		if s.placed > out[len(out)-1].placed {
			last = s.at
		}
		out = append(out, s)
		fmt.Printf("  %6.0fs placed %9.0f  (%.0f/s over the last %s)\n", s.at.Sub(start).Seconds(), s.placed,
			(s.placed-out[len(out)-2].placed)/s.at.Sub(out[len(out)-2].at).Seconds(), interval)
		if int(s.placed) >= want || time.Since(last) > stall {
			return out
		}
	}
}

// jobAllocs lists the allocations of the jobs, spreading the reads over
// the servers.
func jobAllocs(ctx context.Context, servers []*server, ids []string) ([]*structs.AllocListStub, error) {
	var out []*structs.AllocListStub
	for i, id := range ids {
		if id == "" {
			continue
		}
		var part []*structs.AllocListStub
		if err := getJSON(servers[i%len(servers)].addr+"/v1/job/"+id+"/allocations", &part); err != nil {
			return out, err
		}
		out = append(out, part...)
		if ctx.Err() != nil {
			return out, ctx.Err()
		}
	}
	return out, nil
}

// stopJobs deregisters the jobs (without purge), parallel at once.
func stopJobs(ctx context.Context, servers []*server, ids []string, parallel int) error {
	var next atomic.Int64
	var wg sync.WaitGroup
	errs := make(chan error, parallel)
	for range parallel {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for {
				i := int(next.Add(1) - 1)
				if i >= len(ids) || ctx.Err() != nil {
					return
				}
				if ids[i] == "" {
					continue
				}
				c, err := api.NewClient(&api.Config{Address: servers[i%len(servers)].addr, HTTPClient: httpClient})
				if err != nil {
					errs <- err
					return
				}
				if _, err := c.WithContext(ctx).Jobs().Deregister(ids[i], false); err != nil {
					errs <- fmt.Errorf("stop %s: %w", ids[i], err)
					return
				}
			}
		}()
	}
	wg.Wait()
	close(errs)
	return <-errs
}
