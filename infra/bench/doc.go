// Package bench measures the rows of docs/BENCHMARKS.md: the Go benchmarks in its test
// files compare each path's handler with its floor (the AWS calls docs/DATA.md lists,
// issued directly) on a private moto; this package holds what they and the driver
// (infra/bench/run, make bench) share: a recorder of the SDK's calls, a fake Lambda
// Runtime API and cold-start timing, builds, page weights, and the report.
package bench
