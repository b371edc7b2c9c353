package app_test

import (
	"go/ast"
	"go/parser"
	"go/token"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/efacture/efacture/shared/app"
)

// Domain packages decide; they must stay free of the AWS SDK and the Lambda runtime so
// they are testable without an emulator and cheap to link.
var domainPackages = []string{
	"domain/accounts", "domain/audit", "domain/customers", "domain/documents", "domain/mail", "domain/outbox",
	"domain/password", "domain/ratelimit", "domain/sessions", "domain/signing", "domain/spaces", "domain/tokens",
	"service/delivery", "service/digest", "service/exports", "service/ingest", "service/listing",
	"service/mailevents", "service/purge", "transport/httpapi", "transport/httpctx",
}

func TestDomainPackagesImportNoAWS(t *testing.T) {
	for _, p := range domainPackages {
		t.Run(p, func(t *testing.T) {
			out, err := exec.Command("go", "list", "-deps", "github.com/efacture/efacture/shared/"+p).CombinedOutput()
			if err != nil {
				t.Fatalf("go list: %v\n%s", err, out)
			}
			for _, dep := range strings.Fields(string(out)) {
				if strings.HasPrefix(dep, "github.com/aws/") {
					t.Errorf("%s depends on %s", p, dep)
				}
			}
		})
	}
}

// API functions start on every cold request path: they must not link the PDF library.
func TestAPIFunctionsDoNotLinkPDFLibrary(t *testing.T) {
	for _, fn := range app.Functions() {
		if fn.ID == "IngestFunction" {
			continue
		}
		out, err := exec.Command("go", "list", "-deps", "github.com/efacture/efacture/functions/"+fn.Dir).CombinedOutput()
		if err != nil {
			t.Fatalf("go list: %v\n%s", err, out)
		}
		if strings.Contains(string(out), "pdfcpu") {
			t.Errorf("functions/%s links pdfcpu", fn.Dir)
		}
	}
}

// TestMainsBuildTheirClients: each functions/<Dir>/main.go passes Start exactly the
// clients app.Functions() names for it, which the local runner gives that function alone.
func TestMainsBuildTheirClients(t *testing.T) {
	for _, fn := range app.Functions() {
		path := filepath.Join("..", "..", "functions", fn.Dir, "main.go")
		f, err := parser.ParseFile(token.NewFileSet(), path, nil, 0)
		if err != nil {
			t.Fatal(err)
		}
		var got []string
		calls := 0
		ast.Inspect(f, func(n ast.Node) bool {
			call, ok := n.(*ast.CallExpr)
			if sel, isSel := fnSelector(call, ok); isSel && sel == "app.Start" {
				calls++
				for _, arg := range call.Args[2:] {
					if s, ok := arg.(*ast.SelectorExpr); ok {
						got = append(got, s.Sel.Name)
					}
				}
			}
			return true
		})
		var want []string
		for _, c := range fn.Clients {
			want = append(want, c.Name)
		}
		if calls != 1 || !slices.Equal(got, want) {
			t.Errorf("%s: app.Start calls %d, clients %v; want one call with %v", path, calls, got, want)
		}
	}
}

func fnSelector(call *ast.CallExpr, ok bool) (string, bool) {
	if !ok {
		return "", false
	}
	sel, ok := call.Fun.(*ast.SelectorExpr)
	if !ok {
		return "", false
	}
	x, ok := sel.X.(*ast.Ident)
	if !ok {
		return "", false
	}
	return x.Name + "." + sel.Sel.Name, true
}
