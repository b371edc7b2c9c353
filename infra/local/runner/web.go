package runner

import (
	"net/http"
	"os"
	"path"
	"path/filepath"
	"regexp"
	"strings"
)

// Pages maps the page segment of /{space}/{page} (PRODUCT.md §6) to its static
// file's base name. The deployed CloudFront viewer-request function must
// map the same paths.
var Pages = map[string]string{
	"":          "index",
	"forgot":    "forgot",
	"password":  "password",
	"documents": "documents",
	"profile":   "profile",
	"admin":     "admin",
	"help":      "help",
	"link":      "link",
}

// StaffPage is the supplier console's page: /{space}/staff, and every path under it,
// serve staff.html, as the CloudFront function maps them too.
const StaffPage = "staff"

// spaceSegment is a space id (docs/SPACES.md).
var spaceSegment = regexp.MustCompile(`^[a-z0-9-]{3,32}$`)

// contentSecurityPolicy is the strict policy of PRODUCT.md §6: this origin only,
// no inline script.
const contentSecurityPolicy = "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; " +
	"font-src 'self'; connect-src 'self'; object-src 'none'; base-uri 'none'; frame-ancestors 'none'; form-action 'self'"

// webDir is the frontend to serve: Options.WebDir, else the built web/dist,
// else web/ itself.
func (r *Runner) webDir() string {
	if r.opts.WebDir != "" {
		return r.opts.WebDir
	}
	dist := filepath.Join(r.root, "web", "dist")
	if fi, err := os.Stat(filepath.Join(dist, "index.html")); err == nil && !fi.IsDir() {
		return dist
	}
	return filepath.Join(r.root, "web")
}

// serveWeb serves the static frontend as CloudFront does: files by path,
// and the pages of every space mapped onto the same files.
func (r *Runner) serveWeb(w http.ResponseWriter, req *http.Request) {
	if req.Method != http.MethodGet && req.Method != http.MethodHead {
		w.Header().Set("Allow", "GET, HEAD")
		http.Error(w, "method not allowed", http.StatusMethodNotAllowed)
		return
	}
	root, err := os.OpenRoot(r.webDir())
	if err != nil {
		http.Error(w, "no frontend: "+err.Error(), http.StatusNotFound)
		return
	}
	defer root.Close()
	name, page, redirect := resolveWeb(root, req.URL.Path)
	if redirect != "" {
		if req.URL.RawQuery != "" {
			redirect += "?" + req.URL.RawQuery
		}
		http.Redirect(w, req, redirect, http.StatusMovedPermanently)
		return
	}
	if name == "" {
		http.NotFound(w, req)
		return
	}
	f, err := root.Open(name)
	if err != nil {
		http.NotFound(w, req)
		return
	}
	defer f.Close()
	fi, err := f.Stat()
	if err != nil || fi.IsDir() {
		http.NotFound(w, req)
		return
	}
	h := w.Header()
	h.Set("X-Content-Type-Options", "nosniff")
	h.Set("Referrer-Policy", "no-referrer")
	if strings.HasSuffix(name, ".html") {
		h.Set("Content-Security-Policy", contentSecurityPolicy)
		h.Set("X-Frame-Options", "DENY")
	}
	if page == "password" || page == "link" || page == StaffPage+"/password" {
		// A token page: its URL fragment holds a secret.
		h.Set("Cache-Control", "no-store")
	}
	http.ServeContent(w, req, name, fi.ModTime(), f)
}

// resolveWeb maps a URL path to a file of the frontend: the file itself
// when it exists, else a space page. It returns the file name, the page
// (for space pages), or a redirect for /{space} without its slash; an
// empty name is a 404.
func resolveWeb(root *os.Root, urlPath string) (name, page, redirect string) {
	clean := path.Clean("/" + urlPath)
	if strings.HasSuffix(urlPath, "/") && clean != "/" {
		clean += "/"
	}
	rel := strings.TrimPrefix(clean, "/")
	for _, seg := range strings.Split(rel, "/") {
		// Nothing hidden and no dependencies, when serving web/ itself.
		if strings.HasPrefix(seg, ".") || seg == "node_modules" {
			return "", "", ""
		}
	}
	if rel == "" {
		return pageFile(root, "index"), "", ""
	}
	if !strings.HasSuffix(rel, "/") && isFile(root, rel) {
		return rel, "", ""
	}
	space, rest, hasSlash := strings.Cut(rel, "/")
	if !spaceSegment.MatchString(space) {
		return "", "", ""
	}
	if !hasSlash {
		return "", "", "/" + space + "/"
	}
	if rest == StaffPage || strings.HasPrefix(rest, StaffPage+"/") {
		// The supplier console is one page for all its paths (PRODUCT.md §11).
		return pageFile(root, StaffPage), rest, ""
	}
	base, ok := Pages[rest]
	if !ok {
		return "", "", ""
	}
	return pageFile(root, base), rest, ""
}

// pageFile returns base.html, base/index.html or index.html, the first
// that exists: a page not built yet falls back to the login page.
func pageFile(root *os.Root, base string) string {
	for _, name := range []string{base + ".html", base + "/index.html", "index.html"} {
		if isFile(root, name) {
			return name
		}
	}
	return ""
}

func isFile(root *os.Root, name string) bool {
	fi, err := root.Stat(name)
	return err == nil && !fi.IsDir()
}
