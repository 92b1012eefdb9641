#!/usr/bin/env bash
# Analytics and logging: publish six events and show which queue took which.
set -euo pipefail
source "$(dirname "$0")/../lib.sh"

require_server
apply_topology

say "publish (run $RUN)"
metric() { # metric SERVICE NAME VALUE
	pub app-events "{\"run\":\"$RUN\",\"metric\":\"$2\",\"value\":$3}" --attr type=metric --attr "service=$1"
}
logline() { # logline SERVICE LEVEL MESSAGE DURATION_MS
	pub app-events "{\"run\":\"$RUN\",\"msg\":\"$3\",\"request\":{\"path\":\"/orders\",\"duration_ms\":$4}}" \
		--attr type=log --attr "level=$2" --attr "service=$1"
}
metric api-orders cpu 0.72                              # metrics, datalake
metric worker-mail queue_depth 14                      # metrics, datalake
logline api-orders info "order created" 120            # logs, datalake
logline api-orders debug "cache miss" 3                # datalake
logline api-payments error "card declined" 2300        # logs, datalake, slow-requests
logline worker-mail warn "smtp retry" 1500             # datalake, slow-requests (not an api- service)

receive_all metrics 2
receive_all logs 2
receive_all datalake 6
receive_all slow-requests 2

finish
