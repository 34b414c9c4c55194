#!/bin/sh
# seedjob.sh times the seed job (examples/nginx.job, nginx in a jail) from
# `wharf job run` to the first HTTP 200 from nginx on the allocation's
# dynamic port, with the image already in the node's cache.
#
#   bench/seedjob.sh [N]        N measured runs (default 10)
#
# It builds wharf from this checkout into a temporary directory, starts
# `wharf agent -dev` on free ports with a private jail network (bridge
# wseed, 10.254.0.0/24, nftables table wharf_seed), builds the example
# images and pushes them to the agent's registry, runs the job once to
# warm the cache and stops it, then N times: `wharf job run -detach`,
# poll until nginx answers 200, `wharf job stop -purge`, wait until the
# jail is gone. It prints each run and p50/max.
#
# On exit, failure or Ctrl-C it stops the agent with SIGINT (killing it
# after 30 s), checks the jail network is gone and removes the
# temporary directory. Needs root, runc, curl and jq.
set -eu

n=${1:-10}
here=$(cd "$(dirname "$0")" && pwd)
root=$(cd "$here/.." && pwd)
. "$root/scripts/lib.sh"
need_go
need_pkgs curl:curl jq:jq
if [ "$(id -u)" -ne 0 ]; then
	echo "seedjob.sh: jails need root" >&2
	exit 1
fi
PATH="$PATH:/usr/sbin:/sbin"
export PATH

bridge=wseed
table=wharf_seed
job_id=nginx-minipot
tmp=$(mktemp -d "${TMPDIR:-/tmp}/wharf-seedjob.XXXXXX")
agent_pid=""

cleanup() {
	status=$?
	trap - EXIT INT TERM
	if [ -n "$agent_pid" ] && kill -0 "$agent_pid" 2>/dev/null; then
		kill -INT "$agent_pid" 2>/dev/null || true
		i=0
		while kill -0 "$agent_pid" 2>/dev/null && [ $i -lt 300 ]; do
			sleep 0.1
			i=$((i + 1))
		done
		if kill -0 "$agent_pid" 2>/dev/null; then
			echo "seedjob.sh: the agent ignored SIGINT for 30 s: killing it" >&2
			kill -KILL "$agent_pid" 2>/dev/null || true
		fi
		wait "$agent_pid" 2>/dev/null || true
	fi
	data_dir=""
	[ ! -f "$tmp/agent.log" ] || data_dir=$(sed -n 's/^ *Data dir: //p' "$tmp/agent.log" | head -n 1)
	case $data_dir in
	*/wharf-dev-*)
		if [ -d "$data_dir" ]; then
			echo "seedjob.sh: the dev agent left its data dir $data_dir: removing" >&2
			rm -rf "$data_dir"
		fi
		;;
	esac
	left=""
	ip link show "$bridge" >/dev/null 2>&1 && left="$left bridge:$bridge"
	if ip netns list 2>/dev/null | grep -q "^$bridge-"; then
		left="$left netns:$(ip netns list | grep "^$bridge-" | cut -d' ' -f1 | tr '\n' ' ')"
	fi
	if command -v nft >/dev/null 2>&1 && nft list table ip "$table" >/dev/null 2>&1; then
		left="$left nft-table:$table"
	fi
	if [ -n "$left" ]; then
		echo "seedjob.sh: the agent left:$left; removing" >&2
		for ns in $(ip netns list 2>/dev/null | grep "^$bridge-" | cut -d' ' -f1); do ip netns delete "$ns" || true; done
		ip link delete "$bridge" 2>/dev/null || true
		command -v nft >/dev/null 2>&1 && nft delete table ip "$table" 2>/dev/null || true
		[ "$status" -ne 0 ] || status=1
	fi
	if [ "$status" -ne 0 ] && [ -f "$tmp/agent.log" ]; then
		echo "seedjob.sh: last lines of the agent's log:" >&2
		tail -n 20 "$tmp/agent.log" >&2
	fi
	rm -rf "$tmp"
	exit "$status"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

# free_port prints a TCP port nothing listens on.
free_port() {
	while :; do
		p=$(shuf -i 20000-60999 -n 1)
		ss -Htln "sport = :$p" | grep -q . || { echo "$p"; return; }
	done
}

# now_ms prints the wall clock in milliseconds.
now_ms() { echo $(($(date +%s%N) / 1000000)); }

# wait_for CMD... retries CMD every 20 ms for up to 60 s.
wait_for() {
	i=0
	until "$@"; do
		i=$((i + 1))
		if [ $i -ge 3000 ]; then
			echo "seedjob.sh: timed out waiting for: $*" >&2
			return 1
		fi
		sleep 0.02
	done
}

echo "==> building wharf" >&2
(cd "$root" && go build -o "$tmp/wharf" ./cmd/wharf)
wharf=$tmp/wharf

http_port=$(free_port)
reg_port=$(free_port)
ingress_port=$(free_port)
cat >"$tmp/agent.hcl" <<HCL
client {
  pot {
    bridge    = "$bridge"
    network   = "10.254.0.0/24"
    nft_table = "$table"
  }
}
HCL
WHARF_ADDR=http://127.0.0.1:$http_port
export WHARF_ADDR
echo "==> starting wharf agent -dev on 127.0.0.1:$http_port" >&2
"$wharf" agent -dev -config "$tmp/agent.hcl" -bind 127.0.0.1 -http-port "$http_port" \
	-registry-port "$reg_port" -ingress-port "$ingress_port" -dashboard-port "$(free_port)" \
	-consul-port "$(free_port)" -dns-port "$(free_port)" >"$tmp/agent.log" 2>&1 &
