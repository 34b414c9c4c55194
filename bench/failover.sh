#!/bin/sh
# Kills the leader of a 3-server cluster (each server in its own network
# namespace, see test/cluster/harness) with SIGKILL, 20 times by default,
# and prints the time from each kill to the first placement by the new
# leader of a job submitted right after it, with p50 and p99.
# Needs root (namespaces, veths, nftables). Usage: bench/failover.sh [kills]
set -eu
cd "$(dirname "$0")/.."
WHARF_BENCH_FAILOVER=1 WHARF_BENCH_FAILOVER_KILLS="${1:-20}" \
	go test -count=1 -timeout 30m -run '^TestFailoverTimes$' -v ./test/cluster/ |
	grep -E 'kill +[0-9]+:|failover: |^(--- |ok|FAIL)'
