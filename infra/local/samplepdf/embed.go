package samplepdf

import (
	"bytes"
	"compress/zlib"
	"crypto/md5"
	"errors"
	"fmt"
	"regexp"
	"sort"
	"strconv"
	"strings"
	"time"
)

// attachment is the Factur-X XML and what its file specification says.
type attachment struct {
	name       string
	content    []byte
	profile    string
	modified   time.Time
	title      string
	annotation bool // attach to the page rather than to the document
}

// fpdfTrailer matches the classic trailer fpdf writes at the end of a file.
var fpdfTrailer = regexp.MustCompile(`trailer\n<<\n/Size (\d+)\n/Root (\d+) 0 R\n/Info (\d+) 0 R\n>>\nstartxref\n(\d+)\n%%EOF\n$`)

// appendFacturX adds the XML to a PDF written by fpdf as an incremental
// update: an embedded file stream, a file specification with AFRelationship,
// XMP metadata naming the Factur-X profile, and a catalog that references
// them through /Names /EmbeddedFiles and /AF. fpdf itself can embed files but
// writes no /AF, no /AFRelationship, no file name in /F and no name-tree key
// matching the file, all of which Factur-X readers look for; its attachment
// annotations carry an inline stream that strict readers drop with the page.
// With a.annotation the file is instead referenced from a FileAttachment
// annotation added to the first page.
func appendFacturX(pdf []byte, a attachment) ([]byte, error) {
	m := fpdfTrailer.FindSubmatch(pdf)
	if m == nil {
		return nil, errors.New("unexpected trailer layout")
	}
	size, _ := strconv.Atoi(string(m[1]))
	root, _ := strconv.Atoi(string(m[2]))
	info, _ := strconv.Atoi(string(m[3]))
	prevXref := string(m[4])

	// File specification /UF and associated files need PDF 1.7. The header
	// keeps its length, so every offset fpdf wrote stays right.
	if !bytes.HasPrefix(pdf, []byte("%PDF-1.")) {
		return nil, errors.New("unexpected header")
	}
	pdf = append([]byte("%PDF-1.7"), pdf[len("%PDF-1.7"):]...)

	out := bytes.NewBuffer(pdf)
	offsets := map[int]int{}
	next := size
	begin := func(n int) {
		offsets[n] = out.Len()
		fmt.Fprintf(out, "%d 0 obj\n", n)
	}
	newObj := func() int {
		next++
		return next - 1
	}

	// The embedded file: compressed, with size, checksum and date as PDF/A-3 wants.
	var z bytes.Buffer
	zw := zlib.NewWriter(&z)
	zw.Write(a.content) // writes to a bytes.Buffer do not fail
	zw.Close()
	sum := md5.Sum(a.content)
	fileObj := newObj()
	begin(fileObj)
	fmt.Fprintf(out, "<< /Type /EmbeddedFile /Subtype /text#2Fxml /Filter /FlateDecode /Length %d\n"+
		"/Params << /Size %d /CheckSum <%X> /ModDate %s >> >>\nstream\n",
		z.Len(), len(a.content), sum[:], pdfString(pdfDate(a.modified)))
	out.Write(z.Bytes())
	out.WriteString("\nendstream\nendobj\n")

	// AFRelationship only means something for a file listed in /AF.
	rel := ""
	if !a.annotation {
		rel = " /AFRelationship /" + afRelationship(a.profile)
	}
	specObj := newObj()
	begin(specObj)
	fmt.Fprintf(out, "<< /Type /Filespec /F %s /UF %s /Desc %s%s\n/EF << /F %d 0 R /UF %d 0 R >> >>\nendobj\n",
		pdfString(a.name), pdfString(a.name), pdfString("Factur-X "+a.profile), rel, fileObj, fileObj)

	if a.annotation {
		page, entries, err := firstPage(pdf)
		if err != nil {
			return nil, err
		}
		annotObj := newObj()
		begin(annotObj)
		fmt.Fprintf(out, "<< /Type /Annot /Subtype /FileAttachment /Rect [30 30 44 48] /Name /PushPin\n"+
			"/Contents %s /FS %d 0 R /F 4 >>\nendobj\n", pdfString(a.name), specObj)
		begin(page)
		fmt.Fprintf(out, "<<%s\n/Annots [%d 0 R]\n>>\nendobj\n", entries, annotObj)
	} else {
		catalog, err := catalogEntries(pdf, root)
		if err != nil {
			return nil, err
		}
		xmp := xmpMetadata(a)
		metaObj := newObj()
		begin(metaObj)
		fmt.Fprintf(out, "<< /Type /Metadata /Subtype /XML /Length %d >>\nstream\n", len(xmp))
		out.Write(xmp)
		out.WriteString("\nendstream\nendobj\n")

		begin(root)
		fmt.Fprintf(out, "<<\n%s\n/Names << /EmbeddedFiles << /Names [%s %d 0 R] >> >>\n/AF [%d 0 R]\n/Metadata %d 0 R\n>>\nendobj\n",
			catalog, pdfString(a.name), specObj, specObj, metaObj)
	}

	xref := out.Len()
	out.WriteString("xref\n")
	writeXrefSections(out, offsets)
	fmt.Fprintf(out, "trailer\n<<\n/Size %d\n/Root %d 0 R\n/Info %d 0 R\n/Prev %s\n>>\nstartxref\n%d\n%%%%EOF\n",
		next, root, info, prevXref, xref)
	return out.Bytes(), nil
}

