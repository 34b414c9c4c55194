package structs

import "time"

// Job types.
const (
	JobTypeService = "service"
	JobTypeBatch   = "batch"
)

// Job statuses, as Nomad reports them.
const (
	JobStatusPending = "pending"
	JobStatusRunning = "running"
	JobStatusDead    = "dead"
)

// Job is a declarative description of work: groups of tasks that must run
// together, how many of each, and where.
type Job struct {
	Region      string
	Namespace   string
	ID          string
	Name        string
	Type        string
	Priority    int
	AllAtOnce   bool
	Datacenters []string
	NodePool    string
	Constraints []*Constraint
	Affinities  []*Affinity `json:",omitempty"`
	TaskGroups  []*TaskGroup
	Update      *UpdateStrategy
	Spreads     []*Spread
	Reschedule  *ReschedulePolicy `json:",omitempty"`
	Migrate     *MigrateStrategy  `json:",omitempty"`
	Meta        map[string]string

	// Set by the server.
	Stop              bool
	ParentID          string
	Status            string
	StatusDescription string
	Stable            bool
	Version           uint64
	SubmitTime        int64
	CreateIndex       uint64
	ModifyIndex       uint64
	JobModifyIndex    uint64
}

// TaskGroup is a set of tasks placed together on one node. Count copies of
// it run at once; each copy is an allocation.
type TaskGroup struct {
	Name             string
	Count            int
	Constraints      []*Constraint
	Affinities       []*Affinity `json:",omitempty"`
	Tasks            []*Task
	Spreads          []*Spread
	RestartPolicy    *RestartPolicy
	ReschedulePolicy *ReschedulePolicy
	EphemeralDisk    *EphemeralDisk
	Update           *UpdateStrategy
	Migrate          *MigrateStrategy `json:",omitempty"`
	Networks         []*NetworkResource
	Meta             map[string]string
	Services         []*Service
	ShutdownDelay    *time.Duration `json:",omitempty"`
}

// Task is one process (or jail) run by a driver.
type Task struct {
	Name          string
	Driver        string
	User          string
	Config        map[string]any
	Constraints   []*Constraint
	Affinities    []*Affinity `json:",omitempty"`
	Env           map[string]string
	Services      []*Service
	Resources     *Resources
	RestartPolicy *RestartPolicy
	Meta          map[string]string
	KillTimeout   time.Duration
	LogConfig     *LogConfig
	Leader        bool
	ShutdownDelay time.Duration
	KillSignal    string
}

// Constraint restricts placement: LTarget Operand RTarget, where targets may
// interpolate ${attr.*}, ${meta.*}, ${node.*}.
type Constraint struct {
	LTarget string
	RTarget string
	Operand string
}

// Constraint operands beyond plain comparison.
const (
	ConstraintDistinctHosts    = "distinct_hosts"
	ConstraintDistinctProperty = "distinct_property"
	ConstraintRegex            = "regexp"
	ConstraintVersion          = "version"
	ConstraintSemver           = "semver"
	ConstraintSetContains      = "set_contains"
	ConstraintSetContainsAll   = "set_contains_all"
	ConstraintSetContainsAny   = "set_contains_any"
	ConstraintAttributeIsSet   = "is_set"
	ConstraintAttributeNotSet  = "is_not_set"
)

// Affinity is a soft placement preference. It is parsed so that job files
// carrying one are reported as unsupported rather than dropped.
type Affinity struct {
	LTarget string
	RTarget string
	Operand string
	Weight  int8
}

// Spread asks the scheduler to spread allocations over the values of a node
// attribute, optionally with target percentages.
type Spread struct {
	Attribute    string
	Weight       int8
	SpreadTarget []*SpreadTarget
}

// SpreadTarget is the desired share of allocations for one attribute value.
type SpreadTarget struct {
	Value   string
	Percent uint8
}

// Restart modes.
const (
	RestartPolicyModeFail  = "fail"
	RestartPolicyModeDelay = "delay"
)

// RestartPolicy says how a client restarts a failed task in place.
type RestartPolicy struct {
	Interval        time.Duration
	Attempts        int
	Delay           time.Duration
	Mode            string
	RenderTemplates bool
}

