package drivers

// ImageIsolated is implemented by drivers whose tasks run on a filesystem
// image of their own (Nomad's FSIsolationImage: docker, pot's jails). As in
// Nomad, such a task's environment is only what the job and Nomad's task
// variables give it: the agent's own environment (PATH, HOME, anything the
// operator exported) never reaches it. Drivers without isolation
// (raw_exec) keep Nomad's behaviour and inherit the client's environment,
// less the credentials of the client's deny list.
type ImageIsolated interface {
	// IsolatesImage reports whether the driver's tasks run on an image.
	IsolatesImage() bool
}

// InheritsHostEnv reports whether tasks of d start from the client's
// environment: false for image-isolated drivers.
func InheritsHostEnv(d Driver) bool {
	iso, ok := d.(ImageIsolated)
	return !ok || !iso.IsolatesImage()
}
