#!/bin/sh
# Brings up the single-machine stack (wharf agent -dev) and runs the
# example job. Installs what is missing. Ctrl-C stops everything.
set -eu
cd "$(dirname "$0")/.."
. scripts/lib.sh
need_go
need_pkgs curl:curl busybox:busybox
mkdir -p bin
go build -o bin/wharf ./cmd/wharf
PORT="${WHARF_HTTP_PORT:-4646}"
export WHARF_ADDR="http://127.0.0.1:$PORT"
./bin/wharf agent -dev -http-port "$PORT" &
AGENT=$!
trap 'kill -INT $AGENT 2>/dev/null; wait $AGENT 2>/dev/null' INT TERM EXIT
i=0
until curl -fsS "$WHARF_ADDR/v1/status/leader" >/dev/null 2>&1; do
	i=$((i + 1))
	if [ $i -gt 100 ]; then echo "wharf: the agent did not come up" >&2; exit 1; fi
	sleep 0.1
done
i=0
until ./bin/wharf node status 2>/dev/null | grep -q ready; do
	i=$((i + 1))
	if [ $i -gt 100 ]; then echo "wharf: the dev agent's node did not register" >&2; exit 1; fi
	sleep 0.1
done
./bin/wharf job run examples/hello.job
# The seed's job needs the pot driver, which comes next: it waits, blocked,
# and `job status` explains why.
./bin/wharf job run -detach examples/nginx.job
./bin/wharf job status hello
ADDR=$(./bin/wharf job status hello | awk '/ http /{print $NF; exit}')
cat <<MSG

The dev agent runs a server and a client at $WHARF_ADDR.
examples/hello.job serves a page at http://$ADDR (raw_exec + busybox httpd).
Try:
  export WHARF_ADDR=$WHARF_ADDR
  curl -s http://$ADDR/
  ./bin/wharf job status hello
  ./bin/wharf alloc logs -stderr ALLOC_ID       # ALLOC_ID from job status: httpd's access log
  ./bin/wharf job scale hello web 2
  ./bin/wharf job status nginx-minipot   # why the seed's pot job waits

Press Ctrl-C to stop the agent.
MSG
wait $AGENT
