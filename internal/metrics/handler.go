package metrics

import (
	"encoding/json"
	"math"
	"net/http"
	"sort"
	"strings"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/promhttp"
	dto "github.com/prometheus/client_model/go"
)

// Handler serves what g gathers as Nomad's /v1/metrics does:
// ?format=prometheus in Prometheus text format; without a format, the
// Prometheus format to a client that asks for it (a scraper's Accept
// names text/plain or application/openmetrics-text) and Nomad's JSON
// summary to any other (curl, Nomad's API client); ?format=json forces
// the JSON.
func Handler(g prometheus.Gatherer) http.Handler {
	prom := promhttp.HandlerFor(g, promhttp.HandlerOpts{ErrorHandling: promhttp.ContinueOnError})
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		switch format := r.URL.Query().Get("format"); {
		case format == "prometheus", format == "" && wantsText(r.Header.Get("Accept")):
			prom.ServeHTTP(w, r)
		case format == "" || format == "json":
			serveJSON(w, g)
		default:
			http.Error(w, `query parameter "format": `+format+` is not "prometheus" or "json"`, http.StatusBadRequest)
		}
	})
}

// wantsText reports whether an Accept header asks for a Prometheus text
// format.
func wantsText(accept string) bool {
	return strings.Contains(accept, "text/plain") || strings.Contains(accept, "application/openmetrics-text")
}

// Summary is the JSON answer, in the shape of Nomad's (go-metrics') metrics
// summary. Values are cumulative since the agent started, not per
// ten-second interval as Nomad's: a counter's Sum is its total, a
// histogram's Count and Sum are its totals, and what a cumulative
// Prometheus metric cannot tell (Min, Max, Stddev, Rate) is left out.
type Summary struct {
	Timestamp string
	Gauges    []Gauge
	Points    []struct{}
	Counters  []Sampled
	Samples   []Sampled
}

// Gauge is one gauge's value.
type Gauge struct {
	Name   string
	Value  float64
	Labels map[string]string
}

// Sampled is one counter or distribution.
type Sampled struct {
	Name   string
	Count  uint64 `json:",omitempty"`
	Sum    float64
	Mean   *float64 `json:",omitempty"`
	Labels map[string]string
}

func serveJSON(w http.ResponseWriter, g prometheus.Gatherer) {
	families, err := g.Gather()
	if err != nil && len(families) == 0 {
		http.Error(w, "gather metrics: "+err.Error(), http.StatusInternalServerError)
		return
	}
	w.Header().Set("Content-Type", "application/json")
	_ = json.NewEncoder(w).Encode(Summarize(families, time.Now()))
}

// Summarize converts gathered families into the JSON summary.
func Summarize(families []*dto.MetricFamily, now time.Time) *Summary {
	s := &Summary{Timestamp: now.UTC().Format("2006-01-02 15:04:05 -0700 MST"),
		Gauges: []Gauge{}, Points: []struct{}{}, Counters: []Sampled{}, Samples: []Sampled{}}
	for _, f := range families {
		for _, m := range f.GetMetric() {
			s.add(f.GetName(), f.GetType(), m)
		}
	}
	sort.SliceStable(s.Gauges, func(i, j int) bool { return s.Gauges[i].Name < s.Gauges[j].Name })
	return s
}

func (s *Summary) add(name string, typ dto.MetricType, m *dto.Metric) {
	labels := map[string]string{}
	for _, l := range m.GetLabel() {
		labels[l.GetName()] = l.GetValue()
	}
	switch typ {
	case dto.MetricType_COUNTER:
		s.Counters = append(s.Counters, Sampled{Name: name, Sum: m.GetCounter().GetValue(), Labels: labels})
	case dto.MetricType_GAUGE:
		s.Gauges = append(s.Gauges, Gauge{Name: name, Value: finite(m.GetGauge().GetValue()), Labels: labels})
	case dto.MetricType_UNTYPED:
		s.Gauges = append(s.Gauges, Gauge{Name: name, Value: finite(m.GetUntyped().GetValue()), Labels: labels})
	case dto.MetricType_HISTOGRAM, dto.MetricType_GAUGE_HISTOGRAM:
		h := m.GetHistogram()
		s.Samples = append(s.Samples, sampled(name, h.GetSampleCount(), h.GetSampleSum(), labels))
	case dto.MetricType_SUMMARY:
		sm := m.GetSummary()
		s.Samples = append(s.Samples, sampled(name, sm.GetSampleCount(), sm.GetSampleSum(), labels))
	}
}

func sampled(name string, count uint64, sum float64, labels map[string]string) Sampled {
	out := Sampled{Name: name, Count: count, Sum: finite(sum), Labels: labels}
	if count > 0 {
		mean := finite(sum / float64(count))
		out.Mean = &mean
	}
	return out
}

// finite maps NaN and infinities, which JSON cannot hold, to 0.
func finite(v float64) float64 {
	if math.IsNaN(v) || math.IsInf(v, 0) {
		return 0
	}
	return v
}
