#!/bin/sh
# Brings up the single-machine stack (wharf agent -dev), builds the example
# images from Debian packages, pushes them to the dev agent's registry and
# runs the seed's job (nginx in a jail) and examples/hello.job. Installs
# what is missing. Ctrl-C stops everything and removes what it made.
set -eu
cd "$(dirname "$0")/.."
. scripts/lib.sh
need_go
PATH="$PATH:/usr/sbin:/sbin"
export PATH
need_pkgs curl:curl busybox:busybox nginx:nginx runc:runc dig:dnsutils
mkdir -p bin
go build -o bin/wharf ./cmd/wharf
PORT="${WHARF_HTTP_PORT:-4646}"
REGPORT="${WHARF_REGISTRY_PORT:-9080}"
export WHARF_ADDR="http://127.0.0.1:$PORT"
LOG=$(mktemp "${TMPDIR:-/tmp}/wharf-quickstart.XXXXXX")
./bin/wharf agent -dev -http-port "$PORT" -registry-port "$REGPORT" >"$LOG" 2>&1 &
AGENT=$!
tail -f "$LOG" &
TAIL=$!
trap 'kill -INT $AGENT 2>/dev/null; wait $AGENT 2>/dev/null; kill $TAIL 2>/dev/null; rm -f "$LOG"' INT TERM EXIT
i=0
until ./bin/wharf node status 2>/dev/null | grep -q ready; do
	i=$((i + 1))
	if [ $i -gt 200 ]; then echo "wharf: the dev agent's node did not register" >&2; exit 1; fi
	sleep 0.1
done
TOKEN_FILE=$(sed -n 's/.*upload token in \([^ )]*\).*/\1/p' "$LOG" | head -n 1)
WHARF_REGISTRY="http://127.0.0.1:$REGPORT" WHARF_REGISTRY_TOKEN_FILE="$TOKEN_FILE" \
	WHARF_BIN=./bin/wharf sh examples/images/build.sh
./bin/wharf job run examples/hello.job
# The seed's job file names the dev registry on its default port.
if [ "$REGPORT" = 9080 ]; then
	./bin/wharf job run examples/nginx.job
else
	sed "s|http://127.0.0.1:9080|http://127.0.0.1:$REGPORT|" examples/nginx.job >"$LOG.job"
	./bin/wharf job run "$LOG.job"
	rm -f "$LOG.job"
fi
i=0
until ./bin/wharf job status nginx-minipot | grep -q ' running '; do
	i=$((i + 1))
	if [ $i -gt 100 ]; then ./bin/wharf job status nginx-minipot; exit 1; fi
	sleep 0.1
done
ADDR=$(./bin/wharf job status nginx-minipot | awk '/ http /{print $(NF-2); exit}')
ALLOC=$(./bin/wharf job status nginx-minipot | awk '$6 == "running" {print $1; exit}')
HELLO=$(./bin/wharf job status hello | awk '/ http /{print $NF; exit}')
kill $TAIL 2>/dev/null || true
cat <<MSG

The dev agent at $WHARF_ADDR runs a server, a client, a service catalog
(Consul-shaped API on 127.0.0.1:8500, DNS on 127.0.0.1:8600), an ingress
(127.0.0.1:8080, dashboard http://127.0.0.1:9200) and an image registry
(http://127.0.0.1:$REGPORT).
The seed's job runs nginx in a jail (pot driver, runc) on http://$ADDR
examples/hello.job serves a page at http://$HELLO (raw_exec + busybox httpd).
Open the web UI at $WHARF_ADDR/ui/ (jobs, allocations with logs and Exec,
nodes, services, ingress). Or try:
  export WHARF_ADDR=$WHARF_ADDR
  curl -s http://$ADDR/
  curl -s -H Host:hello-web.minipot http://127.0.0.1:8080/   # through the ingress
  ./bin/wharf job status nginx-minipot
  ./bin/wharf alloc logs -f $ALLOC              # nginx's access log, as requests come
  ./bin/wharf alloc exec -i -t $ALLOC /bin/sh   # a shell in the jail (~. to leave)
  ./bin/wharf alloc status $ALLOC               # events, addresses, memory and CPU
  ./bin/wharf image ls -registry http://127.0.0.1:$REGPORT
  ./bin/wharf service info hello-web            # the seed's service and its tcp check
  curl -s 127.0.0.1:8500/v1/health/service/hello-web?passing
  dig @127.0.0.1 -p 8600 hello-web.service.wharf SRV
  ./bin/wharf ingress routes                    # or open http://127.0.0.1:9200

Press Ctrl-C to stop the agent; it stops the jails and removes them.
MSG
wait $AGENT
