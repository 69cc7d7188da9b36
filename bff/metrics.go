package bff

import (
	"strconv"
	"time"

	"github.com/gofiber/fiber/v3"
	"github.com/prometheus/client_golang/prometheus"
)

// observe counts requests and their latency by route pattern (never by raw
// path, so ids in URLs do not explode the label set).
func (s *Server) observe() fiber.Handler {
	requests := prometheus.NewCounterVec(prometheus.CounterOpts{
		Name: "ecard_http_requests_total", Help: "HTTP requests by method, route and status.",
	}, []string{"method", "route", "status"})
	latency := prometheus.NewHistogramVec(prometheus.HistogramOpts{
		Name: "ecard_http_request_seconds", Help: "HTTP request latency by method and route.",
		Buckets: []float64{.001, .0025, .005, .01, .025, .05, .1, .25, .5, 1, 2.5},
	}, []string{"method", "route"})
	s.metrics.MustRegister(requests, latency)
	return func(c fiber.Ctx) error {
		start := time.Now()
		err := c.Next()
		if err != nil {
			// Let the error handler write the response so the status is final.
			if herr := c.App().Config().ErrorHandler(c, err); herr != nil {
				return herr
			}
		}
		route := c.Route().Path
		requests.WithLabelValues(c.Method(), route, strconv.Itoa(c.Response().StatusCode())).Inc()
		latency.WithLabelValues(c.Method(), route).Observe(time.Since(start).Seconds())
		return nil
	}
}
