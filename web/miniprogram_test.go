package web_test

import (
	"os"
	"os/exec"
	"path/filepath"
	"testing"
)

// TestMiniprogram runs the mini-program's own tests (web/miniprogram: page
// and component tests with miniprogram-simulate, and the end-to-end test
// against a real `ecard serve --demo` built here). It needs Node and npm and
// skips without them, except in CI (CI=true), where it fails instead.
func TestMiniprogram(t *testing.T) {
	if testing.Short() {
		t.Skip("short")
	}
	npm, err := exec.LookPath("npm")
	if err != nil {
		if os.Getenv("CI") == "true" {
			t.Fatal("npm is required in CI")
		}
		t.Skip("npm not installed")
	}
	dir, _ := filepath.Abs("miniprogram")
	bin := filepath.Join(t.TempDir(), "ecard")
	build := exec.Command("go", "build", "-o", bin, "../cmd/ecard")
	if out, err := build.CombinedOutput(); err != nil {
		t.Fatalf("go build: %v\n%s", err, out)
	}
	if _, err := os.Stat(filepath.Join(dir, "node_modules")); err != nil || os.Getenv("CI") == "true" {
		run(t, dir, nil, npm, "ci", "--no-audit", "--no-fund")
	}
	run(t, dir, []string{"ECARD_BIN=" + bin}, npm, "test")
}

func run(t *testing.T, dir string, env []string, name string, args ...string) {
	t.Helper()
	cmd := exec.Command(name, args...)
	cmd.Dir = dir
	cmd.Env = append(os.Environ(), env...)
	out, err := cmd.CombinedOutput()
	if err != nil {
		t.Fatalf("%s %v: %v\n%s", name, args, err, out)
	}
	t.Logf("%s", out)
}
