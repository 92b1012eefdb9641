// Package abanicotest starts real Abanico servers for tests: in-process on
// the embedded engine, or connected to an in-process three-node JetStream
// cluster on loopback; and builds official AWS SDK clients for them.
package abanicotest

import (
	"context"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"net/url"
	"os"
	"sync"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/credentials"
	"github.com/aws/aws-sdk-go-v2/service/sns"
	"github.com/aws/aws-sdk-go-v2/service/sqs"
	natsserver "github.com/nats-io/nats-server/v2/server"

	"github.com/abanico/abanico/internal/server"
)

// Topology names an engine layout the suites run on.
type Topology string

const (
	// Embedded is one server with nats-server in-process.
	Embedded Topology = "embedded"
	// Cluster is one server connected to a 3-node JetStream cluster, with
	// replicas 3.
	Cluster Topology = "cluster"
)

// Topologies lists every layout conformance suites run on.
var Topologies = []Topology{Embedded, Cluster}

// Logger returns a logger that writes to the test log at warn level (or
// debug with ABANICO_TEST_DEBUG=1).
func Logger(t testing.TB) *slog.Logger {
	lvl := slog.LevelWarn
	if os.Getenv("ABANICO_TEST_DEBUG") != "" {
		lvl = slog.LevelDebug
	}
	return slog.New(slog.NewTextHandler(testWriter{t}, &slog.HandlerOptions{Level: lvl}))
}

type testWriter struct{ t testing.TB }

func (w testWriter) Write(p []byte) (int, error) {
	w.t.Log(string(p))
	return len(p), nil
}

// Start runs a server on topo and stops it when the test ends. mod may
// adjust the configuration.
func Start(t testing.TB, topo Topology, mod ...func(*server.Config)) *server.Server {
	t.Helper()
	cfg := server.Config{
		Listen:  "127.0.0.1:0",
		DataDir: t.TempDir(),
		Logger:  Logger(t),
	}
	if topo == Cluster {
		cfg.NATSURLs = StartCluster(t, 3)
		cfg.Replicas = 3
	}
	for _, m := range mod {
		m(&cfg)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 90*time.Second)
	defer cancel()
	s, err := server.Start(ctx, cfg)
	if err != nil {
		t.Fatalf("start server (%s): %v", topo, err)
	}
	t.Cleanup(func() {
		ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
		defer cancel()
		_ = s.Shutdown(ctx)
	})
	return s
}

func freePort(t testing.TB) int {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatalf("free port: %v", err)
	}
	defer l.Close()
	return l.Addr().(*net.TCPAddr).Port
}

// StartCluster runs an n-node JetStream cluster on loopback and returns its
// client URLs. The nodes stop when the test ends.
func StartCluster(t testing.TB, n int) []string {
	t.Helper()
	ports := make([]int, n)
	for i := range ports {
		ports[i] = freePort(t)
	}
	var routes []*url.URL
	for _, p := range ports {
		u, _ := url.Parse(fmt.Sprintf("nats://127.0.0.1:%d", p))
		routes = append(routes, u)
	}
	var urls []string
	var servers []*natsserver.Server
	for i := 0; i < n; i++ {
		opts := &natsserver.Options{
			ServerName: fmt.Sprintf("n%d", i),
			Host:       "127.0.0.1",
			Port:       -1,
			JetStream:  true,
			StoreDir:   t.TempDir(),
			MaxPayload: 8 << 20,
			NoSigs:     true,
			NoLog:      true,
			Cluster: natsserver.ClusterOpts{
				Name: "abanico-test", Host: "127.0.0.1", Port: ports[i],
			},
			Routes: routes,
		}
		ns, err := natsserver.NewServer(opts)
		if err != nil {
			t.Fatalf("nats node %d: %v", i, err)
		}
		go ns.Start()
		servers = append(servers, ns)
	}
	for i, ns := range servers {
		if !ns.ReadyForConnections(20 * time.Second) {
			t.Fatalf("nats node %d not ready", i)
		}
		urls = append(urls, ns.ClientURL())
	}
	t.Cleanup(func() {
		var wg sync.WaitGroup
		for _, ns := range servers {
			wg.Add(1)
			go func(ns *natsserver.Server) {
				defer wg.Done()
				ns.Shutdown()
				ns.WaitForShutdown()
			}(ns)
		}
		wg.Wait()
	})
	return urls
}

// SQS returns an official SQS client (AWS JSON protocol) for the endpoint.
func SQS(endpoint string) *sqs.Client {
	return sqs.New(sqs.Options{
		Region:       "us-east-1",
		BaseEndpoint: aws.String(endpoint),
		Credentials:  credentials.NewStaticCredentialsProvider("AKIDTEST", "secret", ""),
		HTTPClient:   &http.Client{Timeout: 60 * time.Second},
	})
}

// SNS returns an official SNS client for the endpoint.
func SNS(endpoint string) *sns.Client {
	return sns.New(sns.Options{
		Region:       "us-east-1",
		BaseEndpoint: aws.String(endpoint),
		Credentials:  credentials.NewStaticCredentialsProvider("AKIDTEST", "secret", ""),
		HTTPClient:   &http.Client{Timeout: 60 * time.Second},
	})
}

// Discard is a logger that drops everything.
var Discard = slog.New(slog.NewTextHandler(io.Discard, nil))
