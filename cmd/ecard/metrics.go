package main

import (
	"fmt"
	"io"
	"net"
	"net/http"
	"time"

	"github.com/ecard/ecard/bff"
	"github.com/ecard/ecard/config"
)

// serveMetrics serves GET /metrics on metrics.addr, apart from the public
// listener, when one is configured; the returned func stops it.
func serveMetrics(cfg config.Config, srv *bff.Server, out io.Writer) (func(), error) {
	if cfg.Metrics.Addr == "" {
		return func() {}, nil
	}
	ln, err := net.Listen("tcp", cfg.Metrics.Addr)
	if err != nil {
		return nil, fmt.Errorf("metrics listen: %w", err)
	}
	mux := http.NewServeMux()
	mux.Handle("GET /metrics", srv.MetricsHandler())
	hs := &http.Server{Handler: mux, ReadHeaderTimeout: 5 * time.Second}
	go func() { _ = hs.Serve(ln) }()
	fmt.Fprintf(out, "metrics on http://%s/metrics\n", ln.Addr())
	return func() { _ = hs.Close() }, nil
}
