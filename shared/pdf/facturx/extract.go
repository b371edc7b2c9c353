package facturx

import (
	"bytes"
	"fmt"
	"strings"
	"sync"

	"github.com/pdfcpu/pdfcpu/pkg/pdfcpu"
	"github.com/pdfcpu/pdfcpu/pkg/pdfcpu/model"
	"github.com/pdfcpu/pdfcpu/pkg/pdfcpu/types"
)

// FileNames are the attachment names Extract looks for, in order of
// preference: Factur-X and ZUGFeRD 2.1+, ZUGFeRD 2.0, ZUGFeRD 1.0, and
// ZUGFeRD's XRechnung profile.
var FileNames = []string{"factur-x.xml", "zugferd-invoice.xml", "ZUGFeRD-invoice.xml", "xrechnung.xml"}

// annotationPages bounds the pages searched for file attachment annotations:
// an invoice's XML sits on its first pages, and very long PDFs should not
// cost a walk of every page.
const annotationPages = 20

// Extract finds the invoice XML embedded in a PDF and parses it with Parse.
// It looks in the EmbeddedFiles name tree, the catalog's associated files
// (/AF) and file attachment annotations of the first pages, for a file named
// as in FileNames, exact names first, then the same names in any case.
//
// Errors: ErrBadPDF when the bytes are not a readable PDF, ErrNoXML when no
// such attachment exists, ErrBadXML (possibly a *FieldError) when it exists
// but cannot be used.
func Extract(pdf []byte) (*Invoice, error) {
	name, data, err := findXML(pdf)
	if err != nil {
		return nil, err
	}
	inv, err := Parse(data)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", name, err)
	}
	inv.FileName = name
	return inv, nil
}

// MaxDecodeBytes bounds what pdfcpu inflates from any one stream it decodes
// while reading the PDF's structure (object and cross-reference streams).
// pdfcpu's default, 512 MiB, let a half-megabyte PDF grow the process by
// 2.5 GiB; real object streams hold a few hundred small dictionaries, well
// under a megabyte. A PDF over it is unreadable to pdfcpu, so it is filed on
// its metadata alone (ReadForIngest).
const MaxDecodeBytes = 8 << 20

var disableConfigDir sync.Once

// readConfig returns pdfcpu's built-in configuration, never one read from or
// written to the user's config directory (read-only on Lambda).
func readConfig() *model.Configuration {
	disableConfigDir.Do(func() { model.ConfigPath = "disable" })
	conf := model.NewDefaultConfiguration()
	conf.Cmd = model.EXTRACTATTACHMENTS
	conf.ValidationMode = model.ValidationRelaxed
	conf.Limits.MaxDecodeBytes = MaxDecodeBytes
	return conf
}

// candidate is one embedded file and the names it goes by.
type candidate struct {
	names []string // file spec /UF and /F, then the name tree key
	spec  types.Object
}

func findXML(pdf []byte) (name string, data []byte, err error) {
	// pdfcpu reports some malformed input by panicking deep in its parser;
	// a bad upload must cost a rejection, not the function.
	defer func() {
		if r := recover(); r != nil {
			name, data, err = "", nil, fmt.Errorf("%w: %v", ErrBadPDF, r)
		}
	}()
	if len(pdf) == 0 {
		return "", nil, fmt.Errorf("%w: empty input", ErrBadPDF)
	}
	ctx, err := pdfcpu.Read(bytes.NewReader(pdf), readConfig())
	if err != nil {
		return "", nil, fmt.Errorf("%w: %v", ErrBadPDF, err)
	}
	x := ctx.XRefTable

	var found []candidate
	if err := x.LocateNameTree("EmbeddedFiles", false); err == nil && x.Names["EmbeddedFiles"] != nil {
		// A broken entry must not hide a good one, so errors are skipped.
		_ = x.Names["EmbeddedFiles"].Process(x, func(x *model.XRefTable, key string, o *types.Object) error {
			found = append(found, candidate{names: append(specNames(x, *o), key), spec: *o})
			return nil
		})
	}
	if best, name, ok := pick(found); ok {
		return readSpec(x, name, best.spec)
	}
	found = append(found[:0], associatedFiles(x)...)
	found = append(found, annotationFiles(x)...)
	if best, name, ok := pick(found); ok {
		return readSpec(x, name, best.spec)
	}
	return "", nil, ErrNoXML
}

