// Package conformance holds Abanico's conformance suites: the same tests,
// driven through official AWS clients, run against every engine topology
// (one embedded node, and a three-node JetStream cluster with replicas 3).
package conformance
