#!/usr/bin/env bash
# Every server event of every socket, one compact line each, through plain socat and jq:
# no siodctl needed. socat sends the subscription and half-closes; siod keeps the
# connection open while it has subscriptions (-t: how long socat waits for more output).
#
#   examples/listen-jq.sh | grep chat
set -euo pipefail
# siod's own default, as siodctl finds it.
if [ -n "${SIOD_SOCKET:-}" ]; then socket=$SIOD_SOCKET
elif [ "$(id -u)" = 0 ]; then socket=/run/siod/siod.sock
elif [ -n "${XDG_RUNTIME_DIR:-}" ]; then socket=$XDG_RUNTIME_DIR/siod/siod.sock
else socket=/tmp/siod-$(id -u)/siod.sock
fi

echo '{"jsonrpc":"2.0","id":1,"method":"events.subscribe"}' |
    socat -t 2000000 - "UNIX-CONNECT:$socket" |
    jq --unbuffered -c 'select(.method == "socket.event") | {socket: .params.socket, event: .params.event, args: .params.args}'