// pick returns the candidate whose name ranks best in FileNames, and that name.
func pick(cs []candidate) (candidate, string, bool) {
	best, bestName, bestRank := candidate{}, "", -1
	for _, c := range cs {
		for _, n := range c.names {
			if r := rank(n); r >= 0 && (bestRank < 0 || r < bestRank) {
				best, bestName, bestRank = c, n, r
			}
		}
	}
	return best, bestName, bestRank >= 0
}

// rank orders a file name: exact matches of FileNames first, in their order,
// then case-insensitive ones; -1 when it matches none. Any directory part a
// producer left in the name is ignored.
func rank(name string) int {
	if i := strings.LastIndexAny(name, `/\`); i >= 0 {
		name = name[i+1:]
	}
	for i, want := range FileNames {
		if name == want {
			return i
		}
	}
	for i, want := range FileNames {
		if strings.EqualFold(name, want) {
			return len(FileNames) + i
		}
	}
	return -1
}

// specNames returns a file specification's /UF and /F names.
func specNames(x *model.XRefTable, spec types.Object) []string {
	d, err := x.DereferenceDict(spec)
	if err != nil || d == nil {
		return nil
	}
	var names []string
	for _, key := range []string{"UF", "F"} {
		if o, ok := d.Find(key); ok {
			if s, err := x.DereferenceStringOrHexLiteral(o, model.V10, nil); err == nil && s != "" {
				names = append(names, s)
			}
		}
	}
	return names
}

// associatedFiles lists the catalog's /AF file specifications (PDF/A-3).
func associatedFiles(x *model.XRefTable) []candidate {
	cat, err := x.Catalog()
	if err != nil || cat == nil {
		return nil
	}
	o, ok := cat.Find("AF")
	if !ok {
		return nil
	}
	arr, err := x.DereferenceArray(o)
	if err != nil {
		return nil
	}
	var cs []candidate
	for _, spec := range arr {
		cs = append(cs, candidate{names: specNames(x, spec), spec: spec})
	}
	return cs
}

// annotationFiles lists the file specifications of FileAttachment
// annotations on the first pages.
func annotationFiles(x *model.XRefTable) []candidate {
	if err := x.EnsurePageCount(); err != nil {
		return nil
	}
	var cs []candidate
	for p := 1; p <= min(x.PageCount, annotationPages); p++ {
		page, _, _, err := x.PageDict(p, false)
		if err != nil || page == nil {
			continue
		}
		o, ok := page.Find("Annots")
		if !ok {
			continue
		}
		annots, err := x.DereferenceArray(o)
		if err != nil {
			continue
		}
		for _, a := range annots {
			d, err := x.DereferenceDict(a)
			if err != nil || d == nil {
				continue
			}
			if st := d.Subtype(); st == nil || *st != "FileAttachment" {
				continue
			}
			if spec, ok := d.Find("FS"); ok {
				cs = append(cs, candidate{names: specNames(x, spec), spec: spec})
			}
		}
	}
	return cs
}

// readSpec decodes the embedded file of a file specification, bounded by
// MaxXMLBytes.
func readSpec(x *model.XRefTable, name string, spec types.Object) (string, []byte, error) {
	bad := func(reason string, err error) error {
		if err != nil {
			reason += ": " + err.Error()
		}
		return fmt.Errorf("%s: %w: %s", name, ErrBadXML, reason)
	}
	d, err := x.DereferenceDict(spec)
	if err != nil || d == nil {
		return "", nil, bad("file specification is not a dictionary", err)
	}
	o, ok := d.Find("EF")
	if !ok {
		return "", nil, bad("file specification has no embedded file", nil)
	}
	ef, err := x.DereferenceDict(o)
	if err != nil || ef == nil {
		return "", nil, bad("file specification has no embedded file", err)
	}
	stream, ok := ef.Find("F")
	if !ok {
		if stream, ok = ef.Find("UF"); !ok {
			return "", nil, bad("file specification has no embedded file", nil)
		}
	}
	sd, _, err := x.DereferenceStreamDict(stream)
	if err != nil || sd == nil {
		return "", nil, bad("embedded file is not a stream", err)
	}
	if err := sd.DecodeWithLimit(MaxXMLBytes); err != nil {
		return "", nil, bad("cannot decode embedded file", err)
	}
	return name, sd.Content, nil
}
