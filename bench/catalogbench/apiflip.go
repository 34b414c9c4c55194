package main

import (
	"context"
	"fmt"
	"time"

	"github.com/wharf-project/wharf/internal/structs"

	"github.com/wharf-project/wharf/bench/internal/latency"
)

// flipReg is the registration of one instance of name at addr whose one
// tcp check has status, as a client writes it after a check result.
func flipReg(e *benchEnv, id, name, addr, status string) *structs.ServiceRegistration {
	return &structs.ServiceRegistration{ID: id, ServiceName: name, NodeID: e.agent.nodeID, JobID: "catalogbench",
		AllocID: "catalogbench-" + id, Task: "bench", Address: addr, Port: 8080, Tags: []string{"bench"},
		Checks: []*structs.CheckStatus{{ID: "tcp", Name: "tcp", Type: structs.CheckTypeTCP, Status: status,
			Interval: "1s", Timeout: "1s", Output: "TCP connect " + addr + ":8080: " + status}}}
}

// benchAPIFlips flips one instance's check between passing and critical
// through PUT /v1/services/register (what the client does after a check
// result changes) and times each flip until the Consul health query
// (?passing, blocking) and the DNS A answer show it.
func benchAPIFlips(ctx context.Context, e *benchEnv, o options) error {
	const name, stable, flip = "catbench-api", "10.99.0.1", "10.99.0.2"
	err := e.api.Services().Register([]*structs.ServiceRegistration{
		flipReg(e, "cb-api-stable", name, stable, structs.HealthPassing),
		flipReg(e, "cb-api-flip", name, flip, structs.HealthCritical)})
	if err != nil {
		return fmt.Errorf("register: %w", err)
	}
	defer func() { _ = e.api.Services().Deregister([]string{"cb-api-stable", "cb-api-flip"}) }()
	w, err := startWatchers(ctx, e, name, flip, false)
	if err != nil {
		return err
	}
	defer w.stop()
	var write, toConsul, toDNS []time.Duration
	present := false
	for i := 0; i < o.flips; i++ {
		present = !present
		status := structs.HealthCritical
		if present {
			status = structs.HealthPassing
		}
		start := time.Now()
		if err := e.api.Services().Register([]*structs.ServiceRegistration{flipReg(e, "cb-api-flip", name, flip, status)}); err != nil {
			return fmt.Errorf("flip %d: %w", i, err)
		}
		write = append(write, time.Since(start))
		cAt, dAt, err := w.wait(ctx, present, 10*time.Second)
		if err != nil {
			return fmt.Errorf("flip %d: %w", i, err)
		}
		toConsul, toDNS = append(toConsul, cAt.Sub(start)), append(toDNS, dAt.Sub(start))
		time.Sleep(20 * time.Millisecond)
	}
	fmt.Printf("\n== (a) check result written through PUT /v1/services/register -> visible, %d flips (half to passing, half to critical) ==\n", o.flips)
	fmt.Println("| from the start of the PUT to | p50 | p99 | max | n |\n|---|---|---|---|---|")
	latency.Row("the PUT's answer (store write committed)", write)
	latency.Row("Consul `/v1/health/service/:name?passing` blocking query answers with the change", toConsul)
	latency.Row(fmt.Sprintf("`%s.service.wharf` A answer changes (UDP, polled every %v)", name, dnsPollGap), toDNS)
	return nil
}
