package wechatpay

import (
	"fmt"
	"net/http"
	"net/url"

	"github.com/ecard/ecard/bff/payment"
)

// newHTTPClient wraps the configured client's transport. The SDK writes
// DefaultBaseURL into every request and has no option to change it, so a
// different BaseURL is reached by rewriting scheme and host on the way out;
// the signature covers only the path and query, which stay as they are.
// Answers are capped at MaxResponseBytes, since the SDK reads them whole.
func newHTTPClient(c *http.Client, baseURL string) (*http.Client, error) {
	var hc http.Client
	if c != nil {
		hc = *c // a shallow copy: the caller's client is left as it was
	} else {
		hc.Timeout = DefaultTimeout
	}
	next := hc.Transport
	if next == nil {
		next = http.DefaultTransport
	}
	t := &transport{next: next}
	if baseURL != "" && baseURL != DefaultBaseURL {
		u, err := url.Parse(baseURL)
		if err != nil {
			return nil, fmt.Errorf("wechatpay: Config.BaseURL: %w", err)
		}
		t.scheme, t.host = u.Scheme, u.Host
	}
	hc.Transport = t
	return &hc, nil
}

var defaultHost = func() string {
	u, err := url.Parse(DefaultBaseURL)
	if err != nil {
		panic(err)
	}
	return u.Host
}()

type transport struct {
	next         http.RoundTripper
	scheme, host string // empty: leave requests as they are
}

func (t *transport) RoundTrip(req *http.Request) (*http.Response, error) {
	if t.host != "" && req.URL.Host == defaultHost {
		req = req.Clone(req.Context()) // a RoundTripper must not change its argument
		req.URL.Scheme, req.URL.Host, req.Host = t.scheme, t.host, ""
	}
	resp, err := t.next.RoundTrip(req)
	if err != nil {
		return nil, err
	}
	resp.Body = payment.LimitBody(resp.Body, MaxResponseBytes)
	return resp, nil
}
