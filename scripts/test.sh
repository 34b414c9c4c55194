#!/bin/sh
# Runs the full test suite. Installs what the tests need first.
set -eu
cd "$(dirname "$0")/.."
. scripts/lib.sh
need_go
need_pkgs busybox:busybox nginx:nginx runc:runc dig:dnsutils haproxy:haproxy chromium:chromium
export CI="${CI:-}"
go mod download
go vet ./...
GOOS=freebsd go build ./...
go test -count=1 -timeout 25m ./...
# Time-budgeted fuzzing of the parsers that take hostile input (about 1.5 min).
for target in 'FuzzJobRegisterBody ./internal/server' 'FuzzParse ./internal/jobspec' \
	'FuzzNestingOverflow ./internal/jobspec' 'FuzzCheckDepth ./internal/jsonlimit' \
	'FuzzRequestHead ./internal/ingress/proxy' 'FuzzResponseHead ./internal/ingress/proxy' \
	'FuzzChunkedBody ./internal/ingress/proxy'; do
	set -- $target
	go test -run '^$' -fuzz "^$1\$" -fuzztime 12s -fuzzminimizetime 50x "$2"
done
