package httpapi

import (
	"net/http/httptest"
	"testing"
	"time"
)

func TestQueryBool(t *testing.T) {
	tests := []struct {
		target    string
		want, ok  bool
		wantRawOf string
	}{
		{"/x", false, true, ""},
		{"/x?stale", true, true, ""},
		{"/x?stale=", true, true, ""},
		{"/x?stale=true", true, true, "true"},
		{"/x?stale=0", false, true, "0"},
		{"/x?stale=false&stale=true", false, true, "false"},
		{"/x?stale=maybe", false, false, "maybe"},
		{"/x?other=1", false, true, ""},
	}
	for _, tt := range tests {
		got, raw, ok := QueryBool(httptest.NewRequest("GET", tt.target, nil), "stale")
		if got != tt.want || ok != tt.ok || raw != tt.wantRawOf {
			t.Errorf("QueryBool(%s) = %v, %q, %v; want %v, %q, %v", tt.target, got, raw, ok, tt.want, tt.wantRawOf, tt.ok)
		}
	}
}

func TestParseWait(t *testing.T) {
	tests := []struct {
		v        string
		negative bool
		want     time.Duration
		wantErr  bool
	}{
		{"30", false, 30 * time.Second, false},
		{"0", false, 0, false},
		{"5m", false, 5 * time.Minute, false},
		{"250ms", false, 250 * time.Millisecond, false},
		{"-5s", false, 0, true},
		{"-5s", true, -5 * time.Second, false},
		{"4294967296", false, 0, true}, // 2^32 seconds: not a bare number, not a duration
		{"soon", false, 0, true},
		{"", false, 0, true},
	}
	for _, tt := range tests {
		got, err := ParseWait(tt.v, tt.negative)
		if got != tt.want || (err != nil) != tt.wantErr {
			t.Errorf("ParseWait(%q, %v) = %v, %v; want %v, error %v", tt.v, tt.negative, got, err, tt.want, tt.wantErr)
		}
	}
}
