package agent

// LimitsConfig bounds what requests and connections may cost. Every field
// has a default a real user never meets; zero means the default.
type LimitsConfig struct {
	// Job and document limits, checked by servers when a job is submitted.
	// See limits_jobs.go for the defaults and how they reach the server.
	JobMaxCount      int `hcl:"job_max_count,optional"`
	JobMaxGroups     int `hcl:"job_max_groups,optional"`
	JobMaxGroupTasks int `hcl:"job_max_group_tasks,optional"`
	JobMaxTasks      int `hcl:"job_max_tasks,optional"`
	JobMaxBytes      int `hcl:"job_max_bytes,optional"`
	MetaMaxBytes     int `hcl:"meta_max_bytes,optional"`
	HCLMaxBytes      int `hcl:"hcl_max_bytes,optional"`
	HCLMaxDepth      int `hcl:"hcl_max_depth,optional"`
	JSONMaxDepth     int `hcl:"json_max_depth,optional"`

	// Connection, descriptor and upload limits, checked by every role.
	// See conn_limits_config.go.
	MaxConnsAPI       int    `hcl:"max_conns_api,optional"`
	MaxConnsConsul    int    `hcl:"max_conns_consul,optional"`
	MaxConnsIngress   int    `hcl:"max_conns_ingress,optional"`
	MaxConnsDashboard int    `hcl:"max_conns_dashboard,optional"`
	MaxConnsRegistry  int    `hcl:"max_conns_registry,optional"`
	MaxConnsDNS       int    `hcl:"max_conns_dns,optional"`
	MaxConnsPerClient int    `hcl:"max_conns_per_client,optional"`
	HandshakeTimeout  string `hcl:"handshake_timeout,optional"`
	IdleTimeout       string `hcl:"idle_timeout,optional"`
	RegistryMaxUpload string `hcl:"registry_max_upload,optional"`
	ImageMaxUnpacked  string `hcl:"image_max_unpacked,optional"`
	DiskReserve       string `hcl:"disk_reserve,optional"`
}

func (c *Config) normalizeLimits() error { return c.normalizeConnLimits() }
