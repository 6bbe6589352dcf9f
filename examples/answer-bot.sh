#!/usr/bin/env bash
# A bot in a shell: answers every "question" the server asks on socket "bot" (an event the
# server emits with an ack callback) with the question in upper case, through socket.ack.
#
#   examples/answer-bot.sh http://127.0.0.1:5000
#
# Needs siod running, siodctl on PATH (or $SIODCTL) and jq. Stops when siod goes away.
set -euo pipefail
url=${1:?usage: answer-bot.sh URL}
siodctl=${SIODCTL:-siodctl}

"$siodctl" open bot "$url" >/dev/null
"$siodctl" listen bot --event question | while IFS= read -r line; do
    ack_id=$(jq -r '.params.ackId // empty' <<<"$line")
    [ -n "$ack_id" ] || continue
    answer=$(jq -c '[.params.args[0] | ascii_upcase]' <<<"$line")
    "$siodctl" call socket.ack "{\"socket\":\"bot\",\"ackId\":$ack_id,\"args\":$answer}" >/dev/null
done
