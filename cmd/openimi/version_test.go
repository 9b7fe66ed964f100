package main_test

import (
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
)

// The revision given to the linker, as the Makefile and the Dockerfile give
// it, is what `openimi version` prints.
func TestVersion_PrintsTheRevisionTheBinaryWasBuiltFrom(t *testing.T) {
	const revision = "0123456789abcdef0123456789abcdef01234567"
	bin := filepath.Join(t.TempDir(), "openimi")
	build := exec.Command("go", "build", "-o", bin,
		"-ldflags", "-X github.com/openimi/openimi/internal/observability.linkedRevision="+revision+
			" -X github.com/openimi/openimi/internal/observability.linkedVersion=v9.9.9", ".")
	if out, err := build.CombinedOutput(); err != nil {
		t.Fatalf("build: %v\n%s", err, out)
	}
	out, err := exec.Command(bin, "version").CombinedOutput()
	if err != nil {
		t.Fatalf("openimi version: %v\n%s", err, out)
	}
	if !strings.Contains(string(out), "openimi v9.9.9\n") || !strings.Contains(string(out), "revision "+revision) {
		t.Errorf("openimi version printed %q, want version v9.9.9 and revision %s", out, revision)
	}
}
