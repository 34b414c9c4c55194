package agent

// TLSConfig configures TLS for the traffic that crosses a network (Nomad's
// tls block).
type TLSConfig struct {
	HTTP bool `hcl:"http,optional"`
	RPC  bool `hcl:"rpc,optional"`
}

func (c *Config) normalizeTLS() error { return nil }
