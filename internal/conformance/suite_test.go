package conformance_test

import (
	"testing"

	"github.com/abanico/abanico/internal/abanicotest"
	"github.com/abanico/abanico/internal/server"
)

// suiteCase is one test of a suite that shares a server per topology.
type suiteCase[E any] struct {
	name string
	fn   func(t *testing.T, e E)
}

// runSuite runs every case in parallel against one server per topology;
// env builds the clients the cases use.
func runSuite[E any](t *testing.T, cases []suiteCase[E], env func(srv *server.Server) E) {
	for _, topo := range abanicotest.Topologies {
		t.Run(string(topo), func(t *testing.T) {
			e := env(abanicotest.Start(t, topo))
			for _, tc := range cases {
				t.Run(tc.name, func(t *testing.T) {
					t.Parallel()
					tc.fn(t, e)
				})
			}
		})
	}
}

// newSNSEnv builds the SNS and SQS clients of a server.
func newSNSEnv(srv *server.Server) *snsEnv {
	return &snsEnv{srv: srv, sns: abanicotest.SNS(srv.URL()), sqs: abanicotest.SQS(srv.URL())}
}
