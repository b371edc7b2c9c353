package bench

import (
	"bytes"
	"compress/gzip"
	"fmt"
	"os"
	"path"
	"path/filepath"
	"regexp"
	"sort"
	"strings"
)

// PageWeight is what one built page makes a browser download besides the HTML: its
// scripts and style sheets, each gzipped as a CDN serves them.
type PageWeight struct {
	Page string // the HTML file, e.g. "documents.html"
	// JS and CSS are gzipped bytes of the page's static module graph (entry scripts,
	// module preloads, their static imports) and style sheets, plus, for each module that
	// imports others on demand, the largest of those: one of them always loads.
	JS, CSS int
	Files   []string // every counted asset, relative to the dist directory
}

// Total is JS and CSS together.
func (p PageWeight) Total() int { return p.JS + p.CSS }

var (
	scriptTag     = regexp.MustCompile(`(?is)<script\b[^>]*\bsrc\s*=\s*["']([^"']+)["'][^>]*>`)
	linkTag       = regexp.MustCompile(`(?is)<link\b[^>]*>`)
	linkRel       = regexp.MustCompile(`(?is)\brel\s*=\s*["']([^"']+)["']`)
	linkHref      = regexp.MustCompile(`(?is)\bhref\s*=\s*["']([^"']+)["']`)
	inlineScript  = regexp.MustCompile(`(?is)<script\b([^>]*)>(.*?)</script>`)
	inlineStyle   = regexp.MustCompile(`(?is)<style\b[^>]*>(.*?)</style>`)
	staticImport  = regexp.MustCompile("(?:\\bfrom|\\bimport)\\s*[\"'`](\\.\\.?/[^\"'`]+?\\.js)[\"'`]")
	dynamicImport = regexp.MustCompile("\\bimport\\(\\s*[\"'`](\\.\\.?/[^\"'`]+?\\.js)[\"'`]\\s*\\)")
	cssImport     = regexp.MustCompile(`@import\s+(?:url\()?["']?([^"')\s;]+)`)
)

// PageWeights measures every *.html page at the top of dist, a Vite build's output
// directory, sorted by page name.
func PageWeights(dist string) ([]PageWeight, error) {
	pages, err := filepath.Glob(filepath.Join(dist, "*.html"))
	if err != nil {
		return nil, err
	}
	if len(pages) == 0 {
		return nil, fmt.Errorf("%s holds no HTML page", dist)
	}
	sort.Strings(pages)
	var out []PageWeight
	for _, p := range pages {
		w, err := pageWeight(dist, p)
		if err != nil {
			return nil, err
		}
		out = append(out, w)
	}
	return out, nil
}

func pageWeight(dist, page string) (PageWeight, error) {
	html, err := os.ReadFile(page)
	if err != nil {
		return PageWeight{}, err
	}
	w := PageWeight{Page: filepath.Base(page)}
	m := &measurer{dist: dist, seen: map[string]bool{}}
	var scripts, styles []string
	for _, s := range scriptTag.FindAllStringSubmatch(string(html), -1) {
		scripts = append(scripts, s[1])
	}
	for _, l := range linkTag.FindAllString(string(html), -1) {
		rel, href := linkRel.FindStringSubmatch(l), linkHref.FindStringSubmatch(l)
		if rel == nil || href == nil {
			continue
		}
		switch strings.ToLower(rel[1]) {
		case "modulepreload":
			scripts = append(scripts, href[1])
		case "stylesheet":
			styles = append(styles, href[1])
		}
	}
	for _, s := range scripts {
		if !local(s) {
			return PageWeight{}, fmt.Errorf("%s loads %s from elsewhere: not measurable", w.Page, s)
		}
		n, err := m.script(assetPath(s))
		if err != nil {
			return PageWeight{}, fmt.Errorf("%s: %w", w.Page, err)
		}
		w.JS += n
	}
	for _, s := range styles {
		if !local(s) {
			return PageWeight{}, fmt.Errorf("%s loads %s from elsewhere: not measurable", w.Page, s)
		}
		n, err := m.style(assetPath(s))
		if err != nil {
			return PageWeight{}, fmt.Errorf("%s: %w", w.Page, err)
		}
		w.CSS += n
	}
	// Code and styles written into the page itself ship with it too.
	var js, css bytes.Buffer
	for _, s := range inlineScript.FindAllStringSubmatch(string(html), -1) {
		if !strings.Contains(strings.ToLower(s[1]), "src") {
			js.WriteString(s[2])
		}
	}
	for _, s := range inlineStyle.FindAllStringSubmatch(string(html), -1) {
		css.WriteString(s[1])
	}
	if strings.TrimSpace(js.String()) != "" {
		w.JS += gzipSize(js.Bytes())
		w.Files = append(w.Files, w.Page+" (inline script)")
	}
	if strings.TrimSpace(css.String()) != "" {
		w.CSS += gzipSize(css.Bytes())
		w.Files = append(w.Files, w.Page+" (inline style)")
	}
	w.Files = append(m.files, w.Files...)
	return w, nil
}

