package services

import (
	"context"
	"crypto/tls"
	"fmt"
	"io"
	"net/http"
	"strings"
	"time"

	"github.com/wharf-project/wharf/internal/structs"
)

// httpOutputBytes is how much of a response body a check's output keeps.
const httpOutputBytes = 512

// httpRequest is an http check's request.
type httpRequest struct {
	method, url, body string
	header            http.Header
	skipVerify        bool
}

// httpCheckRequest builds check c's request to hostport.
func httpCheckRequest(w *Workload, c *structs.ServiceCheck, hostport string) httpRequest {
	proto := c.Protocol
	if proto == "" {
		proto = "http"
	}
	path := w.interp(c.Path)
	if !strings.HasPrefix(path, "/") {
		path = "/" + path
	}
	method := c.Method
	if method == "" {
		method = http.MethodGet
	}
	h := http.Header{}
	for k, vs := range c.Header {
		for _, v := range vs {
			h.Add(k, w.interp(v))
		}
	}
	return httpRequest{method: strings.ToUpper(method), url: proto + "://" + hostport + path, body: c.Body,
		header: h, skipVerify: c.TLSSkipVerify}
}

// httpProbe returns a check that sends req: 2xx is passing, 429 warning,
// anything else (or no answer) critical.
func httpProbe(req httpRequest) func(context.Context) result {
	client := &http.Client{
		Transport: &http.Transport{
			TLSClientConfig:     &tls.Config{InsecureSkipVerify: req.skipVerify}, //nolint:gosec // the job asks for it
			DisableKeepAlives:   true,
			TLSHandshakeTimeout: 10 * time.Second,
		},
		CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse },
	}
	return func(ctx context.Context) result {
		return doHTTP(ctx, client, req)
	}
}

func doHTTP(ctx context.Context, client *http.Client, req httpRequest) result {
	var body io.Reader
	if req.body != "" {
		body = strings.NewReader(req.body)
	}
	hr, err := http.NewRequestWithContext(ctx, req.method, req.url, body)
	if err != nil {
		return result{status: structs.HealthCritical, output: fmt.Sprintf("HTTP %s %s: %v", req.method, req.url, err)}
	}
	hr.Header = req.header.Clone()
	if hr.Header.Get("User-Agent") == "" {
		hr.Header.Set("User-Agent", "wharf health check")
	}
	if host := hr.Header.Get("Host"); host != "" {
		hr.Host = host
	}
	resp, err := client.Do(hr)
	if err != nil {
		return result{status: structs.HealthCritical, output: fmt.Sprintf("HTTP %s %s: %v", req.method, req.url, err)}
	}
	defer resp.Body.Close()
	snippet, _ := io.ReadAll(io.LimitReader(resp.Body, httpOutputBytes))
	_, _ = io.Copy(io.Discard, io.LimitReader(resp.Body, 64<<10))
	out := fmt.Sprintf("HTTP %s %s: %s Output: %s", req.method, req.url, resp.Status, snippet)
	return result{status: httpStatus(resp.StatusCode), output: out}
}

// httpStatus maps a response code to a check status, as Consul does.
func httpStatus(code int) string {
	switch {
	case code >= 200 && code < 300:
		return structs.HealthPassing
	case code == http.StatusTooManyRequests:
		return structs.HealthWarning
	}
	return structs.HealthCritical
}
