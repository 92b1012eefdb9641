#!/usr/bin/env bash
# Notifications: publish five user events and show which channel got which.
set -euo pipefail
source "$(dirname "$0")/../lib.sh"

require_server
ensure_sink
apply_topology
wait_confirmed user-events

say "publish (run $RUN)"
event() { # event ID CHANNELS PRIORITY [more --attr]
	local id=$1 channels=$2 priority=$3
	shift 3
	pub user-events "{\"event\":\"$id-$RUN\",\"user\":\"ana\"}" \
		--attr "channels:String.Array=$channels" --attr "priority=$priority" "$@"
}
event welcome '["email"]' normal                                # email
event password-reset '["email","sms"]' high                    # email, sms
event new-follower '["push"]' low                              # push
event security-alert '["email","sms","push"]' high             # email, sms, push
event promo '["sms","push"]' low --attr muted=true             # nobody: low priority, muted

sink_lines /email 3
sink_lines /sms 2
sink_lines /push 2

finish
