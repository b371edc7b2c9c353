package samplepdf

import (
	"bytes"
	"compress/flate"
	"compress/zlib"
	"encoding/binary"
	"fmt"
	"io"
)

// Bomb parts: where the inflating stream sits.
const (
	// BombObjectStream puts the catalog, the page tree and the factur-x.xml
	// file specification in an object stream padded with blanks, so that
	// reading the catalog inflates the whole stream.
	BombObjectStream = "objstm"
	// BombEmbeddedFile makes the factur-x.xml embedded file itself inflate,
	// an XML declaration followed by blanks.
	BombEmbeddedFile = "embedded"
)

// Bomb returns a small, well-formed PDF 1.7 with a cross-reference stream
// whose part (BombObjectStream or BombEmbeddedFile) is a Flate stream that
// inflates to inflated bytes. Blanks compress about a thousand to one, so
// 512 MiB fits in about half a megabyte. It exists to test decompression
// limits; Factur-X readers see an attachment named factur-x.xml.
func Bomb(part string, inflated int64) ([]byte, error) {
	if part != BombObjectStream && part != BombEmbeddedFile {
		return nil, fmt.Errorf("unknown bomb part %q", part)
	}
	const xmlHead = `<?xml version="1.0" encoding="UTF-8"?>` + "\n"
	objs := []string{
		"<< /Type /Catalog /Pages 3 0 R /Names << /EmbeddedFiles << /Names [(factur-x.xml) 4 0 R] >> >> /AF [4 0 R] >>",
		"<< /Type /Pages /Kids [7 0 R] /Count 1 >>",
		"<< /Type /Filespec /F (factur-x.xml) /UF (factur-x.xml) /AFRelationship /Data /EF << /F 6 0 R /UF 6 0 R >> >>",
		"<< /Type /Page /Parent 3 0 R /MediaBox [0 0 595 842] >>",
	}
	inStream := []int{2, 3, 4, 7} // object numbers of objs, in the object stream

	var body bytes.Buffer
	var prolog bytes.Buffer
	for i, o := range objs {
		fmt.Fprintf(&prolog, "%d %d ", inStream[i], body.Len())
		body.WriteString(o)
		body.WriteByte('\n')
	}
	first, used := prolog.Len(), int64(prolog.Len()+body.Len()) // the reader below drains both
	objStmLen := used
	if part == BombObjectStream {
		objStmLen = max(objStmLen, inflated)
	}
	objStm, err := deflated(io.MultiReader(&prolog, &body, blanks(objStmLen-used)))
	if err != nil {
		return nil, err
	}
	xmlLen := int64(len(xmlHead))
	if part == BombEmbeddedFile {
		xmlLen = max(xmlLen, inflated)
	}
	embedded, err := deflated(io.MultiReader(bytes.NewReader([]byte(xmlHead)), blanks(xmlLen-int64(len(xmlHead)))))
	if err != nil {
		return nil, err
	}

	out := bytes.NewBufferString("%PDF-1.7\n%\xe2\xe3\xcf\xd3\n")
	offsets := map[int]int{}
	offsets[1] = out.Len()
	fmt.Fprintf(out, "1 0 obj\n<< /Type /ObjStm /N %d /First %d /Filter /FlateDecode /Length %d >>\nstream\n",
		len(objs), first, len(objStm))
	out.Write(objStm)
	out.WriteString("\nendstream\nendobj\n")
	offsets[6] = out.Len()
	fmt.Fprintf(out, "6 0 obj\n<< /Type /EmbeddedFile /Subtype /text#2Fxml /Filter /FlateDecode /Length %d >>\nstream\n", len(embedded))
	out.Write(embedded)
	out.WriteString("\nendstream\nendobj\n")

	// The cross-reference stream, object 5: type, field 2 (offset or object
	// stream number), field 3 (generation or index), widths 1, 4, 2.
	const size = 8
	offsets[5] = out.Len()
	var xref bytes.Buffer
	entry := func(typ byte, f2 uint32, f3 uint16) {
		xref.WriteByte(typ)
		binary.Write(&xref, binary.BigEndian, f2) // writes to a bytes.Buffer do not fail
		binary.Write(&xref, binary.BigEndian, f3)
	}
	for n := 0; n < size; n++ {
		switch n {
		case 0:
			entry(0, 0, 0xffff)
		case 1, 5, 6:
			entry(1, uint32(offsets[n]), 0)
		default:
			for i, m := range inStream {
				if m == n {
					entry(2, 1, uint16(i))
				}
			}
		}
	}
	fmt.Fprintf(out, "5 0 obj\n<< /Type /XRef /Size %d /W [1 4 2] /Root 2 0 R /Length %d >>\nstream\n", size, xref.Len())
	out.Write(xref.Bytes())
	fmt.Fprintf(out, "\nendstream\nendobj\nstartxref\n%d\n%%%%EOF\n", offsets[5])
	return out.Bytes(), nil
}

// deflated returns r's bytes zlib-compressed, as /FlateDecode wants them.
func deflated(r io.Reader) ([]byte, error) {
	var z bytes.Buffer
	zw, err := zlib.NewWriterLevel(&z, flate.BestCompression)
	if err != nil {
		return nil, err
	}
	if _, err := io.Copy(zw, r); err != nil {
		return nil, err
	}
	if err := zw.Close(); err != nil {
		return nil, err
	}
	return z.Bytes(), nil
}

// blanks reads n spaces without holding them in memory.
func blanks(n int64) io.Reader {
	return io.LimitReader(spaces{}, max(n, 0))
}

type spaces struct{}

func (spaces) Read(p []byte) (int, error) {
	for i := range p {
		p[i] = ' '
	}
	return len(p), nil
}
