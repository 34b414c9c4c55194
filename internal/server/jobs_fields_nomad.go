package server

// nomadFields lists, per request or job type (by wharf's type name, the
// same as Nomad's), the JSON fields Nomad's API has there and wharf's
// struct lacks, as github.com/hashicorp/nomad/api marshals them.
// TestNomadFieldsMatchNomadAPI keeps the list in step with the module.
var nomadFields = map[string][]string{
	"JobRegisterRequest": {"Namespace", "PreserveResources", "Region", "SecretID", "Submission"},
	"JobPlanRequest":     {"Namespace", "Region", "SecretID"},
	"ScalingRequest":     {"Namespace", "Region", "SecretID"},
	"Job": {"ConsulNamespace", "DispatchIdempotencyToken", "Dispatched", "Multiregion", "NomadTokenID",
		"ParameterizedJob", "Payload", "Periodic", "UI", "VaultNamespace", "VersionTag"},
	"TaskGroup": {"Consul", "Disconnect", "MaxClientDisconnect", "MaxRunDuration", "PreventRescheduleOnLost",
		"Scaling", "StopAfterClientDisconnect", "Volumes"},
	"Task": {"Actions", "Artifacts", "CSIPluginConfig", "Consul", "DispatchPayload", "Identities", "Identity", "Kind",
		"Lifecycle", "ScalingPolicies", "Schedule", "Secrets", "Templates", "Vault", "VolumeMounts"},
	"Service":         {"CanaryMeta", "Cluster", "Connect", "Identity", "Kind", "TaggedAddresses", "Weights"},
	"ServiceCheck":    {"Advertise", "Expose", "FailuresBeforeWarning", "GRPCService", "GRPCUseTLS", "Notes", "TLSServerName"},
	"Resources":       {"Devices", "IOPS", "NUMA", "SecretsMB"},
	"NetworkResource": {"CNI", "DNS"},
	"Port":            {"IgnoreCollision"},
	"LogConfig":       {"Enabled"},
}

// unsupportedFields are fields wharf's structs carry (so that job files
// using them get a hint from Validate) but refuses when set in JSON.
var unsupportedFields = map[string][]string{
	"Job":       {"Affinities"},
	"TaskGroup": {"Affinities"},
	"Task":      {"Affinities"},
}

// ignoredWhenSet are Nomad fields that Nomad's Go client fills with
// defaults by itself (Canonicalize), without the job's author asking for
// them: accepted and ignored even when set.
var ignoredWhenSet = map[string][]string{
	// The request's own region and namespace (wharf reads the namespace
	// from the query and the job) and a token (read from the headers).
	"JobRegisterRequest": {"Namespace", "Region", "SecretID", "Submission", "PreserveResources"},
	"JobPlanRequest":     {"Namespace", "Region", "SecretID"},
	"ScalingRequest":     {"Namespace", "Region", "SecretID"},
	// Canonicalize gives services the "default" Consul cluster.
	"Service": {"Cluster"},
}
