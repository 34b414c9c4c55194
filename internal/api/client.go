package api

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"os"
	"strconv"
	"strings"
	"time"
)

// DefaultAddress is the API address used when neither the configuration
// nor the environment names one.
const DefaultAddress = "http://127.0.0.1:4646"

// Config says which server to talk to and how.
type Config struct {
	// Address is the base URL of a server, e.g. http://10.0.0.1:4646. A
	// bare host:port gets http:// in front.
	Address string
	// HTTPClient sends the requests; nil means a client without a timeout
	// (blocking queries may last minutes; bound them with a context).
	HTTPClient *http.Client
	// Namespace is sent with every request that does not set its own.
	Namespace string
	// Region is sent with every request that does not set its own.
	Region string
	// TLSConfig configures https:// addresses when HTTPClient is nil.
	TLSConfig *TLSConfig
	// Token is the ACL token's secret, sent in X-Nomad-Token.
	Token string
	// NodeSecret is a client node's secret, sent in X-Wharf-Node-Secret.
	NodeSecret string
}

// DefaultConfig returns a Config read from the environment: WHARF_ADDR
// (NOMAD_ADDR as a fallback), WHARF_NAMESPACE (NOMAD_NAMESPACE),
// WHARF_REGION (NOMAD_REGION), WHARF_TOKEN (NOMAD_TOKEN) and the TLS
// variables (see TLSConfig).
func DefaultConfig() *Config {
	addr := firstEnv("WHARF_ADDR", "NOMAD_ADDR")
	if addr == "" {
		addr = DefaultAddress
	}
	return &Config{
		Address:   addr,
		Namespace: firstEnv("WHARF_NAMESPACE", "NOMAD_NAMESPACE"),
		Region:    firstEnv("WHARF_REGION", "NOMAD_REGION"),
		TLSConfig: tlsFromEnv(),
		Token:     tokenFromEnv(),
	}
}

func firstEnv(names ...string) string {
	for _, n := range names {
		if v := os.Getenv(n); v != "" {
			return v
		}
	}
	return ""
}

// QueryOptions are the parameters of a read.
type QueryOptions struct {
	// WaitIndex makes the read a blocking query: the server answers once
	// its index is above WaitIndex, or WaitTime has passed.
	WaitIndex uint64
	// WaitTime bounds a blocking query; zero lets the server choose.
	WaitTime time.Duration
	// Prefix filters list results by ID prefix.
	Prefix string
	// Namespace overrides the client's namespace.
	Namespace string
	// Region overrides the client's region.
	Region string
	// Params are extra query parameters.
	Params map[string]string
	// Context bounds the request; nil means the client's context.
	Context context.Context
}

// WriteOptions are the parameters of a write.
type WriteOptions struct {
	// Namespace overrides the client's namespace.
	Namespace string
	// Region overrides the client's region.
	Region string
	// Context bounds the request; nil means the client's context.
	Context context.Context
}

// QueryMeta describes the answer to a read.
type QueryMeta struct {
	// LastIndex is the X-Nomad-Index header: the index to pass as
	// WaitIndex to block for the next change.
	LastIndex uint64
	// KnownLeader is the X-Nomad-KnownLeader header.
	KnownLeader bool
	// RequestTime is how long the request took.
	RequestTime time.Duration
}

// Client talks to one wharf server. It is safe for concurrent use.
type Client struct {
	base *url.URL
	http *http.Client
	cfg  Config
	ctx  context.Context
}

// NewClient returns a client for cfg; a nil cfg means DefaultConfig().
// Empty fields of cfg take their defaults.
func NewClient(cfg *Config) (*Client, error) {
	if cfg == nil {
		cfg = DefaultConfig()
	}
	c := *cfg
	if c.Address == "" {
		c.Address = DefaultConfig().Address
	}
	base, err := parseAddress(c.Address)
	if err != nil {
		return nil, err
	}
	hc := c.HTTPClient
	if hc == nil {
		if hc, err = newHTTPClient(c.TLSConfig); err != nil {
			return nil, err
		}
	}
	return &Client{base: base, http: hc, cfg: c, ctx: context.Background()}, nil
}

func parseAddress(addr string) (*url.URL, error) {
	if !strings.Contains(addr, "://") {
		addr = "http://" + addr
	}
	u, err := url.Parse(addr)
	if err != nil {
		return nil, fmt.Errorf("invalid address %q: %w", addr, err)
	}
	if u.Scheme != "http" && u.Scheme != "https" {
		return nil, fmt.Errorf("invalid address %q: scheme must be http or https", addr)
	}
	if u.Host == "" {
		return nil, fmt.Errorf("invalid address %q: no host", addr)
	}
	u.Path = strings.TrimSuffix(u.Path, "/")
	return u, nil
}

// Address returns the base URL the client sends requests to.
func (c *Client) Address() string { return c.base.String() }

// WithContext returns a copy of the client whose requests are bound to ctx
// unless their options carry a context of their own.
func (c *Client) WithContext(ctx context.Context) *Client {
	cp := *c
	cp.ctx = ctx
	return &cp
}

