package app_test

import (
	"io/fs"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
)

const module = "github.com/efacture/efacture"

// TestProductionLinksNoHarness keeps the test harness out of what ships: no package under
// shared/ or functions/ may depend on package testing or on anything under infra/ (the
// local emulators, runner and sample PDFs live there).
func TestProductionLinksNoHarness(t *testing.T) {
	readSources(t, "../../shared", "../../functions")
	out, err := exec.Command("go", "list", "-f", `{{.ImportPath}}{{range .Deps}} {{.}}{{end}}`,
		module+"/shared/...", module+"/functions/...").CombinedOutput()
	if err != nil {
		t.Fatalf("go list: %v\n%s", err, out)
	}
	packages := 0
	for _, line := range strings.Split(strings.TrimSpace(string(out)), "\n") {
		fields := strings.Fields(line)
		pkg, deps := fields[0], fields[1:]
		packages++
		for _, dep := range deps {
			if dep == "testing" || strings.HasPrefix(dep, module+"/infra/") {
				t.Errorf("%s depends on %s", strings.TrimPrefix(pkg, module+"/"), dep)
			}
		}
	}
	// The functions and the layers of shared/: a handful would mean the patterns broke.
	if packages < 30 {
		t.Errorf("go list named %d packages, want every package of shared/ and functions/", packages)
	}
}

// readSources reads every Go file under dirs. go list runs in a child process, whose reads
// go test does not see; reading the files here makes a cached pass invalid once a file
// changes or appears.
func readSources(t *testing.T, dirs ...string) {
	t.Helper()
	for _, dir := range dirs {
		err := filepath.WalkDir(dir, func(path string, d fs.DirEntry, err error) error {
			if err != nil || d.IsDir() || !strings.HasSuffix(path, ".go") {
				return err
			}
			_, err = os.ReadFile(path)
			return err
		})
		if err != nil {
			t.Fatal(err)
		}
	}
}
