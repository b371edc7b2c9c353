// Package mailcmd is the mail command: it lists the dead mails of a deployment's outbox
// and re-drives them once the cause is fixed (PRODUCT.md §10). go run ./infra/mail and
// go run ./infra/ops mail both run it.
package mailcmd

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"slices"
	"text/tabwriter"
	"time"

	"github.com/efacture/efacture/shared/app"
	"github.com/efacture/efacture/shared/aws/dynamo"
	"github.com/efacture/efacture/shared/domain/outbox"
)

// Outbox is what the commands need of the outbox table (package dynamo).
type Outbox interface {
	DeadRecords(ctx context.Context, space string) ([]outbox.Record, error)
	Redrive(ctx context.Context, key string, due time.Time) error
}

const usage = `usage:
  mail dead [-table NAME] [-space S]          list dead mails: id, recipient, kind, when, last error
  mail redrive [-table NAME] (-id ID | -all)  make dead mails pending, due now; the re-drive
                                              schedule sends them within a minute

The table defaults to $OUTBOX_TABLE. Exit status: 0 done, 1 failed, 2 bad usage.
`

// Open returns the outbox of a table name through the default AWS configuration
// (AWS_ENDPOINT_URL points it at an emulator, as it does every SDK client).
func Open(table string) (Outbox, error) {
	clients, err := app.LoadClients(context.Background())
	if err != nil {
		return nil, err
	}
	return dynamo.New(clients.DynamoDB, dynamo.Tables{Outbox: table}, nil), nil
}

// Run is the command on args (dead … or redrive …); open returns the outbox of a table
// name. It returns the exit status: 0 done, 1 failed, 2 bad usage.
func Run(ctx context.Context, args []string, getenv func(string) string, stdout, stderr io.Writer, open func(string) (Outbox, error)) int {
	if len(args) == 0 || args[0] == "-h" || args[0] == "-help" || args[0] == "--help" || args[0] == "help" {
		fmt.Fprint(stderr, usage)
		if len(args) == 0 {
			return 2
		}
		return 0
	}
	cmd := args[0]
	fs := flag.NewFlagSet("mail "+cmd, flag.ContinueOnError)
	fs.SetOutput(stderr)
	fs.Usage = func() { fmt.Fprint(stderr, usage) }
	table := fs.String("table", getenv("OUTBOX_TABLE"), "outbox table name (default $OUTBOX_TABLE)")
	var space, id *string
	var all *bool
	switch cmd {
	case "dead":
		space = fs.String("space", "", "list this space's dead mails only")
	case "redrive":
		id = fs.String("id", "", "the dead mail to re-drive (its outbox key, as dead lists it)")
		all = fs.Bool("all", false, "re-drive every dead mail")
	default:
		fmt.Fprintf(stderr, "mail: unknown command %q\n\n%s", cmd, usage)
		return 2
	}
	if err := fs.Parse(args[1:]); err != nil {
		if errors.Is(err, flag.ErrHelp) {
			return 0
		}
		return 2
	}
	if fs.NArg() > 0 {
		fmt.Fprintf(stderr, "mail %s: unexpected argument %q\n", cmd, fs.Arg(0))
		return 2
	}
	if *table == "" {
		fmt.Fprintln(stderr, "mail: no outbox table: set OUTBOX_TABLE or pass -table")
		return 2
	}
	if cmd == "redrive" && (*id == "") == !*all {
		fmt.Fprintln(stderr, "mail redrive: give exactly one of -id ID and -all")
		return 2
	}
	box, err := open(*table)
	if err != nil {
		fmt.Fprintln(stderr, "mail:", err)
		return 1
	}
	if cmd == "dead" {
		err = listDead(ctx, box, *space, stdout)
	} else {
		err = redrive(ctx, box, *id, stdout)
	}
	if err != nil {
		fmt.Fprintf(stderr, "mail %s: %v\n", cmd, err)
		return 1
	}
	return 0
}

func deadRecords(ctx context.Context, box Outbox, space string) ([]outbox.Record, error) {
	recs, err := box.DeadRecords(ctx, space)
	slices.SortFunc(recs, func(a, b outbox.Record) int { return a.Due.Compare(b.Due) })
	return recs, err
}

func listDead(ctx context.Context, box Outbox, space string, out io.Writer) error {
	recs, err := deadRecords(ctx, box, space)
	if err != nil {
		return err
	}
	w := tabwriter.NewWriter(out, 0, 4, 2, ' ', 0)
	fmt.Fprintln(w, "ID\tRECIPIENT\tKIND\tDEAD SINCE\tATTEMPTS\tLAST ERROR")
	for _, r := range recs {
		fmt.Fprintf(w, "%s\t%s\t%s\t%s\t%d\t%s\n", r.Key, r.To, r.Kind, r.Due.UTC().Format(time.RFC3339), r.Attempts, r.LastError)
	}
	if err := w.Flush(); err != nil {
		return err
	}
	fmt.Fprintf(out, "%d dead\n", len(recs))
	return nil
}

// redrive re-drives one dead mail by id, or every dead mail when id is empty.
func redrive(ctx context.Context, box Outbox, id string, out io.Writer) error {
	keys := []string{id}
	if id == "" {
		recs, err := deadRecords(ctx, box, "")
		if err != nil {
			return err
		}
		keys = keys[:0]
		for _, r := range recs {
			keys = append(keys, r.Key)
		}
	}
	now := time.Now()
	done := 0
	for _, k := range keys {
		err := box.Redrive(ctx, k, now)
		if errors.Is(err, outbox.ErrNotPending) {
			if id != "" {
				return fmt.Errorf("%s is not a dead mail (unknown, pending or sent)", k)
			}
			continue // sent or re-driven meanwhile
		}
		if err != nil {
			return fmt.Errorf("%s: %w (%d re-driven before it)", k, err, done)
		}
		done++
		fmt.Fprintf(out, "re-driven %s\n", k)
	}
	fmt.Fprintf(out, "%d re-driven; the re-drive schedule sends them within a minute\n", done)
	return nil
}
