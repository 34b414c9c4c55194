package flavour

import (
	"context"
	"errors"
	"reflect"
	"strings"
	"testing"

	"github.com/wharf-project/wharf/internal/image"
)

func TestMergeEnv(t *testing.T) {
	tests := []struct {
		name       string
		base, over []string
		want       []string
	}{
		{"empty", nil, nil, nil},
		{"override in place", []string{"PATH=/bin", "A=1"}, []string{"PATH=/usr/bin"}, []string{"PATH=/usr/bin", "A=1"}},
		{"append new", []string{"A=1"}, []string{"B=2"}, []string{"A=1", "B=2"}},
		{"prefix is not a match", []string{"AB=1"}, []string{"A=2"}, []string{"AB=1", "A=2"}},
		{"empty value", []string{"A=1"}, []string{"A="}, []string{"A="}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := MergeEnv(tt.base, tt.over); !reflect.DeepEqual(got, tt.want) {
				t.Errorf("MergeEnv = %q, want %q", got, tt.want)
			}
		})
	}
}

func TestManifestOverrides(t *testing.T) {
	base := &image.Manifest{OS: "linux", Arch: "amd64", Cmd: []string{"sh"}, Env: []string{"A=1"}, ExposedPorts: []int{80}}
	tests := []struct {
		name string
		o    Options
		want image.Manifest
	}{
		{"keeps base defaults", Options{Name: "n", Tag: "t"},
			image.Manifest{Name: "n", Tag: "t", OS: "linux", Arch: "amd64", Cmd: []string{"sh"}, Env: []string{"A=1"}, ExposedPorts: []int{80}}},
		{"overrides", Options{Name: "n", Tag: "t", Cmd: []string{"x", "y"}, Env: []string{"A=2", "B=3"}, Ports: []int{80, 443}},
			image.Manifest{Name: "n", Tag: "t", OS: "linux", Arch: "amd64", Cmd: []string{"x", "y"}, Env: []string{"A=2", "B=3"}, ExposedPorts: []int{80, 443}}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := tt.o.manifest(base); !reflect.DeepEqual(got, tt.want) {
				t.Errorf("manifest = %+v, want %+v", got, tt.want)
			}
		})
	}
}

func TestRunRejectsBadOptions(t *testing.T) {
	good := Options{Name: "web", Tag: "1", Base: Base{Name: "base", Tag: "1", Dir: "/x"}, Script: "/s", OutDir: "/o"}
	tests := []struct {
		name   string
		change func(o *Options)
		want   string
	}{
		{"bad name", func(o *Options) { o.Name = "../x" }, "name"},
		{"bad base tag", func(o *Options) { o.Base.Tag = "" }, "base image tag"},
		{"no base source", func(o *Options) { o.Base.Dir = "" }, "exactly one"},
		{"two base sources", func(o *Options) { o.Base.URL = "http://r" }, "exactly one"},
		{"no script", func(o *Options) { o.Script = "" }, "script"},
		{"bad env", func(o *Options) { o.Env = []string{"NOVALUE"} }, "KEY=VALUE"},
		{"missing runc", func(o *Options) { o.Runc = "/nonexistent/runc" }, "runc"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			o := good
			tt.change(&o)
			_, err := Run(context.Background(), o)
			if err == nil || !strings.Contains(err.Error(), tt.want) {
				t.Errorf("err = %v, want it to mention %q", err, tt.want)
			}
		})
	}
}

func TestFindRuncMissing(t *testing.T) {
	_, err := findRunc("/nonexistent/runc")
	if !errors.Is(err, ErrNoRunc) || !strings.Contains(err.Error(), "install Debian's runc package") {
		t.Errorf("err = %v", err)
	}
}

func TestTailKeepsLastLines(t *testing.T) {
	var tl tail
	for i := range tailLines + 5 {
		tl.Write([]byte(strings.Repeat("x", i) + "\n"))
	}
	tl.Write([]byte("partial"))
	got := tl.Lines()
	if len(got) != tailLines || got[len(got)-1] != "partial" || got[0] != strings.Repeat("x", 6) {
		t.Errorf("lines = %q", got)
	}
	var long tail
	long.Write([]byte(strings.Repeat("y", 2*tailLineMax) + "\nend\n"))
	if l := long.Lines(); len(l) != 2 || len(l[0]) != tailLineMax || l[1] != "end" {
		t.Errorf("long lines = %d %q", len(l), l[1:])
	}
}
