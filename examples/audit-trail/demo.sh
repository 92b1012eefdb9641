#!/usr/bin/env bash
# Audit trail: publish to three topics; each event reaches its own
# subscribers and, once more, the audit queue.
set -euo pipefail
source "$(dirname "$0")/../lib.sh"

require_server
ensure_sink
apply_topology
wait_confirmed users

say "publish (run $RUN)"
event() { # event TOPIC ENTITY ACTION ACTOR BODY-FIELDS
	pub "$1" "{\"run\":\"$RUN\",$5}" --attr "entity=$2" --attr "action=$3" --attr "actor=$4"
}
event users user signed_up ana '"user":"ana"'
event orders order placed ana '"order":"O-1","total":59.9'
event payments payment captured psp '"order":"O-1","amount":59.9'
event orders order cancelled support '"order":"O-1"'
event payments payment refunded support '"order":"O-1","amount":-59.9'
event users user email_changed ana '"user":"ana"'

receive_all fulfillment 1
receive_all ledger 2
sink_lines /users 1
# every event, from all three topics, once
receive_all audit 6

finish
