// Package jobspec turns a Nomad HCL2 job file into a structs.Job: it walks
// the file with its own schema, applies Nomad's defaults (partial blocks
// keep the defaults of the fields they leave out), validates the result and
// reports every problem at once as Diagnostics, each with file:line:col.
//
// Nomad features wharf does not implement (vault, template, artifact,
// volumes, lifecycle, periodic, connect...) are errors naming them, never
// silently dropped. Simple input variables (variable "x" { default = ... }
// and var.x), locals and a few standard functions are supported. Strings
// that interpolate runtime values such as "${attr.kernel.name}" or
// "${NOMAD_PORT_http}" are kept verbatim for the client to interpolate.
//
// Ports declared in the older form, resources { network { port "x" {} } }
// inside a task, stay on that task's Resources.Networks (dynamic ports in
// DynamicPorts, static ones in ReservedPorts), exactly as Nomad's API
// carries them; group network blocks go to TaskGroup.Networks. Port labels
// are unique across both, per allocation.
//
// Blocks inside a task's config become lists of maps (one element per
// block, as Nomad does); attributes keep their HCL value, with whole numbers
// as int and others as float64.
//
// jobspec must never import any other wharf package except internal/structs
// and internal/jsonlimit: not the state, server, scheduler or client.
package jobspec
