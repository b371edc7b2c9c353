package bench

import (
	"context"
	"fmt"
	"os"
	"os/exec"
	"runtime"
)

// Target is a platform to build for.
type Target struct{ GOOS, GOARCH string }

// Lambda is the functions' platform: provided.al2023 on Graviton.
var Lambda = Target{GOOS: "linux", GOARCH: "arm64"}

// Native is the machine running the benchmarks.
var Native = Target{GOOS: runtime.GOOS, GOARCH: runtime.GOARCH}

// Build compiles the main package pkg (relative to root, e.g. "./functions/auth") into
// out for t, with the flags infra/sam.mk uses for Lambda: no cgo, lambda.norpc, trimmed
// paths, no symbol table or DWARF. The go command is $GO or go.
func Build(ctx context.Context, root, pkg, out string, t Target) error {
	goCmd := os.Getenv("GO")
	if goCmd == "" {
		goCmd = "go"
	}
	cmd := exec.CommandContext(ctx, goCmd, "build", "-tags", "lambda.norpc", "-trimpath", "-ldflags", "-s -w", "-o", out, pkg)
	cmd.Dir = root
	cmd.Env = append(os.Environ(), "CGO_ENABLED=0", "GOOS="+t.GOOS, "GOARCH="+t.GOARCH)
	if b, err := cmd.CombinedOutput(); err != nil {
		return fmt.Errorf("go build %s for %s/%s: %v\n%s", pkg, t.GOOS, t.GOARCH, err, b)
	}
	return nil
}

// FileSize returns the size of a file in bytes.
func FileSize(path string) (int64, error) {
	fi, err := os.Stat(path)
	if err != nil {
		return 0, err
	}
	return fi.Size(), nil
}
