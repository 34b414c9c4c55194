package consulapi

// The types below carry Consul's JSON field names (api package v1.34).

// catalogService is one entry of GET /v1/catalog/service/:name.
type catalogService struct {
	ID                       string
	Node                     string
	Address                  string
	Datacenter               string
	TaggedAddresses          map[string]string
	NodeMeta                 map[string]string
	ServiceID                string
	ServiceName              string
	ServiceAddress           string
	ServiceTags              []string
	ServiceMeta              map[string]string
	ServicePort              int
	ServiceWeights           weights
	ServiceEnableTagOverride bool
	CreateIndex              uint64
	ModifyIndex              uint64
}

// node is Consul's catalog node.
type node struct {
	ID              string
	Node            string
	Address         string
	Datacenter      string
	TaggedAddresses map[string]string
	Meta            map[string]string
	CreateIndex     uint64
	ModifyIndex     uint64
}

// weights are Consul's DNS SRV weights.
type weights struct {
	Passing int
	Warning int
}

// agentService is Consul's service as the agent and health endpoints
// show it.
type agentService struct {
	ID                string
	Service           string
	Tags              []string
	Meta              map[string]string
	Port              int
	Address           string
	Weights           weights
	EnableTagOverride bool
	CreateIndex       uint64 `json:",omitempty"`
	ModifyIndex       uint64 `json:",omitempty"`
	Datacenter        string `json:",omitempty"`
}

// healthCheck is one check of Consul's health endpoints.
type healthCheck struct {
	Node        string
	CheckID     string
	Name        string
	Status      string
	Notes       string
	Output      string
	ServiceID   string
	ServiceName string
	ServiceTags []string
	Type        string
	ExposedPort int
	Definition  struct{}
	CreateIndex uint64
	ModifyIndex uint64
}

// serviceEntry is one entry of GET /v1/health/service/:name.
type serviceEntry struct {
	Node    *node
	Service *agentService
	Checks  []*healthCheck
}

// catalogNode is GET /v1/catalog/node/:node.
type catalogNode struct {
	Node     *node
	Services map[string]*agentService
}

// serviceRegistration is the body of PUT /v1/agent/service/register.
// Fields wharf cannot honour (Connect, Proxy, Kind) are refused when set.
type serviceRegistration struct {
	Kind              string
	ID                string
	Name              string
	Tags              []string
	Port              int
	Address           string
	EnableTagOverride bool
	Meta              map[string]string
	Weights           *weights
	Check             *serviceCheck
	Checks            []*serviceCheck
	Proxy             any
	Connect           any
	Namespace         string
}

// serviceCheck is a check of a registration.
type serviceCheck struct {
	CheckID                        string
	Name                           string
	ScriptArgs                     []string
	DockerContainerID              string
	Interval                       string
	Timeout                        string
	TTL                            string
	HTTP                           string
	TCP                            string
	UDP                            string
	GRPC                           string
	H2PING                         string
	AliasNode                      string
	AliasService                   string
	Status                         string
	Notes                          string
	DeregisterCriticalServiceAfter string
}

// checkUpdate is the body of PUT /v1/agent/check/update/:id.
type checkUpdate struct {
	Status string
	Output string
}