// local reports whether a page's asset URL is served from the same build.
func local(ref string) bool {
	return !strings.Contains(ref, "://") && !strings.HasPrefix(ref, "//") && !strings.HasPrefix(ref, "data:")
}

// assetPath turns an absolute or relative asset URL of a top-level page into a path
// relative to the dist directory.
func assetPath(ref string) string {
	ref, _, _ = strings.Cut(ref, "?")
	ref, _, _ = strings.Cut(ref, "#")
	return path.Clean(strings.TrimPrefix(ref, "/"))
}

// measurer sums the gzipped size of each asset once per page.
type measurer struct {
	dist  string
	seen  map[string]bool
	files []string
}

func (m *measurer) size(rel string) (int, []byte, error) {
	b, err := os.ReadFile(filepath.Join(m.dist, filepath.FromSlash(rel)))
	if err != nil {
		return 0, nil, err
	}
	return gzipSize(b), b, nil
}

// script counts a module and its static imports, then the largest of its on-demand
// imports with their own graphs.
func (m *measurer) script(rel string) (int, error) {
	if m.seen[rel] {
		return 0, nil
	}
	m.seen[rel] = true
	n, body, err := m.size(rel)
	if err != nil {
		return 0, err
	}
	m.files = append(m.files, rel)
	dir := path.Dir(rel)
	for _, s := range staticImport.FindAllStringSubmatch(string(body), -1) {
		k, err := m.script(path.Join(dir, s[1]))
		if err != nil {
			return 0, err
		}
		n += k
	}
	var largest int
	var largestFiles []string
	var largestSeen map[string]bool
	for _, s := range dynamicImport.FindAllStringSubmatch(string(body), -1) {
		// Each candidate is measured on its own copy of what is already counted.
		sub := &measurer{dist: m.dist, seen: copyBools(m.seen)}
		k, err := sub.script(path.Join(dir, s[1]))
		if err != nil {
			return 0, err
		}
		if k > largest {
			largest, largestFiles, largestSeen = k, sub.files, sub.seen
		}
	}
	if largestSeen != nil {
		m.seen = largestSeen
		m.files = append(m.files, largestFiles...)
	}
	return n + largest, nil
}

func (m *measurer) style(rel string) (int, error) {
	if m.seen[rel] {
		return 0, nil
	}
	m.seen[rel] = true
	n, body, err := m.size(rel)
	if err != nil {
		return 0, err
	}
	m.files = append(m.files, rel)
	for _, s := range cssImport.FindAllStringSubmatch(string(body), -1) {
		if !local(s[1]) {
			continue
		}
		k, err := m.style(path.Join(path.Dir(rel), s[1]))
		if err != nil {
			return 0, err
		}
		n += k
	}
	return n, nil
}

func copyBools(m map[string]bool) map[string]bool {
	out := make(map[string]bool, len(m))
	for k, v := range m {
		out[k] = v
	}
	return out
}

// gzipSize is the size of b gzipped at the default level, as CDNs compress.
func gzipSize(b []byte) int {
	var buf bytes.Buffer
	zw, _ := gzip.NewWriterLevel(&buf, gzip.DefaultCompression)
	zw.Write(b)
	zw.Close()
	return buf.Len()
}
