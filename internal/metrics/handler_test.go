package metrics

import (
	"encoding/json"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	dto "github.com/prometheus/client_model/go"
	"github.com/prometheus/common/expfmt"
	"github.com/prometheus/common/model"
)

func testRegistry(t *testing.T) *prometheus.Registry {
	t.Helper()
	reg := prometheus.NewRegistry()
	c := prometheus.NewCounter(prometheus.CounterOpts{Name: "t_total", Help: "c"})
	g := prometheus.NewGauge(prometheus.GaugeOpts{Name: "t_gauge", Help: "g"})
	h := prometheus.NewHistogram(prometheus.HistogramOpts{Name: "t_seconds", Help: "h"})
	reg.MustRegister(c, g, h)
	c.Add(3)
	g.Set(7)
	h.Observe(1)
	h.Observe(3)
	return reg
}

func TestHandlerFormats(t *testing.T) {
	h := Handler(testRegistry(t))
	tests := []struct {
		name, query, accept string
		wantCode            int
		wantProm            bool
	}{
		{"format=prometheus", "?format=prometheus", "", 200, true},
		{"scraper accept header", "", "text/plain;version=0.0.4;q=0.9,*/*;q=0.1", 200, true},
		{"openmetrics accept header", "", "application/openmetrics-text;version=1.0.0", 200, true},
		{"no format: Nomad's JSON", "", "", 200, false},
		{"curl's accept", "", "*/*", 200, false},
		{"format=json", "?format=json", "text/plain", 200, false},
		{"unknown format", "?format=xml", "", 400, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			req := httptest.NewRequest("GET", "/v1/metrics"+tt.query, nil)
			if tt.accept != "" {
				req.Header.Set("Accept", tt.accept)
			}
			rec := httptest.NewRecorder()
			h.ServeHTTP(rec, req)
			if rec.Code != tt.wantCode {
				t.Fatalf("code %d, want %d: %s", rec.Code, tt.wantCode, rec.Body)
			}
			switch {
			case tt.wantCode != 200:
			case tt.wantProm && strings.Contains(rec.Header().Get("Content-Type"), "openmetrics"):
				if !strings.Contains(rec.Body.String(), "t_total 3") {
					t.Fatalf("openmetrics body %s", rec.Body)
				}
			case tt.wantProm:
				p := expfmt.NewTextParser(model.UTF8Validation)
				fams, err := p.TextToMetricFamilies(rec.Body)
				if err != nil || fams["t_total"].GetMetric()[0].GetCounter().GetValue() != 3 {
					t.Fatalf("prometheus text: %v %v", err, fams["t_total"])
				}
			default:
				var s Summary
				if err := json.Unmarshal(rec.Body.Bytes(), &s); err != nil {
					t.Fatalf("json: %v: %s", err, rec.Body)
				}
				if len(s.Gauges) != 1 || s.Gauges[0].Value != 7 || len(s.Counters) != 1 || s.Counters[0].Sum != 3 ||
					len(s.Samples) != 1 || s.Samples[0].Count != 2 || *s.Samples[0].Mean != 2 {
					t.Fatalf("summary %+v", s)
				}
			}
		})
	}
}

func TestSummaryTimestampIsNomads(t *testing.T) {
	s := Summarize(nil, time.Date(2026, 1, 2, 3, 4, 5, 0, time.UTC))
	if s.Timestamp != "2026-01-02 03:04:05 +0000 UTC" {
		t.Fatal(s.Timestamp)
	}
}

// TestRecordingDoesNotAllocate keeps the instrumentation off the heap of
// hot paths: counters with label values resolved once.
func TestRecordingDoesNotAllocate(t *testing.T) {
	n := testing.AllocsPerRun(100, func() {
		EtcdTxn(time.Millisecond, nil)
		EtcdGet(time.Millisecond, nil)
		HeartbeatReceived()
		TaskStarted()
		CheckResult("passing", true)
		PlanApplyDone(time.Millisecond, false)
		PlanApplied(1, 0)
	})
	if n != 0 {
		t.Fatalf("%v allocations per round", n)
	}
}

func TestCheckResultIgnoresUnknownStatuses(t *testing.T) {
	before := counterValue(t, checkResultsBy[0])
	CheckResult("bogus", true)
	CheckResult("passing", false)
	if got := counterValue(t, checkResultsBy[0]); got != before+1 {
		t.Fatalf("passing results %v, want %v", got, before+1)
	}
}

func counterValue(t *testing.T, c prometheus.Counter) float64 {
	t.Helper()
	m := new(dto.Metric)
	if err := c.Write(m); err != nil {
		t.Fatal(err)
	}
	return m.GetCounter().GetValue()
}
