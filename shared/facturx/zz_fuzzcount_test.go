package facturx_test

import (
	"fmt"
	"os"
	"testing"
	"time"

	"github.com/efacture/efacture/shared/facturx"
	"github.com/efacture/efacture/shared/samplepdf"
)

var zzCount int
var zzWorst time.Duration

func FuzzZZExtract(f *testing.F) {
	inv := sampleInvoice(); inv.FacturX = samplepdf.ProfileMinimum
	pdf, _ := samplepdf.Generate(inv)
	f.Add(pdf)
	f.Fuzz(func(t *testing.T, pdf []byte) {
		s := time.Now()
		facturx.Extract(pdf)
		if d := time.Since(s); d > zzWorst { zzWorst = d }
		zzCount++
		if zzCount%200 == 0 {
			os.WriteFile("/tmp/fxscratch/fuzzcount", []byte(fmt.Sprint(zzCount, " ", zzWorst, " ", len(pdf))), 0o644)
		}
	})
}
