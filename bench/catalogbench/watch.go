package main

import (
	"context"
	"fmt"
	"slices"
	"time"

	consul "github.com/hashicorp/consul/api"
	mdns "github.com/miekg/dns"
)

// observation is a watcher's view changing: whether the watched address
// is among the passing instances, and when the watcher learnt it.
type observation struct {
	present bool
	at      time.Time
}

// watchConsul follows GET /v1/health/service/NAME?passing with blocking
// queries (Consul's own client) and sends an observation each time addr
// appears in or leaves the answer; the first answer is sent too.
func watchConsul(ctx context.Context, c *consul.Client, name, addr string, out chan<- observation) {
	var index uint64
	first, last := true, false
	for ctx.Err() == nil {
		q := (&consul.QueryOptions{WaitIndex: index, WaitTime: 30 * time.Second}).WithContext(ctx)
		entries, meta, err := c.Health().Service(name, "", true, q)
		at := time.Now()
		if err != nil {
			if ctx.Err() == nil {
				fmt.Println("consul watch:", err)
				time.Sleep(100 * time.Millisecond)
			}
			continue
		}
		index = meta.LastIndex
		present := slices.ContainsFunc(entries, func(e *consul.ServiceEntry) bool { return e.Service.Address == addr })
		if first || present != last {
			out <- observation{present, at}
		}
		first, last = false, present
	}
}

// dnsPollGap is the pause between two DNS polls: the DNS figures'
// resolution is this plus one query's round trip.
const dnsPollGap = 500 * time.Microsecond

// watchDNS asks NAME.service.wharf A over UDP again and again and sends
// an observation each time addr appears in or leaves the answer.
func watchDNS(ctx context.Context, server, name, addr string, out chan<- observation) {
	c := &mdns.Client{Timeout: 2 * time.Second}
	m := new(mdns.Msg)
	m.SetQuestion(name+".service.wharf.", mdns.TypeA)
	first, last := true, false
	for ctx.Err() == nil {
		resp, _, err := c.Exchange(m, server)
		at := time.Now()
		if err != nil {
			fmt.Println("dns watch:", err)
			time.Sleep(100 * time.Millisecond)
			continue
		}
		present := false
		for _, rr := range resp.Answer {
			if a, ok := rr.(*mdns.A); ok && a.A.String() == addr {
				present = true
			}
		}
		if first || present != last {
			out <- observation{present, at}
		}
		first, last = false, present
		time.Sleep(dnsPollGap)
	}
}

// waitState takes observations from ch until one says want, and returns
// its time.
func waitState(ctx context.Context, ch <-chan observation, want bool, d time.Duration) (time.Time, error) {
	timeout := time.After(d)
	for {
		select {
		case o := <-ch:
			if o.present == want {
				return o.at, nil
			}
		case <-timeout:
			return time.Time{}, fmt.Errorf("no observation of present=%v within %v", want, d)
		case <-ctx.Done():
			return time.Time{}, ctx.Err()
		}
	}
}

// watchers are a Consul and a DNS watcher of one address of one service.
type watchers struct {
	consul, dns chan observation
	stop        context.CancelFunc
}

// startWatchers starts both watchers and waits for their first
// observation, which must say want.
func startWatchers(ctx context.Context, e *benchEnv, name, addr string, want bool) (*watchers, error) {
	cc, err := consul.NewClient(&consul.Config{Address: e.agent.consul})
	if err != nil {
		return nil, err
	}
	wctx, cancel := context.WithCancel(ctx)
	w := &watchers{consul: make(chan observation, 1024), dns: make(chan observation, 1024), stop: cancel}
	go watchConsul(wctx, cc, name, addr, w.consul)
	go watchDNS(wctx, e.agent.dns, name, addr, w.dns)
	for _, ch := range []chan observation{w.consul, w.dns} {
		if _, err := waitState(ctx, ch, want, 30*time.Second); err != nil {
			cancel()
			return nil, fmt.Errorf("initial state: %w", err)
		}
	}
	return w, nil
}

// wait returns when both watchers have seen want.
func (w *watchers) wait(ctx context.Context, want bool, d time.Duration) (consulAt, dnsAt time.Time, err error) {
	if consulAt, err = waitState(ctx, w.consul, want, d); err != nil {
		return consulAt, dnsAt, fmt.Errorf("consul: %w", err)
	}
	if dnsAt, err = waitState(ctx, w.dns, want, d); err != nil {
		return consulAt, dnsAt, fmt.Errorf("dns: %w", err)
	}
	return consulAt, dnsAt, nil
}
