package app_test

import (
	"context"
	"fmt"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/aws/aws-lambda-go/events"
	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/smithy-go/middleware"

	"github.com/efacture/efacture/shared/app"
	"github.com/efacture/efacture/shared/facturx"
)

// callCounter counts AWS operations by name, as a middleware on every client.
type callCounter struct {
	mu    sync.Mutex
	ops   map[string]int
	total atomic.Int64
}

func (c *callCounter) install(cfg *aws.Config) {
	cfg.APIOptions = append(cfg.APIOptions, func(st *middleware.Stack) error {
		return st.Initialize.Add(middleware.InitializeMiddlewareFunc("count", func(ctx context.Context, in middleware.InitializeInput, next middleware.InitializeHandler) (middleware.InitializeOutput, middleware.Metadata, error) {
			c.mu.Lock()
			c.ops[middleware.GetOperationName(ctx)]++
			c.mu.Unlock()
			c.total.Add(1)
			return next.HandleInitialize(ctx, in)
		}), middleware.After)
	})
}

// BenchmarkIngestDocument measures one document through the ingest handler (its SQS
// message already received), against moto, and the AWS calls it makes. The mode
// sub-benchmarks add the per-document notification's outbox record.
func BenchmarkIngestDocument(b *testing.B) {
	for _, mode := range []string{"none", "attachment"} {
		b.Run(mode, func(b *testing.B) {
			p := newPipeline(b)
			p.put("inbox/acme/customers/c.csv", []byte("customer_number,email,notification\nC1,un@example.fr,"+mode+"\n"), nil)
			p.ingestAll()
			counter := &callCounter{ops: map[string]int{}}
			cfg := p.aws.Config.Copy()
			counter.install(&cfg)
			svc := app.IngestService(p.env, app.NewClients(cfg, p.aws.SESConfig), facturx.ReadForIngest, app.Options{Now: func() time.Time { return p.now }})
			handler := app.Ingest(svc)
			ingestOne := func(n string) {
				p.put("inbox/acme/documents/"+n+".pdf", pdfFor(b, n, "Un"), meta("C1", n))
				batch := p.receive()
				b.StartTimer()
				resp, err := handler(context.Background(), events.SQSEvent{Records: batch})
				b.StopTimer()
				if err != nil || len(resp.BatchItemFailures) > 0 {
					b.Fatalf("ingest failed: %v %+v", err, resp)
				}
			}
			b.StopTimer()
			ingestOne("warm-up") // creates the account: not the steady state
			counter.total.Store(0)
			counter.ops = map[string]int{}
			b.ResetTimer()
			for i := 0; i < b.N; i++ {
				ingestOne(fmt.Sprintf("B-%d", i))
			}
			b.ReportMetric(float64(counter.total.Load())/float64(b.N), "awscalls/doc")
			b.Logf("calls: %v", counter.ops)
		})
	}
}
