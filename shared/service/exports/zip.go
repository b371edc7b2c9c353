package exports

import (
	"archive/zip"
	"context"
	"fmt"
	"io"
	"strings"
	"time"
	"unicode"

	"github.com/efacture/efacture/shared/domain/documents"
)

// IndexName is the CSV index's name inside a ZIP.
const IndexName = "index.csv"

// Opener opens an archived PDF for reading.
type Opener func(ctx context.Context, archiveKey string) (io.ReadCloser, error)

// WriteZIP streams a ZIP of docs' PDFs, then their CSV index, to w, reading one PDF at a
// time so memory stays flat whatever the total size.
func WriteZIP(ctx context.Context, w io.Writer, docs []documents.Document, open Opener, lang string, loc *time.Location, at time.Time) error {
	zw := zip.NewWriter(w)
	names := FileNames(docs)
	for i, d := range docs {
		if err := ctx.Err(); err != nil {
			return err
		}
		// PDFs are compressed already: storing them saves CPU for nothing lost.
		fw, err := zw.CreateHeader(&zip.FileHeader{Name: names[i], Method: zip.Store, Modified: d.IngestedAt.In(loc)})
		if err != nil {
			return err
		}
		rc, err := open(ctx, d.ArchiveKey)
		if err != nil {
			return fmt.Errorf("open %s: %w", d.Number, err)
		}
		_, err = io.Copy(fw, rc)
		rc.Close()
		if err != nil {
			return fmt.Errorf("copy %s: %w", d.Number, err)
		}
	}
	iw, err := zw.CreateHeader(&zip.FileHeader{Name: IndexName, Method: zip.Deflate, Modified: at.In(loc)})
	if err != nil {
		return err
	}
	t, err := NewTable(iw, lang, loc, true)
	if err != nil {
		return err
	}
	for i, d := range docs {
		if err := t.Add(d, names[i]); err != nil {
			return err
		}
	}
	if err := t.Flush(); err != nil {
		return err
	}
	return zw.Close()
}

// FileNames names each document's PDF in a ZIP after its number, with characters that
// archive tools treat as paths or reject replaced, and a suffix where two names meet.
func FileNames(docs []documents.Document) []string {
	names := make([]string, len(docs))
	used := map[string]bool{strings.ToLower(IndexName): true}
	for i, d := range docs {
		base := strings.Map(func(r rune) rune {
			if unicode.IsControl(r) || strings.ContainsRune(`/\:*?"<>|`, r) {
				return '_'
			}
			return r
		}, strings.TrimSpace(d.Number))
		base = strings.TrimLeft(base, ".")
		if base == "" {
			base = "document"
		}
		name := base + ".pdf"
		for n := 2; used[strings.ToLower(name)]; n++ {
			name = fmt.Sprintf("%s-%d.pdf", base, n)
		}
		used[strings.ToLower(name)] = true
		names[i] = name
	}
	return names
}
