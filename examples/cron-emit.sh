#!/usr/bin/env bash
# A cron job: reports this machine's load average on socket "reporter" and prints the
# server's acknowledgement. siod keeps the connection between runs, so each run costs one
# RPC round trip, not a Socket.IO handshake.
#
#   */5 * * * * /usr/share/doc/siod/examples/cron-emit.sh https://example.com
set -euo pipefail
url=${1:?usage: cron-emit.sh URL}
siodctl=${SIODCTL:-siodctl}

# Opening an open socket with the same options is a no-op that returns its status.
"$siodctl" open reporter "$url" >/dev/null
read -r one five fifteen _ </proc/loadavg
"$siodctl" emit reporter "${EVENT:-echo}" "{\"load\":[$one,$five,$fifteen]}" --ack --timeout 5000
