// Package clustertest holds the tests of modgate beyond one machine: the
// compose.yaml validation (loaded with compose-go and checked against
// docs/production.md, deploy/nats/cluster.conf and deploy/nginx.conf) and
// the in-process cluster tests (three nats-server instances with JetStream
// R3 and two real `modgate serve` processes, with nodes and replicas killed
// mid-run). It has no non-test code beyond this file.
package clustertest