agent_pid=$!

node_ready() {
	kill -0 "$agent_pid" 2>/dev/null || { echo "seedjob.sh: the agent exited" >&2; exit 1; }
	curl -sf "$WHARF_ADDR/v1/nodes" 2>/dev/null | jq -e 'any(.[]; .Status == "ready")' >/dev/null 2>&1 &&
		grep -q 'Registry: ' "$tmp/agent.log"
}
wait_for node_ready
line=$(grep 'Registry: ' "$tmp/agent.log")
registry=$(echo "$line" | sed -n 's/.*Registry: \(http:[^ ]*\).*/\1/p')
token_file=$(echo "$line" | sed -n 's/.*(upload token in \([^)]*\)).*/\1/p')
if [ -z "$registry" ] || [ -z "$token_file" ]; then
	echo "seedjob.sh: cannot read the registry from: $line" >&2
	exit 1
fi

echo "==> building and pushing the example images to $registry" >&2
BUILD_ONLY=1 OUT_DIR=$tmp/images WHARF_BIN=$wharf sh "$root/examples/images/build.sh" >/dev/null
for img in hello-web:1.0 nginx-nomad-amd64-13_1:1.1.13; do
	"$wharf" image push -registry "$registry" -token-file "$token_file" -dir "$tmp/images" \
		"${img%%:*}" "${img#*:}" >/dev/null
done

sed "s#http://127.0.0.1:9080#$registry#" "$root/examples/nginx.job" >"$tmp/nginx.job"
if ! grep -q "$registry" "$tmp/nginx.job"; then
	echo "seedjob.sh: examples/nginx.job no longer names http://127.0.0.1:9080" >&2
	exit 1
fi

# alloc_id prints the ID of the job's allocation that should run.
alloc_id() {
	curl -sf "$WHARF_ADDR/v1/job/$job_id/allocations" 2>/dev/null |
		jq -r '[.[] | select(.DesiredStatus == "run")] | sort_by(.CreateIndex) | last | .ID // empty'
}

# port_of ALLOC prints the host port of the allocation's http label.
port_of() {
	curl -sf "$WHARF_ADDR/v1/allocation/$1" 2>/dev/null |
		jq -r '.AllocatedResources.Shared.Ports[]? | select(.Label == "http") | .Value' | head -n 1
}

# answers_200 PORT reports whether nginx answers 200 on PORT.
answers_200() {
	[ "$(curl -s -o /dev/null -m 2 -w '%{http_code}' "http://127.0.0.1:$1/" 2>/dev/null)" = 200 ]
}

# ingress_200 reports whether the ingress answers 200 for hello-web.
ingress_200() {
	[ "$(curl -s -o /dev/null -m 2 -w '%{http_code}' -H 'Host: hello-web.minipot' "http://127.0.0.1:$ingress_port/" 2>/dev/null)" = 200 ]
}

# jail_gone reports whether the job's allocation is terminal (or gone)
# and its jail's network namespace removed.
jail_gone() {
	st=$(curl -s "$WHARF_ADDR/v1/allocation/$1" 2>/dev/null | jq -r '.ClientStatus // "gone"' 2>/dev/null || echo gone)
	case $st in complete | failed | lost | gone) ;; *) return 1 ;; esac
	! ip netns list 2>/dev/null | grep -q "^$bridge-"
}

# run_once runs the job, prints the milliseconds to the first 200, stops
# and purges the job and waits until the jail is gone.
run_once() {
	t0=$(now_ms)
	"$wharf" job run -detach "$tmp/nginx.job" >/dev/null
	id=""
	port=""
	i=0
	while [ -z "$port" ]; do
		[ -n "$id" ] || id=$(alloc_id)
		[ -z "$id" ] || port=$(port_of "$id")
		i=$((i + 1))
		[ $i -lt 3000 ] || { echo "seedjob.sh: no allocation with a port" >&2; return 1; }
		[ -n "$port" ] || sleep 0.01
	done
	i=0
	until answers_200 "$port"; do
		i=$((i + 1))
		[ $i -lt 3000 ] || { echo "seedjob.sh: nginx did not answer 200 on $port" >&2; return 1; }
		sleep 0.01
	done
	t1=$(now_ms)
	i=0
	until ingress_200; do
		i=$((i + 1))
		[ $i -lt 3000 ] || { echo "seedjob.sh: the ingress did not answer 200 for hello-web" >&2; return 1; }
		sleep 0.01
	done
	t2=$(now_ms)
	"$wharf" job stop -purge "$job_id" >/dev/null
	wait_for jail_gone "$id"
	echo "$((t1 - t0)) $((t2 - t0))"
}

echo "==> warm-up run (downloads the image into the node's cache)" >&2
warm=$(run_once)
echo "    first run, image downloaded: ${warm% *} ms to the port, ${warm#* } ms through the ingress" >&2

echo "==> $n runs with the image cached" >&2
: >"$tmp/times"
k=1
while [ $k -le "$n" ]; do
	ms=$(run_once)
	echo "    run $k: ${ms% *} ms to the port, ${ms#* } ms through the ingress" >&2
	echo "$ms" >>"$tmp/times"
	k=$((k + 1))
done
for col in 1 2; do
	what="on the dynamic port"
	[ $col = 1 ] || what="through the ingress"
	awk -v c=$col '{ print $c }' "$tmp/times" | sort -n | awk -v n="$n" -v what="$what" '
		{ v[NR] = $1 }
		END {
			p = int((n + 1) / 2)
			printf "seed job, job run to first HTTP 200 %s (image cached), %d runs: p50 %d ms, max %d ms\n", what, n, v[p], v[NR]
		}'
done
