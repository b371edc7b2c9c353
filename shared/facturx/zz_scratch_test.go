package facturx_test

import (
	"os"
	"testing"

	"github.com/efacture/efacture/shared/facturx"
)

func TestScratch(t *testing.T) {
	for _, f := range []string{"fx", "plain", "annot"} {
		b, _ := os.ReadFile("/tmp/fxscratch/" + f + ".pdf")
		inv, err := facturx.Extract(b)
		t.Logf("%s: %+v %v", f, inv, err)
	}
}