// ReschedulePolicy says how the servers replace a failed allocation on
// another node.
type ReschedulePolicy struct {
	Attempts      int
	Interval      time.Duration
	Delay         time.Duration
	DelayFunction string
	MaxDelay      time.Duration
	Unlimited     bool
}

// UpdateStrategy says how a job's allocations are replaced on a new version.
type UpdateStrategy struct {
	Stagger          time.Duration
	MaxParallel      int
	HealthCheck      string
	MinHealthyTime   time.Duration
	HealthyDeadline  time.Duration
	ProgressDeadline time.Duration
	Canary           int
	AutoRevert       bool
	AutoPromote      bool
}

// EphemeralDisk is the scratch space of an allocation.
type EphemeralDisk struct {
	Sticky  bool
	Migrate bool
	SizeMB  int
}

// LogConfig bounds a task's log files.
type LogConfig struct {
	MaxFiles      int
	MaxFileSizeMB int
	Disabled      bool
}

// Resources a task asks for.
type Resources struct {
	CPU         int
	Cores       int
	MemoryMB    int
	MemoryMaxMB int
	DiskMB      int
	Networks    []*NetworkResource `json:",omitempty"`
}

// NetworkResource is a network request (in a job) or an assignment (in an
// allocation): a mode and the ports it needs.
type NetworkResource struct {
	Mode          string
	Device        string
	CIDR          string
	IP            string
	MBits         int
	ReservedPorts []Port
	DynamicPorts  []Port
	Hostname      string
}

// Port is a labelled port. Value is the host port (static when requested
// in ReservedPorts, chosen by the scheduler in DynamicPorts); To is the port
// inside the task's network namespace (0 means the same as Value).
type Port struct {
	Label       string
	Value       int
	To          int
	HostNetwork string
}

// Service is a catalog registration made when a task runs.
type Service struct {
	Name              string
	Tags              []string
	CanaryTags        []string
	EnableTagOverride bool
	PortLabel         string
	AddressMode       string
	Address           string
	Checks            []*ServiceCheck
	CheckRestart      *CheckRestart
	Meta              map[string]string
	TaskName          string
	OnUpdate          string
	Provider          string
}

// Check types.
const (
	CheckTypeTCP    = "tcp"
	CheckTypeHTTP   = "http"
	CheckTypeScript = "script"
)

// ServiceCheck is a health check of a service instance.
type ServiceCheck struct {
	Name                   string
	Type                   string
	Command                string
	Args                   []string
	Path                   string
	Protocol               string
	PortLabel              string
	AddressMode            string
	Interval               time.Duration
	Timeout                time.Duration
	InitialStatus          string
	TLSSkipVerify          bool
	Header                 map[string][]string
	Method                 string
	Body                   string
	CheckRestart           *CheckRestart
	TaskName               string
	SuccessBeforePassing   int
	FailuresBeforeCritical int
	OnUpdate               string
}

// CheckRestart restarts a task whose check stays unhealthy.
type CheckRestart struct {
	Limit          int
	Grace          time.Duration
	IgnoreWarnings bool
}

// LookupTaskGroup returns the named group, or nil.
func (j *Job) LookupTaskGroup(name string) *TaskGroup {
	for _, tg := range j.TaskGroups {
		if tg.Name == name {
			return tg
		}
	}
	return nil
}

// LookupTask returns the named task, or nil.
func (tg *TaskGroup) LookupTask(name string) *Task {
	for _, t := range tg.Tasks {
		if t.Name == name {
			return t
		}
	}
	return nil
}

// Stopped reports whether the job was asked to stop.
func (j *Job) Stopped() bool { return j == nil || j.Stop }

// NamespacedID is the key of a job: its namespace and ID.
type NamespacedID struct {
	Namespace string
	ID        string
}

// NamespacedID returns the job's key.
func (j *Job) NamespacedID() NamespacedID { return NamespacedID{j.Namespace, j.ID} }

// String formats the key as namespace/id.
func (n NamespacedID) String() string { return n.Namespace + "/" + n.ID }