// catalogEntries returns the entries fpdf wrote in the catalog, without its
// /Names dictionary, which appendFacturX replaces.
func catalogEntries(pdf []byte, root int) (string, error) {
	head := fmt.Sprintf("\n%d 0 obj\n<<\n", root)
	start := bytes.LastIndex(pdf, []byte(head))
	if start < 0 {
		return "", fmt.Errorf("catalog object %d not found", root)
	}
	body := pdf[start+len(head):]
	end := bytes.Index(body, []byte("\n/Names <<"))
	if end < 0 {
		return "", fmt.Errorf("catalog object %d has no /Names entry", root)
	}
	entries := string(body[:end])
	if !strings.Contains(entries, "/Type /Catalog") {
		return "", fmt.Errorf("object %d is not a catalog", root)
	}
	return entries, nil
}

// fpdfPage matches the first page object fpdf writes.
var fpdfPage = regexp.MustCompile(`\n(\d+) 0 obj\n<<(/Type /Page\n(?s:.*?))>>\nendobj\n`)

// firstPage returns the number and entries of the first page object.
func firstPage(pdf []byte) (int, string, error) {
	m := fpdfPage.FindSubmatch(pdf)
	if m == nil {
		return 0, "", errors.New("page object not found")
	}
	if bytes.Contains(m[2], []byte("/Annots")) {
		return 0, "", errors.New("page already has annotations")
	}
	n, _ := strconv.Atoi(string(m[1]))
	return n, string(m[2]), nil
}

// writeXrefSections writes one subsection per run of consecutive objects.
func writeXrefSections(out *bytes.Buffer, offsets map[int]int) {
	nums := make([]int, 0, len(offsets))
	for n := range offsets {
		nums = append(nums, n)
	}
	sort.Ints(nums)
	for i := 0; i < len(nums); {
		j := i + 1
		for j < len(nums) && nums[j] == nums[j-1]+1 {
			j++
		}
		fmt.Fprintf(out, "%d %d\n", nums[i], j-i)
		for _, n := range nums[i:j] {
			fmt.Fprintf(out, "%010d 00000 n \n", offsets[n])
		}
		i = j
	}
}

// afRelationship follows Factur-X: MINIMUM and BASIC WL are not full invoices,
// so their XML is only Data; richer profiles are an Alternative to the page.
func afRelationship(profile string) string {
	if profile == ProfileMinimum || profile == ProfileBasicWL {
		return "Data"
	}
	return "Alternative"
}

func pdfDate(t time.Time) string {
	return "D:" + t.UTC().Format("20060102150405") + "+00'00'"
}

// pdfString writes s as a PDF literal string, or as UTF-16BE hex when it
// holds anything beyond printable ASCII.
func pdfString(s string) string {
	ascii := true
	for i := 0; i < len(s); i++ {
		if s[i] < 0x20 || s[i] > 0x7e {
			ascii = false
			break
		}
	}
	if ascii {
		r := strings.NewReplacer(`\`, `\\`, `(`, `\(`, `)`, `\)`)
		return "(" + r.Replace(s) + ")"
	}
	var b strings.Builder
	b.WriteString("<FEFF")
	for _, r := range s {
		if r >= 0x10000 {
			r -= 0x10000
			fmt.Fprintf(&b, "%04X%04X", 0xD800+(r>>10), 0xDC00+(r&0x3FF))
			continue
		}
		fmt.Fprintf(&b, "%04X", r)
	}
	b.WriteString(">")
	return b.String()
}

// xmpMetadata names the Factur-X document and profile in the fx: schema that
// Factur-X readers consult. It claims no PDF/A conformance: fpdf's core fonts
// are not embedded, so the file is not PDF/A-3.
func xmpMetadata(a attachment) []byte {
	esc := escape
	return []byte(`<?xpacket begin="` + "\ufeff" + `" id="W5M0MpCehiHzreSzNTczkc9d"?>
<x:xmpmeta xmlns:x="adobe:ns:meta/">
 <rdf:RDF xmlns:rdf="http://www.w3.org/1999/02/22-rdf-syntax-ns#">
  <rdf:Description rdf:about="" xmlns:dc="http://purl.org/dc/elements/1.1/">
   <dc:title><rdf:Alt><rdf:li xml:lang="x-default">` + esc(a.title) + `</rdf:li></rdf:Alt></dc:title>
  </rdf:Description>
  <rdf:Description rdf:about="" xmlns:xmp="http://ns.adobe.com/xap/1.0/">
   <xmp:CreateDate>` + a.modified.UTC().Format(time.RFC3339) + `</xmp:CreateDate>
  </rdf:Description>
  <rdf:Description rdf:about="" xmlns:fx="urn:factur-x:pdfa:CrossIndustryDocument:invoice:1p0#">
   <fx:DocumentType>INVOICE</fx:DocumentType>
   <fx:DocumentFileName>` + esc(a.name) + `</fx:DocumentFileName>
   <fx:Version>1.0</fx:Version>
   <fx:ConformanceLevel>` + esc(a.profile) + `</fx:ConformanceLevel>
  </rdf:Description>
 </rdf:RDF>
</x:xmpmeta>
<?xpacket end="w"?>`)
}
