package customers

import (
	"bufio"
	"bytes"
	"crypto/sha256"
	"encoding/csv"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"strings"
)

// Referential formats, named by their file extension.
const (
	FormatCSV   = "csv"
	FormatJSONL = "jsonl"
)

// MaxRowBytes bounds one row (a JSONL line, a CSV record with its quoted line breaks), so
// that memory stays bounded whatever the file holds (PRODUCT.md §10).
const MaxRowBytes = 1 << 20

// Position is where the reading of a referential stands: the byte offset of the next
// unread row and the number of lines before it, with what the CSV header said. A later
// invocation resumes from it with a ranged read (PRODUCT.md §10).
type Position struct {
	Offset int64    `json:"offset"`
	Lines  int      `json:"lines"`
	Header []string `json:"header,omitempty"` // CSV columns in file order: known names lower-cased, others ""
	Comma  string   `json:"comma,omitempty"`
}

// Reader reads a referential one row at a time from a stream, holding at most one row.
type Reader struct {
	format string
	src    *capReader
	br     *bufio.Reader
	csv    *csv.Reader
	index  map[string]int
	start  int64 // offset of the first byte the CSV reader sees
	lines  int   // lines before that byte
	pos    Position
	done   bool
}

// capReader fails once more than max bytes pass without a reset: a row that never ends
// (an unclosed quote) cannot fill memory.
type capReader struct {
	r      io.Reader
	n, max int64
	err    error // the underlying reader's last error other than EOF
}

var errRowTooLong = errors.New("row too long")

func (c *capReader) Read(p []byte) (int, error) {
	if c.n >= c.max {
		return 0, errRowTooLong
	}
	if int64(len(p)) > c.max-c.n {
		p = p[:c.max-c.n]
	}
	n, err := c.r.Read(p)
	c.n += int64(n)
	if err != nil && err != io.EOF {
		c.err = err
	}
	return n, err
}

const readBuffer = 64 << 10

// NewReader reads a referential of format (FormatCSV or FormatJSONL) from r, which starts
// at position at: the file's start (the zero Position) or a Position an earlier Reader
// returned. At the file's start a CSV header is read; a file-level problem (no header, no
// customer_number column) is an error.
func NewReader(format string, r io.Reader, at Position) (*Reader, error) {
	src := &capReader{r: r, max: MaxRowBytes + readBuffer}
	rd := &Reader{format: format, src: src, br: bufio.NewReaderSize(src, readBuffer), pos: at}
	if at.Offset == 0 {
		if b, err := rd.br.Peek(3); err == nil && string(b) == "\ufeff" {
			rd.br.Discard(3)
			rd.pos.Offset = 3
		}
	}
	switch format {
	case FormatJSONL:
		return rd, nil
	case FormatCSV:
	default:
		return nil, fmt.Errorf("unknown referential format %q", format)
	}
	if at.Offset == 0 {
		rd.pos.Comma = string(detectComma(rd.br))
	}
	rd.start, rd.lines = rd.pos.Offset, rd.pos.Lines
	// bufio.NewReader inside csv.NewReader keeps rd.br as it is, so peeking at rd.br
	// tells what csv reads next.
	rd.csv = csv.NewReader(rd.br)
	rd.csv.Comma = []rune(rd.pos.Comma)[0]
	rd.csv.FieldsPerRecord = -1
	rd.csv.TrimLeadingSpace = true
	rd.csv.ReuseRecord = true
	if at.Offset == 0 {
		header, err := rd.csv.Read()
		if err != nil {
			return nil, fmt.Errorf("no header row: %w", err)
		}
		rd.pos.Header = make([]string, len(header))
		for i, h := range header {
			// Other columns are kept as "": the position is saved, and must stay small.
			if h = strings.ToLower(strings.TrimSpace(h)); containsString(columns, h) {
				rd.pos.Header[i] = h
			}
		}
		if !containsString(rd.pos.Header, "customer_number") {
			return nil, fmt.Errorf("header has no customer_number column (found: %s)", strings.Join(header, ", "))
		}
		rd.advance(recordEnd(rd.csv, header))
	}
	rd.index = map[string]int{}
	for i, h := range rd.pos.Header {
		if _, dup := rd.index[h]; !dup {
			rd.index[h] = i
		}
	}
	return rd, nil
}

func containsString(list []string, s string) bool {
	for _, v := range list {
		if v == s {
			return true
		}
	}
	return false
}

// detectComma picks `;` when the first line has more of them than of `,`.
func detectComma(br *bufio.Reader) rune {
	first, _ := br.Peek(readBuffer)
	first, _, _ = bytes.Cut(first, []byte("\n"))
	if bytes.Count(first, []byte(";")) > bytes.Count(first, []byte(",")) {
		return ';'
	}
	return ','
}

// advance moves the position past what the CSV reader consumed, lastLine being the last
// line it read, counted from where this Reader started.
func (r *Reader) advance(lastLine int) {
	r.pos.Offset = r.start + r.csv.InputOffset()
	r.pos.Lines = r.lines + lastLine
	r.src.n = int64(r.br.Buffered())
}

// recordEnd is the line a record just read ends on: quoted fields may hold line breaks.
func recordEnd(cr *csv.Reader, rec []string) int {
	start, _ := cr.FieldPos(0)
	for _, f := range rec {
		start += strings.Count(f, "\n")
	}
	return start
}

