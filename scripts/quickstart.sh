#!/bin/sh
# Brings up the single-machine stack (wharf agent -dev) and runs the
# example job. Installs what is missing. Ctrl-C stops everything.
set -eu
cd "$(dirname "$0")/.."
. scripts/lib.sh
need_go
need_pkgs curl:curl
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
./bin/wharf job run -detach examples/nginx.job
./bin/wharf job status nginx-minipot
cat <<MSG

The dev agent runs the server role at $WHARF_ADDR.
Try:
  export WHARF_ADDR=$WHARF_ADDR
  ./bin/wharf job status nginx-minipot
  ./bin/wharf node status
  curl -s $WHARF_ADDR/v1/jobs

Press Ctrl-C to stop the agent.
MSG
wait $AGENT
