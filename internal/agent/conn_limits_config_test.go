package agent

import (
	"strings"
	"testing"
	"time"
)

func TestParseSize(t *testing.T) {
	for _, tc := range []struct {
		in   string
		want int64
		err  bool
	}{
		{"", 0, false}, {"4096", 4096, false}, {"512MiB", 512 << 20, false}, {"8GiB", 8 << 30, false},
		{"100MB", 100_000_000, false}, {"1 KiB", 1024, false}, {"12B", 12, false},
		{"-1", 0, true}, {"8GB8", 0, true}, {"lots", 0, true}, {"99999999999TiB", 0, true},
	} {
		got, err := ParseSize(tc.in)
		if (err != nil) != tc.err || got != tc.want {
			t.Errorf("ParseSize(%q) = %d, %v; want %d, error %v", tc.in, got, err, tc.want, tc.err)
		}
	}
	if got := FormatSize(8 << 30); got != "8GiB" {
		t.Errorf("FormatSize(8GiB) = %q", got)
	}
}

func TestConnLimits(t *testing.T) {
	for _, tc := range []struct {
		name    string
		limits  *LimitsConfig
		check   func(ConnLimits) bool
		wantErr string
	}{
		{"defaults", nil, func(l ConnLimits) bool {
			return l.HandshakeTimeout == DefaultHandshakeTimeout && l.IdleTimeout == DefaultIdleTimeout &&
				l.RegistryMaxUpload == DefaultRegistryMaxUpload && l.ImageMaxUnpacked == DefaultImageMaxUnpacked && len(l.MaxConns) == 0
		}, ""},
		{"set", &LimitsConfig{MaxConnsIngress: 5000, HandshakeTimeout: "3s", RegistryMaxUpload: "1GiB", ImageMaxUnpacked: "2GiB"},
			func(l ConnLimits) bool {
				return l.MaxConns["ingress"] == 5000 && l.HandshakeTimeout == 3*time.Second &&
					l.RegistryMaxUpload == 1<<30 && l.ImageMaxUnpacked == 2<<30
			}, ""},
		{"dns cap", &LimitsConfig{MaxConnsDNS: 9}, func(l ConnLimits) bool { return l.MaxConns["dns"] == 9 && len(l.MaxConns) == 1 }, ""},
		{"negative cap", &LimitsConfig{MaxConnsAPI: -1}, nil, "limits.max_conns_api"},
		{"negative dns cap", &LimitsConfig{MaxConnsDNS: -1}, nil, "limits.max_conns_dns"},
		{"per client default", nil, func(l ConnLimits) bool { return l.PerClient == DefaultMaxConnsPerClient }, ""},
		{"per client set", &LimitsConfig{MaxConnsPerClient: 7}, func(l ConnLimits) bool { return l.PerClient == 7 }, ""},
		{"per client off", &LimitsConfig{MaxConnsPerClient: -1}, func(l ConnLimits) bool { return l.PerClient == 0 }, ""},
		{"per client negative", &LimitsConfig{MaxConnsPerClient: -2}, nil, "limits.max_conns_per_client"},
		{"bad duration", &LimitsConfig{IdleTimeout: "soon"}, nil, "limits.idle_timeout"},
		{"bad size", &LimitsConfig{RegistryMaxUpload: "big"}, nil, "limits.registry_max_upload"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			cfg := &Config{Limits: tc.limits}
			got, err := cfg.ConnLimits()
			if tc.wantErr != "" {
				if err == nil || !strings.Contains(err.Error(), tc.wantErr) {
					t.Fatalf("error %v, want one naming %s", err, tc.wantErr)
				}
				return
			}
			if err != nil || !tc.check(got) {
				t.Fatalf("%+v, %v", got, err)
			}
		})
	}
}
