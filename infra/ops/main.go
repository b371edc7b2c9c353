// Command ops gathers what operators run against a deployment, one subcommand each:
//
//	go run ./infra/ops spaces apply FILE.json
//	go run ./infra/ops mail dead [-space S] | mail redrive (-id ID | -all)
//	go run ./infra/ops customer show -space S -number N
//	go run ./infra/ops rejections -space S
//
// Tables and buckets default to the functions' variables (MAIN_TABLE, OUTBOX_TABLE,
// INBOX_BUCKET), named by the stack's outputs; AWS_ENDPOINT_URL points it at an
// emulator, as it does every SDK client. `go run ./infra/ops <command> -h` describes each.
package main

import (
	"context"
	"fmt"
	"io"
	"os"
	"strings"
	"text/tabwriter"

	"github.com/aws/aws-sdk-go-v2/config"
	"github.com/aws/aws-sdk-go-v2/service/iam"
	"github.com/efacture/efacture/shared/app"
	"github.com/efacture/efacture/shared/aws/principals"
)

// Env is what a command runs with.
type Env struct {
	Getenv         func(string) string
	Stdout, Stderr io.Writer
	// Clients builds the AWS clients on first use, so -h and usage errors need none.
	Clients func(context.Context) (app.Clients, error)
	// Principals resolves billing principals with IAM (spaces apply), built on first use.
	Principals func(context.Context) (app.PrincipalResolver, error)
}

// Command is one subcommand: the words that name it, a line for the list, and its run
// function, given the arguments after the words; it returns the exit status (0 done,
// 1 failed, 2 bad usage) and answers -h itself.
type Command struct {
	Name    string
	Summary string
	Run     func(ctx context.Context, args []string, env Env) int
}

// Commands are the subcommands; a new one is one line here.
var Commands = []Command{
	{"spaces apply", "apply a spaces file (docs/SPACES.md) to the main table", spacesApply},
	{"staff add", "a console member: prints its one-time set-password link and TOTP enrolment URI", staffAdd},
	{"mail dead", "list dead mails: id, recipient, kind, when, last error", mailCommand("dead")},
	{"mail redrive", "make dead mails due again; the re-drive schedule sends them", mailCommand("redrive")},
	{"customer show", "a customer's item, accounts and recent mails", customerShow},
	{"rejections", "billing's rejected files and their reasons, newest first", rejections},
}

func main() {
	os.Exit(run(context.Background(), os.Args[1:], Env{
		Getenv: os.Getenv, Stdout: os.Stdout, Stderr: os.Stderr, Clients: app.LoadClients,
		Principals: loadPrincipals,
	}))
}

// run finds the command whose words start args and runs it on the rest.
func run(ctx context.Context, args []string, env Env) int {
	if len(args) == 0 || isHelp(args[0]) {
		usage(env.Stderr)
		if len(args) == 0 {
			return 2
		}
		return 0
	}
	var best *Command
	for i := range Commands {
		words := strings.Fields(Commands[i].Name)
		if len(args) >= len(words) && strings.Join(args[:len(words)], " ") == Commands[i].Name &&
			(best == nil || len(words) > len(strings.Fields(best.Name))) {
			best = &Commands[i]
		}
	}
	if best == nil {
		fmt.Fprintf(env.Stderr, "ops: unknown command %q\n\n", strings.Join(args, " "))
		usage(env.Stderr)
		return 2
	}
	return best.Run(ctx, args[len(strings.Fields(best.Name)):], env)
}

func isHelp(s string) bool {
	return s == "-h" || s == "-help" || s == "--help" || s == "help"
}

func usage(w io.Writer) {
	fmt.Fprintln(w, "usage: go run ./infra/ops <command> [flags]   (<command> -h for its flags)")
	fmt.Fprintln(w)
	tw := tabwriter.NewWriter(w, 0, 4, 2, ' ', 0)
	for _, c := range Commands {
		fmt.Fprintf(tw, "  %s\t%s\n", c.Name, c.Summary)
	}
	tw.Flush()
	fmt.Fprintln(w, "\nExit status: 0 done, 1 failed, 2 bad usage.")
}

// loadPrincipals resolves billing principals with the default AWS configuration's IAM.
func loadPrincipals(ctx context.Context) (app.PrincipalResolver, error) {
	cfg, err := config.LoadDefaultConfig(ctx)
	if err != nil {
		return nil, err
	}
	return principals.New(iam.NewFromConfig(cfg)), nil
}
