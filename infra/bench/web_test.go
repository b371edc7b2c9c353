package bench_test

import (
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"

	"github.com/efacture/efacture/infra/bench"
)

// writeDist lays out files under a temporary dist directory.
func writeDist(t *testing.T, files map[string]string) string {
	t.Helper()
	dir := t.TempDir()
	for name, body := range files {
		p := filepath.Join(dir, filepath.FromSlash(name))
		if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(p, []byte(body), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	return dir
}

func TestPageWeights(t *testing.T) {
	page := strings.Repeat("let a=1;", 500)
	dist := writeDist(t, map[string]string{
		"docs.html": `<!doctype html><head>
  <script type="module" crossorigin src="/assets/docs-1.js"></script>
  <link rel="modulepreload" crossorigin href="/assets/shell-2.js">
  <link rel="stylesheet" crossorigin href="/assets/shell-3.css">
  <style>body{margin:0}</style>
</head>`,
		"help.html": `<script type="module" src="/assets/help-4.js"></script>`,
		// The entry imports the shell statically; the shell is also preloaded: counted once.
		"assets/docs-1.js":   `import{a}from"./shell-2.js";` + page,
		"assets/shell-2.js":  strings.Repeat("export const a=2;", 300),
		"assets/shell-3.css": `@import "./fonts-5.css";` + strings.Repeat(".x{color:red}", 100),
		"assets/fonts-5.css": strings.Repeat(".f{font:serif}", 50),
		// One of two texts loads on demand: the larger counts.
		"assets/help-4.js": "const t=l===`en`?await import(`./en-6.js`):await import(`./fr-7.js`);",
		"assets/en-6.js":   strings.Repeat("e", 10),
		"assets/fr-7.js":   "import\"./shell-2.js\";" + strings.Repeat("le texte de l'aide, ", 40),
	})
	pages, err := bench.PageWeights(dist)
	if err != nil {
		t.Fatal(err)
	}
	if len(pages) != 2 || pages[0].Page != "docs.html" || pages[1].Page != "help.html" {
		t.Fatalf("got pages %+v", pages)
	}
	docs, help := pages[0], pages[1]
	if want := []string{"assets/docs-1.js", "assets/shell-2.js", "assets/shell-3.css", "assets/fonts-5.css", "docs.html (inline style)"}; !reflect.DeepEqual(docs.Files, want) {
		t.Errorf("docs files: got %q, want %q", docs.Files, want)
	}
	if want := []string{"assets/help-4.js", "assets/fr-7.js", "assets/shell-2.js"}; !reflect.DeepEqual(help.Files, want) {
		t.Errorf("help files: got %q, want %q", help.Files, want)
	}
	if docs.JS <= 0 || docs.CSS <= 0 || help.CSS != 0 {
		t.Errorf("got docs JS %d CSS %d, help CSS %d", docs.JS, docs.CSS, help.CSS)
	}
	// Gzip shrinks the repetitive sources far below their raw size.
	if raw := len(page) + 300*len("export const a=2;"); docs.JS >= raw/4 {
		t.Errorf("docs JS: got %d gzipped bytes for %d raw", docs.JS, raw)
	}
}

func TestPageWeightsRefusals(t *testing.T) {
	cases := map[string]map[string]string{
		"no page":        {"assets/a.js": "x"},
		"missing asset":  {"a.html": `<script type="module" src="/assets/gone.js"></script>`},
		"foreign script": {"a.html": `<script src="https://cdn.example/x.js"></script>`},
	}
	for name, files := range cases {
		t.Run(name, func(t *testing.T) {
			if _, err := bench.PageWeights(writeDist(t, files)); err == nil {
				t.Error("got no error")
			}
		})
	}
}