// Position is where the next row starts.
func (r *Reader) Position() Position { return r.pos }

// AtEnd reports whether nothing but the end of the file follows.
func (r *Reader) AtEnd() bool {
	if r.done {
		return true
	}
	_, err := r.br.Peek(1)
	return err == io.EOF
}

// ReadError is the error of the stream under a Reader (a network failure), which a retry
// may overcome, as opposed to what the file holds.
func (r *Reader) ReadError() error { return r.src.err }

// Next returns the next row, or with Row.Line == 0 only the errors of a refused line, or
// io.EOF at the end. Another error comes from the stream itself (see ReadError).
func (r *Reader) Next() (Row, []RowError, error) {
	if r.done {
		return Row{}, nil, io.EOF
	}
	if r.format == FormatJSONL {
		return r.nextJSONL()
	}
	return r.nextCSV()
}

func (r *Reader) nextCSV() (Row, []RowError, error) {
	for {
		rec, err := r.csv.Read()
		if err == io.EOF {
			r.done = true
			return Row{}, nil, io.EOF
		}
		if err != nil && r.src.err != nil {
			return Row{}, nil, r.src.err
		}
		if err != nil {
			var pe *csv.ParseError
			if errors.As(err, &pe) && pe.Line > 0 {
				r.advance(pe.Line)
				abs := *pe // lines of the file, not of this Reader's part of it
				abs.StartLine += r.lines
				abs.Line += r.lines
				return Row{}, []RowError{{Line: abs.StartLine, Reason: abs.Error()}}, nil
			}
			// Not a line problem: nothing further can be read.
			r.done = true
			reason := err.Error()
			if errors.Is(err, errRowTooLong) {
				reason = fmt.Sprintf("a row is longer than %d bytes (an unclosed quote?); the rest of the file is not read", MaxRowBytes)
			}
			return Row{}, []RowError{{Line: r.pos.Lines + 1, Reason: reason}}, nil
		}
		start, _ := r.csv.FieldPos(0)
		line := r.lines + start
		r.advance(recordEnd(r.csv, rec))
		if len(rec) == 1 && strings.TrimSpace(rec[0]) == "" {
			continue
		}
		fields := map[string]string{}
		for _, c := range columns {
			if i, ok := r.index[c]; ok && i < len(rec) {
				fields[c] = rec[i]
			}
		}
		return rowOf(line, fields, nil)
	}
}

func (r *Reader) nextJSONL() (Row, []RowError, error) {
	for {
		text, n, tooLong, err := r.readLine()
		if err == io.EOF && n == 0 {
			r.done = true
			return Row{}, nil, io.EOF
		}
		if err != nil && err != io.EOF {
			return Row{}, nil, err
		}
		r.pos.Offset += int64(n)
		r.pos.Lines++
		line := r.pos.Lines
		if tooLong {
			return Row{}, []RowError{{Line: line, Reason: fmt.Sprintf("the line is longer than %d bytes", MaxRowBytes)}}, nil
		}
		text = bytes.TrimSpace(text)
		if len(text) == 0 {
			continue
		}
		var obj map[string]any
		if err := json.Unmarshal(text, &obj); err != nil {
			return Row{}, []RowError{{Line: line, Reason: "not a JSON object: " + err.Error()}}, nil
		}
		var errs []RowError
		fields := map[string]string{}
		for k, v := range obj {
			k = strings.ToLower(k)
			switch v := v.(type) {
			case string:
				fields[k] = v
			case float64:
				fields[k] = strings.TrimSuffix(fmt.Sprintf("%f", v), ".000000")
			case nil:
			default:
				errs = append(errs, RowError{Line: line, Reason: fmt.Sprintf("%s: want a string", k)})
			}
		}
		return rowOf(line, fields, errs)
	}
}

// readLine returns one line without its end and the bytes it took; a line over
// MaxRowBytes is skipped to its end and reported as tooLong.
func (r *Reader) readLine() (text []byte, n int, tooLong bool, err error) {
	var buf []byte
	for {
		r.src.n = int64(r.br.Buffered())
		chunk, err := r.br.ReadSlice('\n')
		n += len(chunk)
		if !tooLong {
			if len(buf)+len(chunk) > MaxRowBytes+2 {
				tooLong, buf = true, nil
			} else {
				buf = append(buf, chunk...)
			}
		}
		if err == bufio.ErrBufferFull {
			continue
		}
		if r.src.err != nil {
			return nil, 0, false, r.src.err
		}
		return buf, n, tooLong, err
	}
}

// rowOf makes a row of a line's fields, or its errors.
func rowOf(line int, fields map[string]string, errs []RowError) (Row, []RowError, error) {
	c, reason := rowCustomer(fields)
	if reason != "" {
		return Row{}, append(errs, RowError{Line: line, Reason: reason}), nil
	}
	return Row{Line: line, Customer: c}, errs, nil
}

// RowHash identifies what a referential row sets on a customer: a row whose hash is the
// one stored on the customer changes nothing and is skipped (PRODUCT.md §10).
func (c Customer) RowHash() string {
	h := sha256.New()
	for _, f := range []string{"v1", c.Number, c.CompanyName, c.SIREN, c.Email, c.Notification, c.Delivery, c.Language} {
		h.Write([]byte(f))
		h.Write([]byte{0})
	}
	return hex.EncodeToString(h.Sum(nil)[:16])
}
