// Package staffcmd creates the supplier console's staff members (PRODUCT.md §11): it
// prints the member's one-time set-password link and the TOTP enrolment URI. Both
// `go run ./infra/staff add …` and `go run ./infra/ops staff add …` run it.
//
//	MAIN_TABLE=… PORTAL_BASE_URL=https://… go run ./infra/ops staff add -space S -identifier I -role advisor|supervisor
//
// AWS_ENDPOINT_URL points it at an emulator, as it does every SDK client. Add is the
// action itself, apart from flag parsing.
package staffcmd

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"strings"

	"github.com/efacture/efacture/shared/domain/fault"
	"github.com/efacture/efacture/shared/domain/staff"
)

// Adder creates members (staff.Service).
type Adder interface {
	Add(ctx context.Context, n staff.NewMember) (staff.Enrolment, error)
}

// AddRequest is one member to create.
type AddRequest struct {
	Space, Identifier, Role string
	PortalBaseURL           string
}

// Added is what ops hands the new member, and only them.
type Added struct {
	Member       staff.Member
	PasswordLink string
	TOTPURI      string
}

// Add creates the member and returns its set-password link and TOTP enrolment URI. An
// unknown space, a malformed identifier or role, and a taken identifier are errors that
// say so.
func Add(ctx context.Context, svc Adder, r AddRequest) (Added, error) {
	base := strings.TrimRight(strings.TrimSpace(r.PortalBaseURL), "/")
	if base == "" {
		return Added{}, errors.New("no portal base URL: set PORTAL_BASE_URL or -portal")
	}
	e, err := svc.Add(ctx, staff.NewMember{Space: r.Space, Identifier: r.Identifier, Role: r.Role})
	switch {
	case errors.Is(err, fault.ErrNotFound):
		return Added{}, fmt.Errorf("unknown space %q", r.Space)
	case errors.Is(err, staff.ErrIdentifierTaken):
		return Added{}, fmt.Errorf("identifier %q is already taken in space %q", staff.Key(r.Identifier), r.Space)
	case errors.Is(err, fault.ErrInvalid):
		var f *fault.Error
		errors.As(err, &f)
		return Added{}, fmt.Errorf("invalid %s %q: %s", f.Field, map[string]string{"identifier": r.Identifier, "role": r.Role}[f.Field], f.Detail)
	case err != nil:
		return Added{}, err
	}
	return Added{
		Member:       e.Member,
		PasswordLink: base + "/" + e.Member.Space + "/staff/password#token=" + e.Token,
		TOTPURI:      staff.EnrolmentURI(e.Member.Space, e.Member.Identifier, e.Secret),
	}, nil
}

const usage = `usage:
  staff add -space S -identifier I -role advisor|supervisor [-table NAME] [-portal URL]

Creates a staff member of space S and prints, for that member only, a one-time link to
set the password (valid 72 hours) and the TOTP enrolment URI (otpauth://, to turn into
a QR code for an authenticator app).

The table defaults to $MAIN_TABLE, the portal to $PORTAL_BASE_URL.
Exit status: 0 done, 1 failed, 2 bad usage.
`

// Run is the command on args ("add", then flags); open returns the member service of a
// table name. It returns the exit status.
func Run(ctx context.Context, args []string, getenv func(string) string, stdout, stderr io.Writer, open func(table string) (Adder, error)) int {
	if len(args) == 0 || args[0] == "-h" || args[0] == "-help" || args[0] == "--help" || args[0] == "help" {
		fmt.Fprint(stderr, usage)
		if len(args) == 0 {
			return 2
		}
		return 0
	}
	if args[0] != "add" {
		fmt.Fprintf(stderr, "staff: unknown command %q\n\n%s", args[0], usage)
		return 2
	}
	fs := flag.NewFlagSet("staff add", flag.ContinueOnError)
	fs.SetOutput(stderr)
	fs.Usage = func() { fmt.Fprint(stderr, usage) }
	var r AddRequest
	fs.StringVar(&r.Space, "space", "", "the member's space")
	fs.StringVar(&r.Identifier, "identifier", "", "the member's identifier: 3 to 64 of a-z 0-9 . _ -, or an e-mail address")
	fs.StringVar(&r.Role, "role", "", "advisor or supervisor")
	table := fs.String("table", getenv("MAIN_TABLE"), "main table name (default $MAIN_TABLE)")
	fs.StringVar(&r.PortalBaseURL, "portal", getenv("PORTAL_BASE_URL"), "the portal's base URL (default $PORTAL_BASE_URL)")
	if err := fs.Parse(args[1:]); err != nil {
		if errors.Is(err, flag.ErrHelp) {
			return 0
		}
		return 2
	}
	if r.Space == "" || r.Identifier == "" || r.Role == "" || *table == "" || fs.NArg() > 0 {
		fmt.Fprintf(stderr, "staff add: -space, -identifier, -role and a table are required\n\n%s", usage)
		return 2
	}
	svc, err := open(*table)
	if err != nil {
		fmt.Fprintln(stderr, "staff:", err)
		return 1
	}
	added, err := Add(ctx, svc, r)
	if err != nil {
		fmt.Fprintln(stderr, "staff add:", err)
		return 1
	}
	fmt.Fprintf(stdout, "Created %s %s in space %s.\n\n", added.Member.Role, added.Member.Identifier, added.Member.Space)
	fmt.Fprintf(stdout, "Set-password link (once, within 72 hours):\n  %s\n\n", added.PasswordLink)
	fmt.Fprintf(stdout, "TOTP enrolment (authenticator app):\n  %s\n", added.TOTPURI)
	return 0
}
