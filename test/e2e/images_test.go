package e2e

import (
	"bytes"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"testing"
)

// exampleImages are the images examples/images/build.sh builds, as the
// base names of their files.
var exampleImages = []struct{ name, tag string }{
	{"hello-web", "1.0"},
	{"nginx-nomad-amd64-13_1", "1.1.13"},
}

// skipWithoutPackages skips the test when busybox or nginx is missing and
// cannot be installed with apt-get, unless $CI is set.
func skipWithoutPackages(t *testing.T) {
	t.Helper()
	have := func(p string) bool { _, err := os.Stat(p); return err == nil }
	if have("/usr/sbin/nginx") && (have("/bin/busybox") || have("/usr/bin/busybox")) {
		return
	}
	if _, err := exec.LookPath("apt-get"); err == nil && os.Getuid() == 0 {
		return // build.sh installs them
	}
	if os.Getenv("CI") == "" {
		t.Skip("busybox and nginx are missing and apt-get cannot install them (need root and apt-get)")
	}
}

// runBuildScript runs examples/images/build.sh with env added to the
// test's environment and returns its combined output.
func runBuildScript(t *testing.T, env ...string) string {
	t.Helper()
	cmd := exec.Command("../../examples/images/build.sh")
	cmd.Env = append(append(os.Environ(), "WHARF_BIN="+wharfBin), env...)
	out, err := cmd.CombinedOutput()
	if err != nil {
		t.Fatalf("build.sh: %v\n%s", err, out)
	}
	return string(out)
}

// TestExampleImages builds the example images, pushes them to a dev
// agent's registry, and builds them again to check the digests repeat.
func TestExampleImages(t *testing.T) {
	skipWithoutPackages(t)
	a := startAgent(t, "-dev")
	m := regexp.MustCompile(`Registry: (http://\S+)\s+\(upload token in (\S+)\)`).FindStringSubmatch(a.out.String())
	if m == nil {
		t.Fatalf("the dev agent did not print its registry:\n%s", a.out)
	}
	base, tokenFile := m[1], m[2]
	first, second := t.TempDir(), t.TempDir()
	out := runBuildScript(t, "WHARF_REGISTRY="+base, "WHARF_REGISTRY_TOKEN_FILE="+tokenFile,
		"WHARF_REGISTRY_TOKEN=", "BUILD_ONLY=", "OUT_DIR="+first)
	t.Logf("build.sh:\n%s", out)

	var listed []struct {
		Name     string `json:"name"`
		Tag      string `json:"tag"`
		Complete bool   `json:"complete"`
	}
	getJSON(t, base+"/v1/images", &listed)
	for _, img := range exampleImages {
		found := false
		for _, l := range listed {
			found = found || l.Name == img.name && l.Tag == img.tag && l.Complete
		}
		if !found {
			t.Errorf("registry does not list %s:%s as complete: %+v", img.name, img.tag, listed)
		}
	}

	runBuildScript(t, "BUILD_ONLY=1", "OUT_DIR="+second)
	for _, img := range exampleImages {
		file := img.name + "_" + img.tag + ".sha256"
		a, errA := os.ReadFile(filepath.Join(first, file))
		b, errB := os.ReadFile(filepath.Join(second, file))
		if errA != nil || errB != nil {
			t.Fatalf("read %s: %v %v", file, errA, errB)
		}
		if !bytes.Equal(a, b) {
			t.Errorf("%s differs between two builds:\n%s\n%s", file, a, b)
		}
	}
}

// TestExampleImagesNeedToken checks that build.sh refuses to push without
// a token and says how to get one.
func TestExampleImagesNeedToken(t *testing.T) {
	cmd := exec.Command("../../examples/images/build.sh")
	cmd.Env = append(os.Environ(), "WHARF_BIN="+wharfBin, "WHARF_REGISTRY_TOKEN=",
		"WHARF_REGISTRY_TOKEN_FILE=", "BUILD_ONLY=", "OUT_DIR="+t.TempDir())
	out, err := cmd.CombinedOutput()
	if err == nil {
		t.Fatalf("build.sh pushed without a token:\n%s", out)
	}
	if !bytes.Contains(out, []byte("export WHARF_REGISTRY_TOKEN_FILE=")) {
		t.Errorf("build.sh did not say how to set the token:\n%s", out)
	}
}
