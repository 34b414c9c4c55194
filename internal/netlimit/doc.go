// Package netlimit bounds the connections a listener holds: a Limiter
// counts them against a cap, and a Listener wrapping any net.Listener
// stops accepting at the cap and resumes as connections close, so that
// one role's clients cannot take the descriptors the others need. It
// also says clearly when the process runs out of descriptors anyway.
//
// netlimit must never import any other wharf package.
package netlimit
