package facturx_test

import (
	"math/rand"
	"testing"
	"time"

	"github.com/efacture/efacture/shared/facturx"
	"github.com/efacture/efacture/shared/samplepdf"
)

func TestZZTime(t *testing.T) {
	inv := sampleInvoice(); inv.FacturX = samplepdf.ProfileBasicWL
	pdf, _ := samplepdf.Generate(inv)
	r := rand.New(rand.NewSource(1))
	var worst time.Duration
	var total time.Duration
	for i := 0; i < 2000; i++ {
		b := append([]byte(nil), pdf...)
		for k := 0; k < 1+r.Intn(8); k++ { b[r.Intn(len(b))] = byte(r.Intn(256)) }
		if r.Intn(4) == 0 { b = b[:r.Intn(len(b))] }
		s := time.Now()
		facturx.Extract(b)
		d := time.Since(s)
		total += d
		if d > worst { worst = d }
	}
	t.Logf("worst %v avg %v", worst, total/2000)
}