// request is one HTTP call under construction.
type request struct {
	method string
	path   string
	params url.Values
	body   any
	ctx    context.Context
}

func (c *Client) newRequest(method, path string) *request {
	r := &request{method: method, path: path, params: url.Values{}, ctx: c.ctx}
	if c.cfg.Namespace != "" {
		r.params.Set("namespace", c.cfg.Namespace)
	}
	if c.cfg.Region != "" {
		r.params.Set("region", c.cfg.Region)
	}
	return r
}

func (r *request) setQuery(q *QueryOptions) {
	if q == nil {
		return
	}
	if q.WaitIndex > 0 {
		r.params.Set("index", strconv.FormatUint(q.WaitIndex, 10))
	}
	if q.WaitTime > 0 {
		r.params.Set("wait", formatWait(q.WaitTime))
	}
	if q.Prefix != "" {
		r.params.Set("prefix", q.Prefix)
	}
	if q.Namespace != "" {
		r.params.Set("namespace", q.Namespace)
	}
	if q.Region != "" {
		r.params.Set("region", q.Region)
	}
	for k, v := range q.Params {
		r.params.Set(k, v)
	}
	if q.Context != nil {
		r.ctx = q.Context
	}
}

func (r *request) setWrite(w *WriteOptions) {
	if w == nil {
		return
	}
	if w.Namespace != "" {
		r.params.Set("namespace", w.Namespace)
	}
	if w.Region != "" {
		r.params.Set("region", w.Region)
	}
	if w.Context != nil {
		r.ctx = w.Context
	}
}

// formatWait renders a wait time as a Go duration the server parses,
// rounded up to whole milliseconds ("300000ms"), as Nomad's client does.
func formatWait(d time.Duration) string {
	ms := (d + time.Millisecond - 1) / time.Millisecond
	return strconv.FormatInt(int64(ms), 10) + "ms"
}

// do sends r and decodes a 2xx JSON answer into out (when out is non-nil).
func (c *Client) do(r *request, out any) (*QueryMeta, error) {
	start := time.Now()
	req, err := c.httpRequest(r)
	if err != nil {
		return nil, err
	}
	resp, err := c.http.Do(req)
	if err != nil {
		return nil, err // a *url.Error naming the method and URL
	}
	defer resp.Body.Close()
	if resp.StatusCode < 200 || resp.StatusCode > 299 {
		return nil, newError(r.method, r.path, resp)
	}
	meta, err := parseMeta(resp.Header)
	if err != nil {
		return nil, fmt.Errorf("%s %s: %w", r.method, r.path, err)
	}
	meta.RequestTime = time.Since(start)
	if out != nil {
		if err := json.NewDecoder(resp.Body).Decode(out); err != nil {
			return nil, fmt.Errorf("%s %s: decode response: %w", r.method, r.path, err)
		}
	}
	_, _ = io.Copy(io.Discard, resp.Body)
	return meta, nil
}

func (c *Client) httpRequest(r *request) (*http.Request, error) {
	u := *c.base
	unescaped, err := url.PathUnescape(r.path)
	if err != nil {
		return nil, fmt.Errorf("%s %s: %w", r.method, r.path, err)
	}
	u.Path = c.base.Path + unescaped
	u.RawPath = c.base.EscapedPath() + r.path
	u.RawQuery = r.params.Encode()
	var body io.Reader
	if r.body != nil {
		b, err := json.Marshal(r.body)
		if err != nil {
			return nil, fmt.Errorf("%s %s: encode body: %w", r.method, r.path, err)
		}
		body = bytes.NewReader(b)
	}
	req, err := http.NewRequestWithContext(r.ctx, r.method, u.String(), body)
	if err != nil {
		return nil, fmt.Errorf("%s %s: %w", r.method, r.path, err)
	}
	if body != nil {
		req.Header.Set("Content-Type", "application/json")
	}
	c.setAuth(req.Header)
	return req, nil
}

func parseMeta(h http.Header) (*QueryMeta, error) {
	meta := &QueryMeta{}
	if v := h.Get("X-Nomad-Index"); v != "" {
		n, err := strconv.ParseUint(v, 10, 64)
		if err != nil {
			return nil, fmt.Errorf("bad X-Nomad-Index header %q: %w", v, err)
		}
		meta.LastIndex = n
	}
	meta.KnownLeader = h.Get("X-Nomad-KnownLeader") == "true"
	return meta, nil
}

// query sends a GET.
func (c *Client) query(path string, out any, q *QueryOptions) (*QueryMeta, error) {
	r := c.newRequest(http.MethodGet, path)
	r.setQuery(q)
	return c.do(r, out)
}

// write sends a PUT, POST or DELETE with an optional JSON body.
func (c *Client) write(method, path string, in, out any, w *WriteOptions, params url.Values) error {
	r := c.newRequest(method, path)
	r.setWrite(w)
	for k, vs := range params {
		r.params[k] = vs
	}
	r.body = in
	_, err := c.do(r, out)
	return err
}

// escape makes an ID safe as one path segment.
func escape(id string) string { return url.PathEscape(id) }
