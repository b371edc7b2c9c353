// Package localaws runs the project against local emulators, for tests,
// benchmarks and the local runner.
//
// It starts moto_server (S3, DynamoDB and its streams, SQS, Secrets Manager)
// and aws-ses-v2-local on 127.0.0.1 (StartMoto, StartSES), builds SDK
// configurations that can reach nothing but a loopback address (Config),
// creates the buckets, queues, tables and secrets of template.yaml through
// the SDK (Provision), and turns what the emulators deliver into the events
// Lambda would hand a function: S3 notifications read from SQS
// (S3EventFromSQSBody, NormalizeSQSMessage) and DynamoDB stream records
// (StreamReader, MatchFilter; DetectRollbacks copes with moto's rollback of
// failed transactions). Tests call MustStart to get all of it on free
// ports, torn down when the test ends; the local runner (infra/local)
// passes fixed ports and Reuse, to use emulators already running there.
package localaws
