package cli

import (
	"fmt"
	"maps"
	"slices"
	"strings"

	"github.com/wharf-project/wharf/internal/structs"
)

// formatFailedGroups explains, group by group, why allocations could not
// be placed: a header line starting with head, then bullets starting with
// indent. job, when known, adds hints (such as the drivers a group needs).
func formatFailedGroups(failed map[string]*structs.AllocMetric, job *structs.Job, head, indent string) string {
	var b strings.Builder
	for _, name := range slices.Sorted(maps.Keys(failed)) {
		metric := failed[name]
		n := metric.CoalescedFailures + 1
		fmt.Fprintf(&b, "%sTask Group %q (failed to place %d %s):\n", head, name, n, plural(n, "allocation"))
		for _, line := range metricLines(metric, groupOf(job, name)) {
			fmt.Fprintf(&b, "%s* %s\n", indent, line)
		}
	}
	return b.String()
}

func groupOf(job *structs.Job, name string) *structs.TaskGroup {
	if job == nil {
		return nil
	}
	return job.LookupTaskGroup(name)
}

// metricLines turns the counters of an AllocMetric into sentences, most
// general first: nodes looked at, filtered, then exhausted.
func metricLines(m *structs.AllocMetric, tg *structs.TaskGroup) []string {
	var lines []string
	if m.NodesEvaluated == 0 {
		lines = append(lines, "No nodes were eligible for evaluation")
	}
	for _, dc := range slices.Sorted(maps.Keys(m.NodesAvailable)) {
		if m.NodesAvailable[dc] == 0 {
			lines = append(lines, fmt.Sprintf("No nodes are available in datacenter %q", dc))
		}
	}
	for _, class := range slices.Sorted(maps.Keys(m.ClassFiltered)) {
		lines = append(lines, fmt.Sprintf("Class %q: %d nodes excluded by filter", class, m.ClassFiltered[class]))
	}
	for _, c := range slices.Sorted(maps.Keys(m.ConstraintFiltered)) {
		lines = append(lines, fmt.Sprintf("Constraint %q: %d nodes excluded by filter", c, m.ConstraintFiltered[c]))
	}
	if m.NodesExhausted > 0 {
		lines = append(lines, fmt.Sprintf("Resources exhausted on %d nodes", m.NodesExhausted))
	}
	for _, class := range slices.Sorted(maps.Keys(m.ClassExhausted)) {
		lines = append(lines, fmt.Sprintf("Class %q exhausted on %d nodes", class, m.ClassExhausted[class]))
	}
	for _, dim := range slices.Sorted(maps.Keys(m.DimensionExhausted)) {
		lines = append(lines, fmt.Sprintf("Dimension %q exhausted on %d nodes", dim, m.DimensionExhausted[dim]))
	}
	for _, q := range m.QuotaExhausted {
		lines = append(lines, fmt.Sprintf("Quota limit hit %q", q))
	}
	return append(lines, metricHints(m, tg)...)
}

// metricHints adds plain-language explanations for the commonest failures.
func metricHints(m *structs.AllocMetric, tg *structs.TaskGroup) []string {
	var hints []string
	if n := missingDrivers(m); n > 0 && n >= m.NodesEvaluated && tg != nil {
		for _, d := range groupDrivers(tg) {
			hints = append(hints, fmt.Sprintf("No node has a healthy %q driver; \"wharf node status NODE\" shows each node's drivers", d))
		}
	}
	if m.NodesEvaluated == 0 && tg != nil {
		hints = append(hints, "No client node is ready in the job's datacenters: is a client agent running there? (\"wharf node status\" lists nodes)")
	}
	return hints
}

// missingDrivers is how many nodes a driver constraint filtered out.
func missingDrivers(m *structs.AllocMetric) int {
	n := 0
	for c, count := range m.ConstraintFiltered {
		if strings.Contains(c, "missing driver") {
			n += count
		}
	}
	return n
}

// groupDrivers lists the distinct drivers of a group's tasks, sorted.
func groupDrivers(tg *structs.TaskGroup) []string {
	set := map[string]bool{}
	for _, t := range tg.Tasks {
		if t.Driver != "" {
			set[t.Driver] = true
		}
	}
	return slices.Sorted(maps.Keys(set))
}
