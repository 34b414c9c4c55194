package agent

// LimitsConfig bounds what requests and connections may cost. Every field
// has a default a real user never meets; zero means the default.
type LimitsConfig struct {
	// Job and document limits, checked by servers when a job is submitted.

	// Connection, descriptor and upload limits, checked by every role.
}

func (c *Config) normalizeLimits() error { return nil }
