package agent

import (
	"github.com/prometheus/client_golang/prometheus"

	"github.com/wharf-project/wharf/internal/netlimit"
)

// limitsCollector reports, at scrape time, each listener's connections
// against its cap and the process's descriptors against its limit.
type limitsCollector struct {
	a *Agent
}

var _ prometheus.Collector = (*limitsCollector)(nil)

var (
	connsDesc = prometheus.NewDesc("wharf_listener_connections",
		"Connections a listener holds now, by listener role.", []string{"listener"}, nil)
	capDesc = prometheus.NewDesc("wharf_listener_connection_cap",
		"Most connections a listener holds (limits { max_conns_* } or its share of the descriptor budget).", []string{"listener"}, nil)
	capWaitsDesc = prometheus.NewDesc("wharf_listener_cap_reached_total",
		"Times a listener found its connection cap reached and stopped accepting.", []string{"listener"}, nil)
	fdsDesc = prometheus.NewDesc("wharf_process_open_fds",
		"File descriptors the agent's process holds.", nil, nil)
	fdLimitDesc = prometheus.NewDesc("wharf_process_fd_limit",
		"The agent's descriptor limit (RLIMIT_NOFILE, raised to the hard limit at start).", nil, nil)
)

func (c *limitsCollector) Describe(ch chan<- *prometheus.Desc) {
	for _, d := range []*prometheus.Desc{connsDesc, capDesc, capWaitsDesc, fdsDesc, fdLimitDesc} {
		ch <- d
	}
}

func (c *limitsCollector) Collect(ch chan<- prometheus.Metric) {
	for _, role := range listenerRoles {
		lim := c.a.limiter(role)
		if lim == nil {
			continue
		}
		ch <- prometheus.MustNewConstMetric(connsDesc, prometheus.GaugeValue, float64(lim.InUse()), role)
		ch <- prometheus.MustNewConstMetric(capDesc, prometheus.GaugeValue, float64(lim.Cap()), role)
		ch <- prometheus.MustNewConstMetric(capWaitsDesc, prometheus.CounterValue, float64(lim.Refusals()), role)
	}
	if n := netlimit.OpenDescriptors(); n >= 0 {
		ch <- prometheus.MustNewConstMetric(fdsDesc, prometheus.GaugeValue, float64(n))
	}
	if soft, _, err := netlimit.Limit(); err == nil {
		ch <- prometheus.MustNewConstMetric(fdLimitDesc, prometheus.GaugeValue, float64(soft))
	}
}
