// Package operator holds what operators move between servers and
// files: the snapshot file format (a logical dump of the store's keys
// with a header, a format version and a SHA-256 checksum, gzip
// compressed) and the shapes of etcd member status that the server
// reports.
//
// A snapshot is logical on purpose: it names the store's keys and
// values, not etcd's on-disk database, so it restores onto a cluster of
// any size, onto an external etcd, and through the API of a running
// server, with no tool but wharf.
//
// operator must never import any other wharf package nor go.etcd.io: it is
// a file format and plain types, shared by the store, the server and the
// CLI.
package operator
