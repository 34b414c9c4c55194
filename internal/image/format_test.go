package image

import (
	"errors"
	"testing"
	"time"
)

func TestValidateName(t *testing.T) {
	tests := []struct {
		name string
		ok   bool
	}{
		{"nginx-nomad-amd64-13_1", true},
		{"1.1.13", true},
		{"a", true},
		{"", false},
		{"..", false},
		{"a..b", false},
		{"a/b", false},
		{`a\b`, false},
		{".hidden", false},
		{"-flag", false},
		{"a b", false},
		{string(make([]byte, 129)), false},
	}
	for _, tt := range tests {
		err := ValidateName(tt.name)
		if (err == nil) != tt.ok {
			t.Errorf("ValidateName(%q) = %v, want ok=%v", tt.name, err, tt.ok)
		}
	}
}

func TestFileNames(t *testing.T) {
	f, err := FileNames("nginx-nomad-amd64-13_1", "1.1.13")
	if err != nil {
		t.Fatal(err)
	}
	want := Files{
		Rootfs:   "nginx-nomad-amd64-13_1_1.1.13.tar.zst",
		Manifest: "nginx-nomad-amd64-13_1_1.1.13.json",
		Digest:   "nginx-nomad-amd64-13_1_1.1.13.sha256",
		Sig:      "nginx-nomad-amd64-13_1_1.1.13.sig",
	}
	if f != want {
		t.Fatalf("FileNames = %+v, want %+v", f, want)
	}
	if _, err := FileNames("x", "../1"); err == nil {
		t.Fatal("FileNames accepted tag ../1")
	}
}

func TestDigestsRoundTrip(t *testing.T) {
	d := Digests{
		"b.json":    "bb" + hex62,
		"a.tar.zst": "aa" + hex62,
	}
	b := FormatDigests(d)
	want := "sha256:aa" + hex62 + "  a.tar.zst\nsha256:bb" + hex62 + "  b.json\n"
	if string(b) != want {
		t.Fatalf("FormatDigests = %q, want %q", b, want)
	}
	got, err := ParseDigests(b)
	if err != nil {
		t.Fatal(err)
	}
	if len(got) != 2 || got["a.tar.zst"] != d["a.tar.zst"] || got["b.json"] != d["b.json"] {
		t.Fatalf("ParseDigests = %v", got)
	}
}

const hex62 = "00000000000000000000000000000000000000000000000000000000000000"

func TestParseDigestsErrors(t *testing.T) {
	tests := []string{
		"",
		"garbage\n",
		"sha256:abc  x\n",
		"md5:" + "00" + hex62 + "  x\n",
		"sha256:zz" + hex62 + "  x\n",
		"sha256:00" + hex62 + "  ../x\n",
		"sha256:00" + hex62 + "  x\nsha256:00" + hex62 + "  x\n",
	}
	for _, in := range tests {
		if _, err := ParseDigests([]byte(in)); !errors.Is(err, ErrBadDigestFile) {
			t.Errorf("ParseDigests(%q) = %v, want ErrBadDigestFile", in, err)
		}
	}
}

func TestManifestRoundTrip(t *testing.T) {
	m := &Manifest{
		Name: "web", Tag: "1.0", OS: "linux", Arch: "amd64",
		Created: time.Date(2026, 1, 2, 3, 4, 5, 0, time.UTC),
		Cmd:     []string{"/bin/sh", "-c", "nginx"}, Env: []string{"A=1"},
		ExposedPorts: []int{80}, RootfsDigest: "sha256:00" + hex62, Size: 42,
	}
	b, err := MarshalManifest(m)
	if err != nil {
		t.Fatal(err)
	}
	got, err := ParseManifest(b)
	if err != nil {
		t.Fatal(err)
	}
	if got.Ref() != "web_1.0" || !got.Created.Equal(m.Created) || got.ExposedPorts[0] != 80 || got.Size != 42 {
		t.Fatalf("round trip = %+v", got)
	}
	if _, err := ParseManifest([]byte(`{"name":"x","bogus":1}`)); err == nil {
		t.Fatal("ParseManifest accepted an unknown field")
	}
	bad := *m
	bad.ExposedPorts = []int{70000}
	if err := bad.Validate(); err == nil {
		t.Fatal("Validate accepted port 70000")
	}
}
