package customers

import (
	"bytes"
	"fmt"
	"io"
	"reflect"
	"runtime"
	"strings"
	"testing"
)

// readAll reads data with one Reader, or with a new Reader at every row when resume is
// set, as invocations that each apply one row would.
func readAll(t *testing.T, format string, data []byte, resume bool) (rows []Row, errs []RowError) {
	t.Helper()
	r, err := NewReader(format, bytes.NewReader(data), Position{})
	if err != nil {
		t.Fatal(err)
	}
	for {
		row, e, err := r.Next()
		if err == io.EOF {
			return rows, errs
		}
		if err != nil {
			t.Fatal(err)
		}
		errs = append(errs, e...)
		if row.Line > 0 {
			rows = append(rows, row)
		}
		if resume {
			if r.AtEnd() {
				return rows, errs
			}
			at := r.Position()
			if r, err = NewReader(format, bytes.NewReader(data[at.Offset:]), at); err != nil {
				t.Fatal(err)
			}
		}
	}
}

func TestReaderResumes(t *testing.T) {
	cases := []struct {
		format, body string
		lines        []int // of rows
		errLines     []int
	}{
		{FormatCSV, "\ufeffcustomer_number;company_name\r\nC1;Un\r\n\r\nC2;\"Deux\nlignes\"\r\nC3;Tr\"ois\nC4;Quatre\n;Sans\nC5;\"Cinq\"", []int{2, 4, 7, 9}, []int{6, 8}},
		{FormatCSV, "Company_Name,CUSTOMER_NUMBER\n\"A, B\",C1\nX,C2", []int{2, 3}, nil},
		{FormatJSONL, "\ufeff{\"customer_number\":\"C1\"}\n\nnot json\r\n{\"customer_number\":\"C2\",\"siren\":true}\n{\"customer_number\":\"C3\"}", []int{1, 4, 5}, []int{3, 4}},
	}
	for i, c := range cases {
		t.Run(fmt.Sprint(i), func(t *testing.T) {
			whole, wholeErrs := readAll(t, c.format, []byte(c.body), false)
			pieces, pieceErrs := readAll(t, c.format, []byte(c.body), true)
			if !reflect.DeepEqual(whole, pieces) || !reflect.DeepEqual(wholeErrs, pieceErrs) {
				t.Errorf("resumed reading differs:\n%+v %+v\n%+v %+v", whole, wholeErrs, pieces, pieceErrs)
			}
			var lines, errLines []int
			for _, r := range whole {
				lines = append(lines, r.Line)
			}
			for _, e := range wholeErrs {
				errLines = append(errLines, e.Line)
			}
			if !reflect.DeepEqual(lines, c.lines) || !reflect.DeepEqual(errLines, c.errLines) {
				t.Errorf("lines: got rows %v errors %v (%+v), want %v %v", lines, errLines, wholeErrs, c.lines, c.errLines)
			}
		})
	}
}

func TestReaderUnclosedQuote(t *testing.T) {
	body := "customer_number,company_name\nC1,Un\nC2,\"" + strings.Repeat("x\n", MaxRowBytes) + "\nC3,Trois\n"
	rows, errs := readAll(t, FormatCSV, []byte(body), false)
	if len(rows) != 1 || len(errs) != 1 || errs[0].Line != 3 {
		t.Errorf("got rows %+v errors %+v, want C1 then one error at line 3", rows, errs)
	}
}

// generated is a referential of n rows made as it is read, so the test holds no file.
type generated struct {
	n, next int
	buf     bytes.Buffer
}

func (g *generated) Read(p []byte) (int, error) {
	for g.buf.Len() < len(p) && g.next <= g.n {
		if g.next == 0 {
			g.buf.WriteString("customer_number;company_name;siren;email;notification;delivery;language\n")
		} else {
			fmt.Fprintf(&g.buf, "C%07d;Société numéro %d;;client%d@example.fr;link;electronic;fr\n", g.next, g.next, g.next)
		}
		g.next++
	}
	if g.buf.Len() == 0 {
		return 0, io.EOF
	}
	return g.buf.Read(p)
}

// TestReaderMemoryBounded reads a 200,000-row referential (about 17 MB) and checks that
// the heap never grows by more than a bound unrelated to the file's size (PRODUCT.md §10).
func TestReaderMemoryBounded(t *testing.T) {
	const rows, bound = 200_000, 64 << 20
	var ms runtime.MemStats
	runtime.GC()
	runtime.ReadMemStats(&ms)
	base, peak := ms.HeapAlloc, ms.HeapAlloc
	g := &generated{n: rows}
	r, err := NewReader(FormatCSV, g, Position{})
	if err != nil {
		t.Fatal(err)
	}
	n := 0
	for {
		row, errs, err := r.Next()
		if err == io.EOF {
			break
		}
		if err != nil || len(errs) > 0 {
			t.Fatalf("row %d: %v %v", n, err, errs)
		}
		n++
		if row.Line != n+1 {
			t.Fatalf("row %d: line %d", n, row.Line)
		}
		if n%20_000 == 0 {
			runtime.ReadMemStats(&ms)
			peak = max(peak, ms.HeapAlloc)
		}
	}
	if n != rows {
		t.Fatalf("read %d rows, want %d", n, rows)
	}
	growth := int64(peak) - int64(base)
	t.Logf("%d rows, %.1f MB read: heap growth at most %.1f MiB (bound %d MiB)", n, float64(r.Position().Offset)/1e6, float64(growth)/(1<<20), bound>>20)
	if growth > bound {
		t.Errorf("heap grew by %d bytes reading %d rows, want under %d", growth, rows, bound)
	}
}
