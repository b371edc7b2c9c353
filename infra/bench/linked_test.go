package bench_test

import (
	"context"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/efacture/efacture/infra/local/localaws"
)

// TestEachBinaryLinksItsOwnFunction: the auth function's binary holds no other
// function's constructor. Once a package variable listed every constructor, which linked
// all eleven functions into each binary and, with the mailer's templates, every method
// of the SDK clients: twice the size and the cold start (docs/BENCHMARKS.md R8).
func TestEachBinaryLinksItsOwnFunction(t *testing.T) {
	root, err := localaws.RepoRoot()
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Minute)
	defer cancel()
	bin := filepath.Join(t.TempDir(), "auth")
	build := exec.CommandContext(ctx, "go", "build", "-tags", "lambda.norpc", "-o", bin, "./functions/auth")
	build.Dir = root
	if b, err := build.CombinedOutput(); err != nil {
		t.Fatalf("go build: %v\n%s", err, b)
	}
	out, err := exec.CommandContext(ctx, "go", "tool", "nm", bin).Output()
	if err != nil {
		t.Fatal(err)
	}
	const app = "github.com/efacture/efacture/shared/app."
	var own bool
	for _, line := range strings.Split(string(out), "\n") {
		f := strings.Fields(line)
		if len(f) < 3 || !strings.HasPrefix(f[len(f)-1], app) || !strings.HasSuffix(f[len(f)-1], "Function") {
			continue
		}
		switch name := strings.TrimPrefix(f[len(f)-1], app); name {
		case "AuthFunction":
			own = true
		default:
			t.Errorf("the auth binary links %s", name)
		}
	}
	if !own {
		t.Error("the auth binary lacks AuthFunction: the symbol names changed, and this test with them")
	}
}
